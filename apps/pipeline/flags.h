// FlagSet: the command-line parser of the ihd apps. Each flag is declared once with its name,
// default and help text, bound to a variable; parse() fills the variables, refuses unknown flags,
// missing values and malformed numbers with a one-line reason, and help() prints every flag with
// its default. Positional arguments are collected in order.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace ihd::pipeline {

class FlagSet {
 public:
  FlagSet(std::string program, std::string usage);

  void add(const std::string& name, std::string& value, const std::string& help);
  void add(const std::string& name, int& value, const std::string& help);
  void add(const std::string& name, long& value, const std::string& help);
  void add(const std::string& name, double& value, const std::string& help);
  void add(const std::string& name, float& value, const std::string& help);
  // A switch: present means true (`--name`), and `--no-name` means false.
  void add(const std::string& name, bool& value, const std::string& help);

  // Parses argv[1..]. Returns false when --help was asked for (help text printed); throws
  // ihd::Error with a one-line reason on bad input.
  bool parse(int argc, const char* const* argv);
  const std::vector<std::string>& positional() const { return positional_; }
  // Whether the user gave this flag explicitly.
  bool was_set(const std::string& name) const;
  std::string help() const;
  // "name=value" for every flag, in declaration order (for config.json and reports).
  std::vector<std::pair<std::string, std::string>> values() const;

 private:
  struct Flag {
    std::string name;
    std::string help;
    std::string default_text;
    bool is_switch = false;
    bool set = false;
    std::function<void(const std::string&)> assign;
    std::function<std::string()> current;
  };
  void add_flag(Flag flag);
  Flag* find(const std::string& name);

  std::string program_;
  std::string usage_;
  std::vector<Flag> flags_;
  std::vector<std::string> positional_;
};

}  // namespace ihd::pipeline
