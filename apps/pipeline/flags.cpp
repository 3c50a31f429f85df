// FlagSet: "--name value", "--name=value", switches and "--no-name".
#include "apps/pipeline/flags.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <iomanip>
#include <sstream>
#include <type_traits>

#include "common/error.h"

namespace ihd::pipeline {
namespace {

template <typename Number>
Number parse_number(const std::string& flag, const std::string& text) {
  Number value{};
  const char* end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, value);
  if (error != std::errc() || stop != end || text.empty()) {
    throw Error("--" + flag + ": '" + text + "' is not a valid number");
  }
  if constexpr (std::is_floating_point_v<Number>) {
    if (!std::isfinite(value)) throw Error("--" + flag + ": '" + text + "' is not finite");
  }
  return value;
}

template <typename Number>
std::string number_text(Number value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

}  // namespace

FlagSet::FlagSet(std::string program, std::string usage)
    : program_(std::move(program)), usage_(std::move(usage)) {}

void FlagSet::add_flag(Flag flag) {
  flag.default_text = flag.current();
  flags_.push_back(std::move(flag));
}

void FlagSet::add(const std::string& name, std::string& value, const std::string& help) {
  add_flag({name, help, "", false, false, [&value](const std::string& text) { value = text; },
            [&value] { return value; }});
}

void FlagSet::add(const std::string& name, int& value, const std::string& help) {
  add_flag({name, help, "", false, false,
            [&value, name](const std::string& text) { value = parse_number<int>(name, text); },
            [&value] { return number_text(value); }});
}

void FlagSet::add(const std::string& name, long& value, const std::string& help) {
  add_flag({name, help, "", false, false,
            [&value, name](const std::string& text) { value = parse_number<long>(name, text); },
            [&value] { return number_text(value); }});
}

void FlagSet::add(const std::string& name, double& value, const std::string& help) {
  add_flag({name, help, "", false, false,
            [&value, name](const std::string& text) { value = parse_number<double>(name, text); },
            [&value] { return number_text(value); }});
}

void FlagSet::add(const std::string& name, float& value, const std::string& help) {
  add_flag({name, help, "", false, false,
            [&value, name](const std::string& text) { value = parse_number<float>(name, text); },
            [&value] { return number_text(value); }});
}

void FlagSet::add(const std::string& name, bool& value, const std::string& help) {
  add_flag({name, help, "", true, false,
            [&value](const std::string& text) { value = text == "true"; },
            [&value] { return std::string(value ? "true" : "false"); }});
}

FlagSet::Flag* FlagSet::find(const std::string& name) {
  for (Flag& flag : flags_) {
    if (flag.name == name) return &flag;
  }
  return nullptr;
}

bool FlagSet::parse(int argc, const char* const* argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string argument = argv[i];
    if (argument == "--help" || argument == "-h") {
      std::fputs(help().c_str(), stdout);
      return false;
    }
    if (argument.rfind("--", 0) != 0 || argument == "--") {
      positional_.push_back(argument);
      continue;
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
      flag = find(name.substr(3));
      if (flag && flag->is_switch && !inline_value) {
        flag->assign("false");
        flag->set = true;
        continue;
      }
      flag = nullptr;
    }
    if (!flag) throw Error("unknown flag --" + name + " (see " + program_ + " --help)");
    if (flag->is_switch) {
      if (inline_value && value != "true" && value != "false") {
        throw Error("--" + name + " takes no value (or =true/=false), got '" + value + "'");
      }
      flag->assign(inline_value ? value : "true");
    } else {
      if (!inline_value) {
        if (i + 1 >= argc) throw Error("--" + name + " needs a value");
        value = argv[++i];
      }
      flag->assign(value);
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

std::string FlagSet::help() const {
  std::ostringstream out;
  out << "usage: " << program_ << " " << usage_ << "\n\nflags:\n";
  for (const Flag& flag : flags_) {
    std::string left = "  --" + flag.name + (flag.is_switch ? "" : " VALUE");
    out << std::left << std::setw(30) << left << " " << flag.help;
    if (!flag.default_text.empty() && !(flag.is_switch && flag.default_text == "false")) {
      out << " (default: " << flag.default_text << ")";
    }
    out << "\n";
  }
  return out.str();
}

std::vector<std::pair<std::string, std::string>> FlagSet::values() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const Flag& flag : flags_) out.emplace_back(flag.name, flag.current());
  return out;
}

}  // namespace ihd::pipeline
