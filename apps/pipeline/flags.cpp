// FlagSet: parsing, the range and choice checks, the nearest known flag, and the help text.
#include "apps/pipeline/flags.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <type_traits>

#include "apps/pipeline/version.h"
#include "common/decimal.h"
#include "common/error.h"

namespace ihd::pipeline {
namespace {

constexpr std::size_t kHelpWidth = 80;   // fits a terminal of 80 columns
constexpr std::size_t kFlagColumn = 30;  // where the help text of a flag starts

template <typename Number>
Number parse_number(const std::string& flag, const std::string& text) {
  Number value{};
  const char* end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, value);
  if (error != std::errc() || stop != end || text.empty()) {
    throw UsageError("--" + flag + ": '" + text + "' is not a valid number");
  }
  if constexpr (std::is_floating_point_v<Number>) {
    if (!std::isfinite(value)) throw UsageError("--" + flag + ": '" + text + "' is not finite");
  }
  return value;
}

// A double as a person writes it ("0.0001", "1e-06") when six significant digits give it back
// exactly, otherwise the shortest text that does.
std::string double_text(double value) {
  std::ostringstream out;
  out << value;
  const std::string text = out.str();
  double back = 0;
  const auto [stop, error] = std::from_chars(text.data(), text.data() + text.size(), back);
  return error == std::errc() && back == value ? text : shortest_decimal(value);
}

std::string bound_text(double bound) {
  if (std::fabs(bound) < 1e15 && bound == std::floor(bound)) {
    return std::to_string(static_cast<long long>(bound));
  }
  return double_text(bound);
}

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1] ? 1 : 0)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// `text` broken into lines of at most `width` characters at spaces.
std::vector<std::string> wrapped(const std::string& text, std::size_t width) {
  std::vector<std::string> lines;
  std::istringstream words(text);
  std::string line;
  for (std::string word; words >> word;) {
    if (!line.empty() && line.size() + 1 + word.size() > width) {
      lines.push_back(line);
      line.clear();
    }
    line += (line.empty() ? "" : " ") + word;
  }
  if (!line.empty()) lines.push_back(line);
  return lines;
}

// A command line broken into lines as wrapped() does, but only before a flag, so that a flag and
// its value stay on one line.
std::vector<std::string> wrapped_command(const std::string& command, std::size_t width) {
  std::vector<std::string> units;  // the program, then each flag with the words after it
  std::istringstream words(command);
  for (std::string word; words >> word;) {
    if (units.empty() || word.rfind("-", 0) == 0) {
      units.push_back(word);
    } else {
      units.back() += " " + word;
    }
  }
  std::vector<std::string> lines;
  std::string line;
  for (const std::string& unit : units) {
    if (!line.empty() && line.size() + 1 + unit.size() > width) {
      lines.push_back(line);
      line.clear();
    }
    line += (line.empty() ? "" : " ") + unit;
  }
  if (!line.empty()) lines.push_back(line);
  return lines;
}

}  // namespace

FlagSet::Flag& FlagSet::Flag::at_least(double bound) {
  lower = bound;
  lower_open = false;
  return *this;
}

FlagSet::Flag& FlagSet::Flag::above(double bound) {
  lower = bound;
  lower_open = true;
  return *this;
}

FlagSet::Flag& FlagSet::Flag::at_most(double bound) {
  upper = bound;
  upper_open = false;
  return *this;
}

FlagSet::Flag& FlagSet::Flag::below(double bound) {
  upper = bound;
  upper_open = true;
  return *this;
}

FlagSet::Flag& FlagSet::Flag::choices(std::vector<std::string> values) {
  allowed = std::move(values);
  if (placeholder.empty()) {
    for (const std::string& value : allowed)
      placeholder += (placeholder.empty() ? "" : "|") + value;
  }
  return *this;
}

FlagSet::Flag& FlagSet::Flag::shown_default(std::string text) {
  default_text = std::move(text);
  return *this;
}

