// What a tool needs to know about its standard output before it prints progress: whether it is a
// terminal, how wide that terminal is, and the one buffering rule every tool's main() applies
// (line-buffered, so that stdout and stderr keep their order in a file or a pipe); and the width
// its other lines keep to, with the word wrap for the lines that can be longer; and the one way a
// line goes out whole.
#pragma once

#include <cstddef>
#include <ostream>
#include <string>

namespace ihd {

// The width of every line a tool prints but the progress line: an 80-column terminal less the
// column where the cursor waits at the end of a full line.
inline constexpr std::size_t kConsoleLineWidth = 79;

// `text` broken at spaces into lines of at most `width` characters, each after the first starting
// with `indent` (a word longer than a line stays whole); no newline at the end.
std::string wrap_words(const std::string& text, const std::string& indent,
                       std::size_t width = kConsoleLineWidth);

// True when standard output is a terminal (isatty).
bool stdout_is_terminal();

// The width of the terminal on standard output (ioctl TIOCGWINSZ), else $COLUMNS, else 80.
int terminal_columns();

// Makes stdout line-buffered (setvbuf) even into a file or a pipe, where the C library would
// buffer it by blocks: each line then reaches the file when it ends, so a summary printed before
// an error stays above it. Every tool calls it first thing in main(), before any output.
void line_buffer_stdout();

// Writes `line` and its newline to `out` in one piece: into an unbuffered stderr that is one write,
// so the lines of processes sharing a terminal (the ranks under mpirun) never tear one another.
void write_whole_line(std::ostream& out, const std::string& line);

}  // namespace ihd
