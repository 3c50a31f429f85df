// The stop-signal handlers. The handler only touches lock-free atomics and preformatted buffers
// and calls write(2), _exit(2), signal(2) and raise(3), all async-signal-safe. On a terminal the
// line it writes on is cleared first ("\r" and erase to its end: the progress frame and the "^C"
// the terminal echoed), and every progress line is held, so the notice is not drawn over.
#include "apps/pipeline/interrupt.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstring>

#include "common/console.h"   // stdout_is_terminal
#include "common/progress.h"  // hold_progress

namespace ihd::pipeline {
namespace {

static_assert(std::atomic<int>::is_always_lock_free);

std::atomic<int> requested_signal{0};
std::atomic<int> open_sections{0};
// Messages the handler writes, formatted before a signal can need them.
char first_signal_message[256];
char second_signal_message[1024];
// The terminal to clear a line on before a message (stdout's, else stderr's), or -1: none.
int terminal_fd = -1;

void write_message(const char* message) {
  if (terminal_fd >= 0) {
    const char clear_line[] = "\r\x1b[K";
    const ssize_t ignored = ::write(terminal_fd, clear_line, sizeof clear_line - 1);
    (void)ignored;
  }
  const ssize_t ignored = ::write(STDERR_FILENO, message, std::strlen(message));
  (void)ignored;
}

void copy_message(char* buffer, std::size_t size, const std::string& text) {
  const std::size_t length = std::min(size - 1, text.size());
  std::memcpy(buffer, text.data(), length);
  buffer[length] = '\0';
}

void on_stop_signal(int signal) {
  if (open_sections.load() == 0) {  // not training: end as the signal would by default
    ::signal(signal, SIG_DFL);
    ::raise(signal);
    return;
  }
  int none = 0;
  if (requested_signal.compare_exchange_strong(none, signal)) {
    hold_progress();
    write_message(first_signal_message);
    return;
  }
  write_message(second_signal_message);
  ::_exit(128 + signal);
}

}  // namespace

void install_stop_signal_handlers(const std::string& after_second_signal) {
  copy_message(second_signal_message, sizeof second_signal_message,
               "stopped at once: " + after_second_signal + "\n");
  terminal_fd = stdout_is_terminal()           ? STDOUT_FILENO
                : ::isatty(STDERR_FILENO) == 1 ? STDERR_FILENO
                                               : -1;
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;  // reads and waits go on; the loops poll stop_signal()
  for (int signal : {SIGINT, SIGTERM}) ::sigaction(signal, &action, nullptr);
}

int stop_signal() {
  return requested_signal.load();
}

GracefulStopSection::GracefulStopSection(const std::string& unit) {
  copy_message(
      first_signal_message, sizeof first_signal_message,
      "stopping after this " + unit + " with its checkpoint written; Ctrl-C again stops at once\n");
  open_sections.fetch_add(1);
}

GracefulStopSection::~GracefulStopSection() {
  open_sections.fetch_sub(1);
}

Interrupted::Interrupted(int signal, const std::string& where)
    : std::runtime_error("stopped at " + where), signal_(signal), where_(where) {}

}  // namespace ihd::pipeline