FlagSet::Flag& FlagSet::Flag::validated_by(std::function<std::string(const std::string&)> reason) {
  validator = std::move(reason);
  return *this;
}

std::string FlagSet::Flag::limits_text() const {
  const bool has_lower = std::isfinite(lower), has_upper = std::isfinite(upper);
  if (has_lower && has_upper) {
    return "in " + std::string(lower_open ? "(" : "[") + bound_text(lower) + ", " +
           bound_text(upper) + (upper_open ? ")" : "]");
  }
  if (has_lower) return (lower_open ? "above " : "at least ") + bound_text(lower);
  if (has_upper) return (upper_open ? "below " : "at most ") + bound_text(upper);
  return "";
}

std::string FlagSet::Flag::refusal(const std::string& text) const {
  if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), text) == allowed.end()) {
    std::string list;
    for (const std::string& value : allowed) list += (list.empty() ? "" : ", ") + value;
    return "--" + name + " '" + text + "': expected one of " + list;
  }
  if (validator) {
    if (const std::string why = validator(text); !why.empty()) {
      return "--" + name + " '" + text + "': " + why;
    }
  }
  if (!is_number) return "";
  double value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  const bool too_low = lower_open ? !(value > lower) : !(value >= lower);
  const bool too_high = upper_open ? !(value < upper) : !(value <= upper);
  if (!too_low && !too_high) return "";
  const std::string limits = limits_text();
  return "--" + name + " must be " + limits + ", got " + text;
}

FlagSet::FlagSet(std::string program, std::string usage, std::string summary)
    : program_(std::move(program)), usage_(std::move(usage)), summary_(std::move(summary)) {}

void FlagSet::group(std::string name) {
  current_group_ = std::move(name);
}

void FlagSet::example(std::string command, std::string what) {
  examples_.emplace_back(std::move(command), std::move(what));
}

void FlagSet::group_note(const std::string& group, std::string note) {
  group_notes_.emplace_back(group, std::move(note));
}

FlagSet::Flag& FlagSet::add_flag(Flag flag) {
  flag.group = current_group_;
  flag.default_text = flag.current();
  flags_.push_back(std::move(flag));
  return flags_.back();
}

FlagSet::Flag& FlagSet::add_valued(const std::string& name, std::string placeholder,
                                   std::string help, bool is_number,
                                   std::function<void(const std::string&)> assign,
                                   std::function<std::string()> current) {
  Flag flag;
  flag.name = name;
  flag.placeholder = std::move(placeholder);
  flag.help = std::move(help);
  flag.is_number = is_number;
  flag.assign = std::move(assign);
  flag.current = std::move(current);
  return add_flag(std::move(flag));
}

FlagSet::Flag& FlagSet::add(const std::string& name, std::string& value, std::string placeholder,
                            std::string help) {
  return add_valued(
      name, std::move(placeholder), std::move(help), false,
      [&value](const std::string& text) { value = text; }, [&value] { return value; });
}

FlagSet::Flag& FlagSet::add(const std::string& name, int& value, std::string placeholder,
                            std::string help) {
  return add_valued(
      name, std::move(placeholder), std::move(help), true,
      [&value, name](const std::string& text) { value = parse_number<int>(name, text); },
      [&value] { return std::to_string(value); });
}

FlagSet::Flag& FlagSet::add(const std::string& name, long& value, std::string placeholder,
                            std::string help) {
  return add_valued(
      name, std::move(placeholder), std::move(help), true,
      [&value, name](const std::string& text) { value = parse_number<long>(name, text); },
      [&value] { return std::to_string(value); });
}

FlagSet::Flag& FlagSet::add(const std::string& name, double& value, std::string placeholder,
                            std::string help) {
  return add_valued(
      name, std::move(placeholder), std::move(help), true,
      [&value, name](const std::string& text) { value = parse_number<double>(name, text); },
      [&value] { return double_text(value); });
}

