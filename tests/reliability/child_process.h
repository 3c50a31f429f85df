// Running a program as a child process for the reliability and command-line tests: its output
// appended to a log file, optionally in another working folder, and IHD_FAULT_KILL
// (common/fault_injection.h) set in its environment to arm fault points, or removed from it so
// that nothing is armed. Exit statuses are read as one number, with
// the child's peak resident memory when asked.
#pragma once

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "common/fault_injection.h"

extern char** environ;

namespace ihd::reliability {

// Starts `arguments` (the program's path first) with stdout and stderr appended to `log`,
// IHD_FAULT_KILL=`fault_kill` in its environment (left out when `fault_kill` is empty), in
// `working_dir` (this process's when empty).
inline pid_t start_process(std::vector<std::string> arguments, const std::filesystem::path& log,
                           const std::string& fault_kill = "",
                           const std::filesystem::path& working_dir = {}) {
  const std::string variable_prefix = std::string(kFaultKillVariable) + "=";
  std::vector<std::string> environment;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    if (!std::string_view(*entry).starts_with(variable_prefix)) environment.emplace_back(*entry);
  }
  if (!fault_kill.empty()) environment.push_back(variable_prefix + fault_kill);
  std::vector<char*> argv, envp;
  for (std::string& argument : arguments) argv.push_back(argument.data());
  for (std::string& entry : environment) envp.push_back(entry.data());
  argv.push_back(nullptr);
  envp.push_back(nullptr);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    const int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    if (!working_dir.empty() && ::chdir(working_dir.c_str()) != 0) ::_exit(126);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  return child;
}

// Waits for `child`; returns its exit code, or -signal when a signal ended it.
inline int wait_for(pid_t child) {
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

struct ChildOutcome {
  int exit_code = 0;        // or -signal when a signal ended the child
  long peak_rss_bytes = 0;  // the child's largest resident set (getrusage's ru_maxrss)
};

// Waits for `child` and reads its resource use.
inline ChildOutcome wait_with_usage(pid_t child) {
  int status = 0;
  struct rusage usage {};
  REQUIRE(::wait4(child, &status, 0, &usage) == child);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status), usage.ru_maxrss * 1024L};
}

}  // namespace ihd::reliability
