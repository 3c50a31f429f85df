// What a tool needs to know about its standard output before it prints progress: whether it is a
// terminal, how wide that terminal is, and the one buffering rule every tool's main() applies
// (line-buffered, so that stdout and stderr keep their order in a file or a pipe).
#pragma once

namespace ihd {

// True when standard output is a terminal (isatty).
bool stdout_is_terminal();

// The width of the terminal on standard output (ioctl TIOCGWINSZ), else $COLUMNS, else 80.
int terminal_columns();

// Makes stdout line-buffered (setvbuf) even into a file or a pipe, where the C library would
// buffer it by blocks: each line then reaches the file when it ends, so a summary printed before
// an error stays above it. Every tool calls it first thing in main(), before any output.
void line_buffer_stdout();

}  // namespace ihd
