// FlagSet: values, switches, refusals with one-line reasons (unknown flags with the nearest known
// one, numbers out of range, words not among the choices), help text by group with placeholders,
// defaults, ranges and --no- forms, and the completion table.
#include "apps/pipeline/flags.h"

#include <doctest/doctest.h>

#include "common/error.h"

namespace ihd::pipeline {
namespace {

struct Parsed {
  std::string name = "x";
  std::string colour = "red";
  int count = 3;
  double rate = 0.5;
  bool on = true;
  bool off = false;
  FlagSet flags{"tool", "[flags]", "Does a thing."};
  Parsed() {
    flags.group("first");
    flags.add("name", name, "NAME", "a name");
    flags.add("count", count, "N", "a count").range(1, 10);
    flags.add("colour", colour, "", "a colour").choices({"red", "green"});
    flags.group("second");
    flags.add("rate", rate, "LR", "a rate").above(0).below(1);
    flags.add("on", on, "a switch on by default");
    flags.add("off", off, "a switch off by default");
    flags.group_note("second", "a note under the second group");
    flags.example("tool --count 4", "counts to four");
  }
  bool parse(std::vector<const char*> argv) {
    argv.insert(argv.begin(), "tool");
    return flags.parse(static_cast<int>(argv.size()), argv.data());
  }
};

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

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
  CHECK(q.parse({"--off", "--", "--count", "-"}));
  CHECK(q.off);
  CHECK_FALSE(q.flags.was_set("count"));
  CHECK(q.flags.positional() == std::vector<std::string>{"--count", "-"});
}

TEST_CASE("bad flags are refused with the reason") {
  CHECK_THROWS_WITH_AS(Parsed().parse({"--shape", "round"}),
                       doctest::Contains("unknown flag --shape (see tool --help)"), Error);
  CHECK_THROWS_WITH_AS(Parsed().parse({"--count"}), doctest::Contains("--count needs a value: N"),
                       Error);
  CHECK_THROWS_WITH_AS(Parsed().parse({"--count", "7x"}), doctest::Contains("not a valid number"),
                       Error);
  CHECK_THROWS_WITH_AS(Parsed().parse({"--rate", "nan"}), doctest::Contains("--rate"), Error);
  CHECK_THROWS_WITH_AS(Parsed().parse({"--on=maybe"}), doctest::Contains("takes no value"), Error);
  CHECK_THROWS_WITH_AS(Parsed().parse({"-count", "3"}),
                       doctest::Contains("unknown flag -count: flags start with --"), Error);
  CHECK_THROWS_AS(Parsed().parse({"--no-count"}), Error);
}

TEST_CASE("an unknown flag is answered with the nearest known one") {
  const std::vector<std::pair<const char*, const char*>> cases = {
      {"--cuont=3", "did you mean --count?"},
      {"--color", "did you mean --colour?"},
      {"--rates", "did you mean --rate?"},
      {"--no-offf", "did you mean --no-off?"},
      {"--verison", "did you mean --version?"}};
  for (const auto& [typed, suggestion] : cases) {
    CAPTURE(typed);
    CHECK_THROWS_WITH_AS(Parsed().parse({typed}), doctest::Contains(suggestion), Error);
  }
  CHECK_THROWS_WITH_AS(Parsed().parse({"--zzzzzzzz"}), "unknown flag --zzzzzzzz (see tool --help)",
                       Error);
}

TEST_CASE("numbers out of range and words not among the choices are refused naming the flag") {
  CHECK_THROWS_WITH_AS(Parsed().parse({"--count", "11"}), "--count must be in [1, 10], got 11",
                       Error);
  CHECK_THROWS_WITH_AS(Parsed().parse({"--count=0"}), "--count must be in [1, 10], got 0", Error);
  CHECK_THROWS_WITH_AS(Parsed().parse({"--rate", "1"}), "--rate must be in (0, 1), got 1", Error);
  CHECK_THROWS_WITH_AS(Parsed().parse({"--colour", "blue"}),
                       "--colour 'blue': expected one of red, green", Error);
  std::string even = "2";
  FlagSet checked("tool", "");
  checked.add("even", even, "N", "an even digit").validated_by([](const std::string& text) {
    return text.size() == 1 && (text[0] - '0') % 2 == 0 ? "" : "expected 0, 2, 4, 6 or 8";
  });
  const char* odd[] = {"tool", "--even=3"};
  CHECK_THROWS_WITH_AS(checked.parse(2, odd), "--even '3': expected 0, 2, 4, 6 or 8", Error);
  CHECK(even == "2");
  Parsed p;
  CHECK(p.parse({"--count", "10", "--rate", "0.999", "--colour", "green"}));
  CHECK_NOTHROW(p.flags.check_values());
  p.count = 12;  // set by code, then checked as a whole
  CHECK_THROWS_WITH_AS(p.flags.check_values(), "--count must be in [1, 10], got 12", Error);
}

TEST_CASE("help lists the groups, placeholders, ranges, defaults, --no- forms and examples") {
  Parsed p;
  const std::string help = p.flags.help();
  CAPTURE(help);
  CHECK(help.rfind("usage: tool [flags]\nDoes a thing.\n", 0) == 0);
  CHECK(contains(help, "\nfirst:\n  --name NAME"));
  CHECK(contains(help, "--count N"));
  CHECK(contains(help, "a count (in [1, 10]; default: 3)"));
  CHECK(contains(help, "--colour red|green"));
  CHECK(contains(help, "\nsecond:\n  --rate LR"));
  CHECK(contains(help, "a rate (in (0, 1); default: 0.5)"));
  CHECK(contains(help, "--[no-]on"));
  CHECK(contains(help, "a switch on by default (default: on)"));
  CHECK(contains(help, "a switch off by default (default: off)"));
  CHECK(contains(help, "  a note under the second group\n"));
  CHECK(contains(help, "examples:\n  tool --count 4\n      counts to four\n"));
  CHECK(help.find("first:") < help.find("second:"));
  CHECK_FALSE(Parsed().parse({"--help"}));
  CHECK_FALSE(Parsed().parse({"--version"}));
  CHECK_FALSE(Parsed().parse({"--complete-flags"}));
}

TEST_CASE("the completion table lists every flag, its placeholder and choices") {
  const std::string table = Parsed().flags.completion_table();
  CHECK(contains(table, "--count\tN\t\n"));
  CHECK(contains(table, "--colour\tred|green\tred green\n"));
  CHECK(contains(table, "--on\t\t\n--no-on\t\t\n"));
  CHECK(contains(table, "--help\t\t\n--version\t\t\n"));
}

TEST_CASE("values() reports current values, doubles read back exactly") {
  Parsed p;
  CHECK(p.parse({"--count", "9", "--rate", "0.000123456789"}));
  const auto values = p.flags.values();
  REQUIRE(values.size() == 6);
  CHECK(values[1] == std::pair<std::string, std::string>{"count", "9"});
  CHECK(values[3] == std::pair<std::string, std::string>{"rate", "0.000123456789"});
  Parsed q;
  CHECK(q.parse({"--rate", "1e-4"}));
  CHECK(q.flags.values()[3].second == "0.0001");
}

}  // namespace ihd::pipeline
