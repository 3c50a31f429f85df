// FlagSet: the command-line parser of every ihd tool, and the one table of its flags. Each flag is
// declared once, bound to a variable, with its placeholder (N, PATH, LR, PX, C,W...), its help
// text, its group in --help (data, model, run...) and, where it has them, the numbers or words it
// accepts. From that table come:
//   - parse(): "--name value", "--name=value", switches as "--name" / "--no-name", positionals
//     (everything after "--" too); unknown flags, missing values, malformed numbers and values
//     out of range or not among the choices are refused with a one-line reason naming the flag,
//     an unknown flag with the nearest known one ("did you mean --epochs?");
//   - --help: the flags by group with placeholders, defaults, ranges and --no- forms, then worked
//     examples; --version (apps/pipeline/version.h); --complete-flags, hidden, the table for the
//     bash completion (scripts/ihd-completion.bash): one line per flag, tab-separated: the flag,
//     its placeholder ("" for a switch, whose --no- form has a line of its own), its choices;
//   - check_values(), the same range and choice checks on the bound variables' current values
//     (for options set by code or read back from a run's config.json).
// Every refusal of a command line is a UsageError; every tool exits kUsageExitCode (2) on one and
// 1 on a failure while it runs.
#pragma once

#include <deque>
#include <functional>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "common/error.h"

namespace ihd::pipeline {

// A bad command line: an unknown flag, a malformed or out-of-range value, a missing or extra
// argument, flags that do not go together (and, with --resume, a flag the run cannot change).
class UsageError : public Error {
 public:
  using Error::Error;
};

// The exit status of every tool on a UsageError (1: a failure while it runs).
inline constexpr int kUsageExitCode = 2;

class FlagSet {
 public:
  // One declared flag; add() returns it so that a declaration can go on with its limits.
  class Flag {
   public:
    // The accepted numbers: each bound is inclusive (at_least, at_most) or exclusive (above,
    // below); range(a, b) is [a, b].
    Flag& at_least(double lower);
    Flag& above(double lower);
    Flag& at_most(double upper);
    Flag& below(double upper);
    Flag& range(double lower, double upper) { return at_least(lower).at_most(upper); }
    // The accepted values, as the flag prints them; an empty placeholder becomes "a|b|c".
    Flag& choices(std::vector<std::string> allowed);
    // What --help shows as the default instead of the variable's initial value.
    Flag& shown_default(std::string text);
    // For values a range or choices cannot describe (a device name): `reason` says why a value
    // is refused ("expected cpu, cuda or cuda:N"), or "" when it is accepted.
    Flag& validated_by(std::function<std::string(const std::string&)> reason);

   private:
    friend class FlagSet;
    // The reason `text` (the flag's value) is refused, or "" when it is accepted.
    std::string refusal(const std::string& text) const;
    std::string limits_text() const;

    std::string name;
    std::string placeholder;  // empty for a switch
    std::string help;
    std::string group;
    std::string default_text;
    bool is_switch = false;
    bool is_number = false;
    bool set = false;
    double lower = -std::numeric_limits<double>::infinity();
    double upper = std::numeric_limits<double>::infinity();
    bool lower_open = false;
    bool upper_open = false;
    std::vector<std::string> allowed;
    std::function<std::string(const std::string&)> validator;
    std::function<void(const std::string&)> assign;  // throws on malformed text
    std::function<std::string()> current;
  };

  // `summary` is the --help line under the usage: what the tool does.
  FlagSet(std::string program, std::string usage, std::string summary = "");

  // Flags declared after this call are listed under `name` in --help.
  void group(std::string name);
  // A worked example for the end of --help: the command line and what it does.
  void example(std::string command, std::string what);
  // A line printed under the flags of `group` in --help (e.g. which flags --resume may change).
  void group_note(const std::string& group, std::string note);

  Flag& add(const std::string& name, std::string& value, std::string placeholder, std::string help);
  Flag& add(const std::string& name, int& value, std::string placeholder, std::string help);
  Flag& add(const std::string& name, long& value, std::string placeholder, std::string help);
  Flag& add(const std::string& name, double& value, std::string placeholder, std::string help);
  // A switch: `--name` sets true, `--no-name` sets false.
  Flag& add(const std::string& name, bool& value, std::string help);

  // Parses argv[1..]. Returns false when the command line asked for --help, --version or
  // --complete-flags (answered on stdout: the caller exits 0); throws UsageError with a one-line
  // reason on bad input.
  bool parse(int argc, const char* const* argv);
  const std::vector<std::string>& positional() const { return positional_; }
  // Whether the user gave this flag explicitly.
  bool was_set(const std::string& name) const;
  // Throws UsageError naming the first flag whose current value is out of its range or choices.
  void check_values() const;
  std::string help() const;
  std::string completion_table() const;
  // "name=value" for every flag, in declaration order (for config.json and reports).
  std::vector<std::pair<std::string, std::string>> values() const;

 private:
  Flag& add_flag(Flag flag);
  // A flag that takes a value: `assign` parses and stores it (throwing on malformed text),
  // `current` prints the bound variable.
  Flag& add_valued(const std::string& name, std::string placeholder, std::string help,
                   bool is_number, std::function<void(const std::string&)> assign,
                   std::function<std::string()> current);
  Flag* find(const std::string& name);
  // The known flag nearest to an unknown `name` ("" when none is near).
  std::string nearest_flag(const std::string& name) const;

  std::string program_;
  std::string usage_;
  std::string summary_;
  std::string current_group_ = "flags";
  std::deque<Flag> flags_;  // a deque: add()'s references stay valid
  std::vector<std::pair<std::string, std::string>> group_notes_;
  std::vector<std::pair<std::string, std::string>> examples_;
  std::vector<std::string> positional_;
};

}  // namespace ihd::pipeline