FlagSet::Flag& FlagSet::add(const std::string& name, bool& value, std::string help) {
  Flag flag;
  flag.name = name;
  flag.help = std::move(help);
  flag.is_switch = true;
  flag.assign = [&value](const std::string& text) { value = text == "true"; };
  flag.current = [&value] { return std::string(value ? "true" : "false"); };
  return add_flag(std::move(flag));
}

FlagSet::Flag* FlagSet::find(const std::string& name) {
  for (Flag& flag : flags_) {
    if (flag.name == name) return &flag;
  }
  return nullptr;
}

std::string FlagSet::nearest_flag(const std::string& name) const {
  std::vector<std::string> known = {"help", "version"};
  for (const Flag& flag : flags_) {
    known.push_back(flag.name);
    if (flag.is_switch) known.push_back("no-" + flag.name);
  }
  // Close in spelling: a slip of a character or two, more for longer names.
  const std::size_t tolerance = std::min<std::size_t>(3, 1 + name.size() / 4);
  std::string nearest;
  std::size_t best = tolerance + 1;
  for (const std::string& candidate : known) {
    const std::size_t distance = edit_distance(name, candidate);
    if (distance < best) {
      best = distance;
      nearest = candidate;
    }
  }
  if (!nearest.empty() || name.size() < 3) return nearest;
  // Or the start of a longer name ("--synth" for --synth-patients).
  for (const std::string& candidate : known) {
    if (candidate.rfind(name, 0) == 0) return candidate;
  }
  return "";
}

bool FlagSet::parse(int argc, const char* const* argv) {
  bool only_positionals = false;
  for (int i = 1; i < argc; ++i) {
    const std::string argument = argv[i];
    if (only_positionals || argument.rfind("-", 0) != 0 || argument == "-") {
      positional_.push_back(argument);
      continue;
    }
    if (argument == "--") {
      only_positionals = true;
      continue;
    }
    if (argument == "--help" || argument == "-h") {
      std::fputs(help().c_str(), stdout);
      return false;
    }
    if (argument == "--version") {
      std::fputs(version_text(program_).c_str(), stdout);
      return false;
    }
    if (argument == "--complete-flags") {
      std::fputs(completion_table().c_str(), stdout);
      return false;
    }
    if (argument.rfind("--", 0) != 0) {
      throw UsageError("unknown flag " + argument + ": flags start with -- (see " + program_ +
                       " --help)");
    }
    std::string name = argument.substr(2), value;
    const std::size_t equals = name.find('=');
    const bool inline_value = equals != std::string::npos;
    if (inline_value) {
      value = name.substr(equals + 1);
      name.resize(equals);
    }
    Flag* flag = find(name);
    if (!flag && name.rfind("no-", 0) == 0) {
      Flag* negated = find(name.substr(3));
      if (negated && negated->is_switch && !inline_value) {
        negated->assign("false");
        negated->set = true;
        continue;
      }
    }
    if (!flag) {
      const std::string nearest = nearest_flag(name);
      throw UsageError("unknown flag --" + name +
                       (nearest.empty() ? "" : "; did you mean --" + nearest + "?") + " (see " +
                       program_ + " --help)");
    }
    if (flag->is_switch) {
      if (inline_value && value != "true" && value != "false") {
        throw UsageError("--" + name + " takes no value (or =true/=false), got '" + value + "'");
      }
      flag->assign(inline_value ? value : "true");
    } else {
      if (!inline_value) {
        if (i + 1 >= argc) throw UsageError("--" + name + " needs a value: " + flag->placeholder);
        value = argv[++i];
      }
      const std::string before = flag->current();
      flag->assign(value);
      if (const std::string why = flag->refusal(flag->current()); !why.empty()) {
        flag->assign(before);  // a refused value leaves the variable as it was
        throw UsageError(why);
      }
    }
    flag->set = true;
  }
  return true;
}

