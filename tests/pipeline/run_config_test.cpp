// config.json: written and read back exactly, escapes included (full Unicode, and outside bytes
// that are not UTF-8 read as Latin-1); damaged, nested, non-string or duplicate values are
// refused with one line naming the file.
#include "apps/pipeline/run_config.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "apps/pipeline/model_setup.h"
#include "common/error.h"

namespace ihd::pipeline {

TEST_CASE("config.json round trip, with quotes, backslashes and control characters") {
  const auto path = std::filesystem::temp_directory_path() / "ihd_config_test.json";
  const ConfigValues values{{"data", "C:\\scans \"new\""}, {"note", "a\tb\nc"}, {"empty", ""}};
  write_run_config(path, values);
  const auto read = read_run_config(path);
  REQUIRE(read.size() == 3);
  CHECK(read.at("data") == "C:\\scans \"new\"");
  CHECK(read.at("note") == "a\tb\nc");
  CHECK(read.at("empty").empty());
  std::ofstream(path) << "{\"a\": \"b\" \"c\": 1}";
  CHECK_THROWS_WITH_AS(read_run_config(path), doctest::Contains("ihd_config_test.json"), Error);
  std::filesystem::remove(path);
}

TEST_CASE("config.json: full Unicode escapes are read, bytes that are not UTF-8 become Latin-1") {
  const auto path = std::filesystem::temp_directory_path() / "ihd_config_unicode_test.json";
  std::ofstream(path) << R"({"note": "caf\u00e9 \u20ac \ud83d\ude00", "raw": ")"
                      << "caf\xC3\xA9\"}";
  const auto read = read_run_config(path);
  CHECK(read.at("note") == "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
  CHECK(read.at("raw") == "caf\xC3\xA9");
  // A DICOM-style Latin-1 value (or any bytes) is written as valid JSON and read back as UTF-8.
  write_run_config(path, {{"patient", "Andr\xE9"}, {"control", std::string("a\0\x7f", 3)}});
  const auto latin1 = read_run_config(path);
  CHECK(latin1.at("patient") == "Andr\xC3\xA9");
  CHECK(latin1.at("control") == std::string("a\0\x7f", 3));
  std::filesystem::remove(path);
}

TEST_CASE("config.json: a non-string, nested or duplicate value is refused in one line") {
  const auto path = std::filesystem::temp_directory_path() / "ihd_config_refused_test.json";
  const auto refused = [&](const std::string& text, const std::string& reason) {
    std::ofstream(path, std::ios::trunc) << text;
    CAPTURE(text);
    try {
      read_run_config(path);
      FAIL("no error");
    } catch (const Error& error) {
      const std::string message = error.what();
      CAPTURE(message);
      CHECK(message.rfind(path.string() + ": ", 0) == 0);
      CHECK(message.find(reason) != std::string::npos);
      CHECK(message.find('\n') == std::string::npos);
      CHECK(error.kind() == ErrorKind::bad_config);
    }
  };
  refused(R"({"epochs": 3})",
          "the value of \"epochs\" must be a string, not a number (at byte 11)");
  refused(R"({"augment": true})", "must be a string, not true");
  refused(R"({"arch": {"depth": "50"}})", "must be a string, not an object");
  refused(R"({"arch": ["resnet18"]})", "must be a string, not an array");
  refused(R"({"arch": "a", "arch": "b"})", "duplicate key \"arch\" (at byte 14)");
  refused(R"(["arch", "resnet18"])", "one JSON object of string values, not an array");
  refused(R"({"arch": "a"} {})", "unexpected text after the top-level value");
  refused("{\"a\": \"" + std::string(std::size_t{1} << 20, 'x') + "\"}", "exceeds the limit");
  std::filesystem::remove(path);
}

TEST_CASE("training options come back from the flag values a run saved") {
  const std::map<std::string, std::string> config{{"arch", "resnet18"},
                                                  {"lr", "0.003"},
                                                  {"augment", "false"},
                                                  {"image-size", "96"},
                                                  {"commit", "abc123"}};
  const TrainOptions options = options_from_config(config, "run/config.json");
  CHECK(options.arch == "resnet18");
  CHECK(options.lr == doctest::Approx(0.003));
  CHECK_FALSE(options.augment);
  CHECK(options.image_size == 96);
  CHECK(options.batch == 32);
}

TEST_CASE("a config.json with absurd values is refused with the flag's message, naming the file") {
  const std::vector<std::pair<std::map<std::string, std::string>, std::string>> cases = {
      {{{"image-size", "abc"}}, "--image-size: 'abc' is not a valid number"},
      {{{"image-size", "20000"}}, "--image-size must be in [32, 1024], got 20000"},
      {{{"image-size", "0"}}, "--image-size must be in [32, 1024], got 0"},
      {{{"width", "100"}}, "--width must be in (0, 4], got 100"},
      {{{"arch", "resnet7"}}, "--arch 'resnet7'"},
      {{{"channels", "7"}}, "--channels '7': expected one of 1, 3"},
      {{{"lr", "nan"}}, "--lr: 'nan' is not finite"},
  };
  for (const auto& [config, message] : cases) {
    CAPTURE(message);
    try {
      options_from_config(config, "runs/x/config.json");
      FAIL("accepted");
    } catch (const Error& error) {
      CHECK(error.kind() == ErrorKind::bad_config);
      CHECK(std::string(error.what()).rfind("runs/x/config.json: " + message, 0) == 0);
    }
  }
}

}  // namespace ihd::pipeline
