// Parity of our ResNet with PyTorch, from the files tests/model/make_resnet_reference.py writes:
// the model is built from the reference's config, loads PyTorch's weights, runs the same batch in
// evaluation mode and in training mode with one backward pass of the BCE loss, and every result is
// compared with PyTorch's float64 run (the truth).
//
// The yardstick is PyTorch's own float32 run of the same case: for each result tensor we measure
// our relative error e = ||ours - truth|| / ||truth|| and set it beside PyTorch's float32 error t
// on the same tensor. A group of results (eval logits; train logits, loss and running statistics;
// parameter gradients) passes when the mean of our errors is within 3x the mean of PyTorch's, and
// no tensor is far worse: e <= 10 max(t, mean t of its group). (PyTorch's error on one small tensor
// can be far below its typical error by luck of rounding; the group's mean keeps that luck from
// setting the bar.) Errors below kRoundingFloor count as the floor, since at that level either
// side's figure is the accident of one summation order.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "engine/autograd.h"
#include "engine/ops.h"
#include "engine/safetensors.h"
#include "engine/test_util.h"
#include "model/resnet.h"
#include "model/weights.h"

namespace ihd::testing {

constexpr double kRoundingFloor = 1e-6;
constexpr double kOverallFactor = 3.0;
constexpr double kTensorFactor = 10.0;

struct ParityResult {
  std::string key;
  double ours, torch_f32;
};

// Compares one group of results and prints its table; returns nothing, asserts instead.
inline void check_group(const std::string& case_name, const std::string& group,
                        const std::vector<ParityResult>& results) {
  REQUIRE(!results.empty());
  double ours_mean = 0.0, torch_mean = 0.0;
  const ParityResult* worst = &results.front();
  for (const ParityResult& result : results) {
    ours_mean += std::max(result.ours, kRoundingFloor) / results.size();
    torch_mean += std::max(result.torch_f32, kRoundingFloor) / results.size();
    const double ratio = result.ours / std::max(result.torch_f32, kRoundingFloor);
    if (ratio > worst->ours / std::max(worst->torch_f32, kRoundingFloor)) worst = &result;
  }
  const double worst_ours = std::max_element(results.begin(), results.end(), [](auto& a, auto& b) {
                              return a.ours < b.ours;
                            })->ours;
  const double worst_torch = std::max_element(results.begin(), results.end(), [](auto& a, auto& b) {
                               return a.torch_f32 < b.torch_f32;
                             })->torch_f32;
  std::printf(
      "%-14s %-5s %3zu tensors: mean relative error ours %.3g, PyTorch float32 %.3g; "
      "largest ours %.3g, PyTorch %.3g; worst ratio %s: ours %.3g vs %.3g\n",
      case_name.c_str(), group.c_str(), results.size(), ours_mean, torch_mean, worst_ours,
      worst_torch, worst->key.c_str(), worst->ours, worst->torch_f32);
  CAPTURE(case_name);
  CAPTURE(group);
  CHECK(ours_mean <= kOverallFactor * torch_mean);
  for (const ParityResult& result : results) {
    CAPTURE(result.key);
    CAPTURE(result.ours);
    CAPTURE(result.torch_f32);
    CHECK(result.ours <= kTensorFactor * std::max({result.torch_f32, torch_mean, kRoundingFloor}));
  }
}

inline ResNetConfig config_from_metadata(const SafetensorsFile& reference) {
  const auto& m = reference.metadata;
  ResNetConfig config;
  config.block = m.at("block") == "bottleneck" ? BlockKind::bottleneck : BlockKind::basic;
  std::sscanf(m.at("stage_blocks").c_str(), "%d,%d,%d,%d", &config.stage_blocks[0],
              &config.stage_blocks[1], &config.stage_blocks[2], &config.stage_blocks[3]);
  config.width_multiplier = std::stod(m.at("width_multiplier"));
  config.input_channels = std::stoi(m.at("input_channels"));
  config.num_outputs = std::stoi(m.at("num_outputs"));
  config.head_hidden_units = std::stoi(m.at("head_hidden_units"));
  return config;
}

inline ParityResult compare(const SafetensorsFile& reference, const std::string& key,
                            const Tensor& ours) {
  const double torch_error = reference.at("torch_f32_error." + key).to_doubles().at(0);
  return {key, relative_error(ours.to_vector(), reference.at("f64." + key).to_doubles()),
          torch_error};
}

// Runs the whole comparison for `<directory>/<case_name>.{weights,reference}.safetensors`.
inline void check_parity_with_pytorch(const std::string& directory, const std::string& case_name) {
  const SafetensorsFile reference =
      read_safetensors(directory + "/" + case_name + ".reference.safetensors");
  ResNet model(config_from_metadata(reference));
  load_weights(model, directory + "/" + case_name + ".weights.safetensors");
  const Tensor images = reference.at("input").to_tensor();
  const Tensor targets = reference.at("targets").to_tensor();

  model.eval();
  {
    NoGradGuard no_grad;
    check_group(case_name, "eval", {compare(reference, "eval.logits", model.forward(images))});
  }

  model.train();
  const Tensor logits = model.forward(images);
  const Tensor loss = binary_cross_entropy_with_logits(logits, targets);
  loss.backward();
  std::vector<ParityResult> train{compare(reference, "train.logits", logits),
                                  compare(reference, "train.loss", loss)};
  for (const auto& [name, buffer] : model.named_buffers()) {
    if (name.ends_with("running_mean") || name.ends_with("running_var")) {
      train.push_back(compare(reference, "running." + name, buffer));
    }
  }
  check_group(case_name, "train", train);

  std::vector<ParityResult> gradients;
  for (const auto& [name, parameter] : model.named_parameters()) {
    REQUIRE(parameter.grad().defined());
    gradients.push_back(compare(reference, "grad." + name, to_torch_layout(parameter.grad())));
  }
  check_group(case_name, "grad", gradients);
}

}  // namespace ihd::testing
