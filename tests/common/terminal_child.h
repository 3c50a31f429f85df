// Running a program as a child process to see what it shows a user, for the progress tests:
// on a pseudo-terminal of a chosen width (forkpty, libutil), or with stdout and stderr into one
// pipe; and the frames of terminal output, the text between carriage returns, as a terminal shows
// them one over the other.
#pragma once

#include <doctest/doctest.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

namespace ihd {

struct ChildOutput {
  std::string text;
  int exit_code = -1;  // -1 when a signal ended the child
};

inline std::vector<std::string> split_text(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream in(text);
  while (std::getline(in, part, separator)) parts.push_back(part);
  return parts;
}

// The frames of terminal output: the non-empty text between carriage returns and newlines, the
// erase-to-end-of-line codes removed.
inline std::vector<std::string> frames_of(std::string text) {
  const std::string erase = "\x1b[K";
  for (auto at = text.find(erase); at != std::string::npos; at = text.find(erase)) {
    text.erase(at, erase.size());
  }
  std::vector<std::string> frames;
  for (const std::string& line : split_text(text, '\n')) {
    for (const std::string& frame : split_text(line, '\r')) {
      if (!frame.empty()) frames.push_back(frame);
    }
  }
  return frames;
}

namespace terminal_child_detail {

// In the child: runs `arguments` (the program's path first); returns only if exec fails.
[[noreturn]] inline void exec(std::vector<std::string> arguments) {
  std::vector<char*> argv;
  for (std::string& argument : arguments) argv.push_back(argument.data());
  argv.push_back(nullptr);
  ::execv(argv[0], argv.data());
  ::_exit(127);
}

// Reads `fd` to its end (EIO from a terminal whose child has closed it) and waits for `child`.
inline ChildOutput collect(int fd, pid_t child) {
  ChildOutput result;
  char buffer[4096];
  while (true) {
    const ssize_t got = ::read(fd, buffer, sizeof buffer);
    if (got > 0) {
      result.text.append(buffer, static_cast<size_t>(got));
    } else if (got < 0 && errno == EINTR) {
      continue;
    } else {
      break;
    }
  }
  ::close(fd);
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

}  // namespace terminal_child_detail

// Runs `arguments` (the program's path first) on a pseudo-terminal of `columns` columns. The
// terminal turns each "\n" the child writes into "\r\n".
inline ChildOutput run_on_terminal(int columns, const std::vector<std::string>& arguments) {
  int master = -1;
  winsize size{};
  size.ws_row = 24;
  size.ws_col = static_cast<unsigned short>(columns);
  std::fflush(nullptr);
  const pid_t child = ::forkpty(&master, nullptr, nullptr, &size);
  REQUIRE(child >= 0);
  if (child == 0) terminal_child_detail::exec(arguments);
  return terminal_child_detail::collect(master, child);
}

// Runs `arguments` (the program's path first) with stdout and stderr into one pipe.
inline ChildOutput run_into_pipe(const std::vector<std::string>& arguments) {
  int pipe_fds[2];
  REQUIRE(::pipe(pipe_fds) == 0);
  std::fflush(nullptr);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::dup2(pipe_fds[1], STDOUT_FILENO);
    ::dup2(pipe_fds[1], STDERR_FILENO);
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    terminal_child_detail::exec(arguments);
  }
  ::close(pipe_fds[1]);
  return terminal_child_detail::collect(pipe_fds[0], child);
}

}  // namespace ihd