bool FlagSet::was_set(const std::string& name) const {
  for (const Flag& flag : flags_) {
    if (flag.name == name) return flag.set;
  }
  return false;
}

void FlagSet::check_values() const {
  for (const Flag& flag : flags_) {
    if (const std::string why = flag.refusal(flag.current()); !why.empty()) throw UsageError(why);
  }
}

std::string FlagSet::help() const {
  std::string out = "usage: " + program_ + " " + usage_ + "\n";
  if (!summary_.empty()) {
    for (const std::string& line : wrapped(summary_, kHelpWidth)) out += line + "\n";
  }
  std::vector<std::string> groups;
  for (const Flag& flag : flags_) {
    if (std::find(groups.begin(), groups.end(), flag.group) == groups.end()) {
      groups.push_back(flag.group);
    }
  }
  for (const std::string& group : groups) {
    out += "\n" + group + ":\n";
    for (const Flag& flag : flags_) {
      if (flag.group != group) continue;
      std::string left = "  --" + (flag.is_switch ? "[no-]" + flag.name : flag.name);
      if (!flag.is_switch) left += " " + flag.placeholder;
      std::vector<std::string> notes;
      std::string bar_list, choices;
      for (const std::string& value : flag.allowed) {
        bar_list += (bar_list.empty() ? "" : "|") + value;
        choices += (choices.empty() ? "one of " : ", ") + value;
      }
      if (!choices.empty() && bar_list != flag.placeholder) notes.push_back(choices);
      if (const std::string limits = flag.limits_text(); !limits.empty()) notes.push_back(limits);
      if (flag.is_switch) {
        notes.push_back(std::string("default: ") + (flag.default_text == "true" ? "on" : "off"));
      } else if (!flag.default_text.empty()) {
        notes.push_back("default: " + flag.default_text);
      }
      std::string text = flag.help;
      for (std::size_t k = 0; k < notes.size(); ++k) {
        text += (k == 0 ? " (" : "; ") + notes[k] + (k + 1 == notes.size() ? ")" : "");
      }
      const std::vector<std::string> lines = wrapped(text, kHelpWidth - kFlagColumn);
      if (left.size() + 1 > kFlagColumn) {
        out += left + "\n";
        left.clear();
      }
      for (const std::string& line : lines) {
        left.resize(kFlagColumn, ' ');
        out += left + line + "\n";
        left.clear();
      }
    }
    for (const auto& [note_group, note] : group_notes_) {
      if (note_group != group) continue;
      for (const std::string& line : wrapped(note, kHelpWidth - 2)) out += "  " + line + "\n";
    }
  }
  if (!examples_.empty()) {
    out += "\nexamples:\n";
    for (const auto& [command, what] : examples_) {
      // A long command goes on over lines ending in " \\", as a shell reads it back.
      const std::vector<std::string> parts = wrapped_command(command, kHelpWidth - 6);
      for (std::size_t k = 0; k < parts.size(); ++k) {
        out += (k == 0 ? "  " : "    ") + parts[k] + (k + 1 < parts.size() ? " \\" : "") + "\n";
      }
      for (const std::string& line : wrapped(what, kHelpWidth - 6)) out += "      " + line + "\n";
    }
  }
  out += "\n" + program_ + " --version prints the version, the build and the GPUs it sees.\n";
  return out;
}

std::string FlagSet::completion_table() const {
  std::string out;
  for (const Flag& flag : flags_) {
    std::string choices;
    for (const std::string& value : flag.allowed) choices += (choices.empty() ? "" : " ") + value;
    out += "--" + flag.name + "\t" + flag.placeholder + "\t" + choices + "\n";
    if (flag.is_switch) out += "--no-" + flag.name + "\t\t\n";
  }
  out += "--help\t\t\n--version\t\t\n";
  return out;
}

std::vector<std::pair<std::string, std::string>> FlagSet::values() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const Flag& flag : flags_) out.emplace_back(flag.name, flag.current());
  return out;
}

}  // namespace ihd::pipeline
