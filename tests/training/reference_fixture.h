// Reading the scikit-learn/scipy reference fixtures of tests/fixtures/training/ (written by
// scripts/make_training_metrics_reference.py): "case NAME" blocks closed by "end", each line
// inside a key followed by whitespace-separated numbers ("inf" allowed).
#pragma once

#include <doctest/doctest.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace ihd::training {

// key -> one vector of numbers per line with that key.
using ReferenceCase = std::map<std::string, std::vector<std::vector<double>>>;

inline std::map<std::string, ReferenceCase> load_reference(const std::string& file_name) {
  std::ifstream in(std::string(IHD_TEST_FIXTURES_DIR) + "/training/" + file_name);
  REQUIRE(in.good());
  std::map<std::string, ReferenceCase> cases;
  std::string line, current;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string key;
    fields >> key;
    if (key == "case") {
      fields >> current;
    } else if (key != "end") {
      std::vector<double> values;
      std::string token;
      while (fields >> token) values.push_back(std::stod(token));
      cases[current][key].push_back(values);
    }
  }
  return cases;
}

inline std::vector<int> as_labels(const std::vector<double>& values) {
  return std::vector<int>(values.begin(), values.end());
}

}  // namespace ihd::training
