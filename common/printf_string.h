// printf_string: the text printf would print for `format` and `values`, as a std::string (console
// lines: progress, epoch summaries). Longer text than 255 bytes is cut.
#pragma once

#include <cstdio>
#include <string>

namespace ihd {

template <typename... Values>
std::string printf_string(const char* format, Values... values) {
  char buffer[256];
  std::snprintf(buffer, sizeof buffer, format, values...);
  return buffer;
}

}  // namespace ihd
