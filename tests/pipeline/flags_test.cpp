// FlagSet: values, switches, refusals with one-line reasons, help text with defaults.
#include "apps/pipeline/flags.h"

#include <doctest/doctest.h>

#include "common/error.h"

namespace ihd::pipeline {
namespace {

struct Parsed {
  std::string name = "x";
  int count = 3;
  double rate = 0.5;
  bool on = true;
  FlagSet flags{"tool", "[flags]"};
  Parsed() {
    flags.add("name", name, "a name");
    flags.add("count", count, "a count");
    flags.add("rate", rate, "a rate");
    flags.add("on", on, "a switch");
  }
  bool parse(std::vector<const char*> argv) {
    argv.insert(argv.begin(), "tool");
    return flags.parse(static_cast<int>(argv.size()), argv.data());
  }
};

}  // namespace

TEST_CASE("flags take values in both spellings, switches and positionals") {
  Parsed p;
  CHECK(p.parse({"--name", "abc", "--count=7", "--rate", "1e-3", "--no-on", "input.dcm"}));
  CHECK(p.name == "abc");
  CHECK(p.count == 7);
  CHECK(p.rate == doctest::Approx(1e-3));
  CHECK_FALSE(p.on);
  CHECK(p.flags.positional() == std::vector<std::string>{"input.dcm"});
  CHECK(p.flags.was_set("count"));
  Parsed q;
  CHECK(q.parse({"--on"}));
  CHECK(q.on);
  CHECK_FALSE(q.flags.was_set("count"));
}

TEST_CASE("bad flags are refused with the reason") {
  CHECK_THROWS_WITH_AS(Parsed().parse({"--colour", "red"}),
                       doctest::Contains("unknown flag --colour"), Error);
  CHECK_THROWS_WITH_AS(Parsed().parse({"--count"}), doctest::Contains("--count needs a value"),
                       Error);
  CHECK_THROWS_WITH_AS(Parsed().parse({"--count", "7x"}), doctest::Contains("not a valid number"),
                       Error);
  CHECK_THROWS_WITH_AS(Parsed().parse({"--rate", "nan"}), doctest::Contains("--rate"), Error);
  CHECK_THROWS_WITH_AS(Parsed().parse({"--on=maybe"}), doctest::Contains("takes no value"), Error);
  CHECK_THROWS_AS(Parsed().parse({"--no-count"}), Error);
}

TEST_CASE("help lists every flag with its default, values() reports current values") {
  Parsed p;
  const std::string help = p.flags.help();
  CHECK(help.find("--name VALUE") != std::string::npos);
  CHECK(help.find("(default: 3)") != std::string::npos);
  CHECK(help.find("(default: true)") != std::string::npos);
  CHECK(p.parse({"--count", "9"}));
  const auto values = p.flags.values();
  REQUIRE(values.size() == 4);
  CHECK(values[1] == std::pair<std::string, std::string>{"count", "9"});
  CHECK_FALSE(Parsed().parse({"--help"}));
}

}  // namespace ihd::pipeline
