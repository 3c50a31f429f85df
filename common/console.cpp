// Standard output's terminal facts (isatty, TIOCGWINSZ, $COLUMNS), its buffering and the word
// wrap, the whole-line write; see console.h.
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

std::string wrap_words(const std::string& text, const std::string& indent, std::size_t width) {
  std::string out, line;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find(' ', start);
    if (end == std::string::npos) end = text.size();
    const std::string word = text.substr(start, end - start);
    start = end + 1;
    if (word.empty()) continue;
    const bool first_word = line.empty() || line == indent;
    if (!first_word && line.size() + 1 + word.size() > width) {
      out += line + "\n";
      line = indent;
    }
    line += (line.empty() || line == indent ? "" : " ") + word;
  }
  return out + line;
}

void line_buffer_stdout() {
  std::setvbuf(stdout, nullptr, _IOLBF, BUFSIZ);
}

void write_whole_line(std::ostream& out, const std::string& line) {
  const std::string whole = line + '\n';
  out.write(whole.data(), static_cast<std::streamsize>(whole.size()));
  out.flush();
}

}  // namespace ihd
