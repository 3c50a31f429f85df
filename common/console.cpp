// Standard output's terminal facts (isatty, TIOCGWINSZ, $COLUMNS) and its buffering; see
// console.h.
#include "common/console.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace ihd {
namespace {

constexpr int kDefaultColumns = 80;

}  // namespace

bool stdout_is_terminal() {
  return ::isatty(STDOUT_FILENO) == 1;
}

int terminal_columns() {
  winsize size{};
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  if (const char* columns = std::getenv("COLUMNS")) {
    try {
      const int value = std::stoi(columns);
      if (value > 0) return value;
    } catch (const std::exception&) {
      // Not a number: the default below.
    }
  }
  return kDefaultColumns;
}

void line_buffer_stdout() {
  std::setvbuf(stdout, nullptr, _IOLBF, BUFSIZ);
}

}  // namespace ihd
