// config.json: written and read back exactly, escapes included; damaged files are refused.
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

TEST_CASE("training options come back from the flag values a run saved") {
  const std::map<std::string, std::string> config{{"arch", "resnet18"},
                                                  {"lr", "0.003"},
                                                  {"augment", "false"},
                                                  {"image-size", "96"},
                                                  {"commit", "abc123"}};
  const TrainOptions options = options_from_config(config);
  CHECK(options.arch == "resnet18");
  CHECK(options.lr == doctest::Approx(0.003));
  CHECK_FALSE(options.augment);
  CHECK(options.image_size == 96);
  CHECK(options.batch == 32);
}

}  // namespace ihd::pipeline
