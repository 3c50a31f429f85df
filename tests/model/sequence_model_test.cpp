// The study-level sequence model (model/sequence_model.h), both kinds (gru, tcn): its parameter
// names and deterministic initialisation; padding is invisible (a series padded with NaN into a
// batch gives exactly its outputs and input gradients alone, and 0 at padding); the slice order
// matters; every gradient against finite differences; on a toy context task (a slice's label is
// the sign of its neighbours' signal) it learns to near-perfect accuracy where a per-slice linear
// model stays at chance; a checkpoint round trip; and the gru kind's outputs and gradients
// against PyTorch's float64 run of Linear + ReLU + GRU + Linear on packed sequences, its weights
// loaded as PyTorch saved them (tests/fixtures/model/sequence_gru.*, written by
// make_sequence_model_reference.py).
#include "model/sequence_model.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "engine/optim/optimizer.h"
#include "engine/safetensors.h"
#include "engine/test_util.h"
#include "model/weights.h"

namespace ihd {
namespace {
using testing::check_gradients;
using testing::max_abs_difference;
using testing::random_tensor;
using testing::relative_error;

// Float32 against PyTorch's float64 truth, each tensor within this relative error
// ||ours - truth|| / ||truth|| (measured: below 1e-6, see the printed table).
constexpr double kTorchParityTolerance = 1e-5;

SequenceModelConfig tiny_config(SequenceKind kind, int projected, int hidden) {
  SequenceModelConfig config;
  config.input_features = 4;
  config.projected_features = projected;
  config.kind = kind;
  config.hidden = hidden;
  config.layers = 2;
  config.outputs = 3;
  config.seed = 7;
  return config;
}

// The configs the structural tests run: a GRU, a TCN whose first convolution changes the width
// (no residual there) and one where every convolution has its residual.
std::vector<SequenceModelConfig> tiny_configs() {
  return {tiny_config(SequenceKind::gru, 5, 4), tiny_config(SequenceKind::tcn, 5, 4),
          tiny_config(SequenceKind::tcn, 4, 4)};
}

// Rows [0, length) of series n of x [N, T, C], as one vector.
std::vector<float> real_rows(const Tensor& x, int n, int length) {
  const std::vector<float> values = x.to_vector();
  const int64_t width = x.size(2), steps = x.size(1);
  return {values.begin() + n * steps * width, values.begin() + (n * steps + length) * width};
}

// Copies `rows` (whole steps of `width` values) into series n of `batch`, from step 0.
void place_rows(const std::vector<float>& rows, int64_t width, int n, Tensor& batch) {
  std::copy(rows.begin(), rows.end(), batch.data() + n * batch.size(1) * width);
}

// Sets every padded position of `batch` (steps t >= lengths[n]) to NaN.
void poison_padding(Tensor& batch, const std::vector<int>& lengths) {
  const int64_t steps = batch.size(1), width = batch.size(2);
  for (std::size_t n = 0; n < lengths.size(); ++n) {
    std::fill(batch.data() + (n * steps + lengths[n]) * width,
              batch.data() + (n + 1) * steps * width, std::numeric_limits<float>::quiet_NaN());
  }
}

std::string describe(const SequenceModelConfig& config) {
  return sequence_kind_name(config.kind) + " projected " +
         std::to_string(config.projected_features) + " hidden " + std::to_string(config.hidden);
}

TEST_CASE("SequenceModel: torch-like parameter names and shapes, initialisation from the seed") {
  SequenceModel gru(tiny_config(SequenceKind::gru, 5, 4));
  std::vector<std::string> expected{"projection.weight", "projection.bias"};
  for (const std::string layer : {"l0", "l1"}) {
    for (const std::string suffix : {"", "_reverse"}) {
      for (const std::string name : {"weight_ih_", "weight_hh_", "bias_ih_", "bias_hh_"}) {
        expected.push_back("gru." + name + layer + suffix);
      }
    }
  }
  expected.insert(expected.end(), {"head.weight", "head.bias"});
  std::vector<std::string> names;
  for (const auto& [name, parameter] : gru.named_parameters()) names.push_back(name);
  CHECK(names == expected);
  CHECK(gru.projection->weight.shape() == Shape{5, 4});
  CHECK(gru.gru->layers[1].forward.weight_ih.shape() == Shape{12, 8});
  CHECK(gru.head->weight.shape() == Shape{3, 8});

  SequenceModel tcn(tiny_config(SequenceKind::tcn, 5, 4));
  names.clear();
  for (const auto& [name, parameter] : tcn.named_parameters()) names.push_back(name);
  CHECK(names == std::vector<std::string>{"projection.weight", "projection.bias", "tcn.0.weight",
                                          "tcn.0.bias", "tcn.1.weight", "tcn.1.bias",
                                          "tcn.2.weight", "tcn.2.bias", "head.weight",
                                          "head.bias"});
  CHECK(tcn.tcn->convs[0]->weight.shape() == Shape{4, 5, 5});
  CHECK(tcn.tcn->convs[1]->weight.shape() == Shape{4, 3, 4});
  CHECK(tcn.tcn->convs[0]->dilation == 1);
  CHECK(tcn.tcn->convs[1]->dilation == 2);
  CHECK(tcn.tcn->convs[2]->dilation == 4);
  CHECK(tcn.head->weight.shape() == Shape{3, 4});

  SequenceModel same(tiny_config(SequenceKind::tcn, 5, 4));
  SequenceModelConfig reseeded = tiny_config(SequenceKind::tcn, 5, 4);
  reseeded.seed = 8;
  SequenceModel other(reseeded);
  const auto parameters = tcn.parameters(), same_parameters = same.parameters();
  for (std::size_t i = 0; i < parameters.size(); ++i) {
    CHECK(parameters[i].to_vector() == same_parameters[i].to_vector());
  }
  CHECK(parameters[0].to_vector() != other.parameters()[0].to_vector());
}

TEST_CASE("SequenceModel: bad configs, features and kind names are refused with the reason") {
  SequenceModelConfig no_inputs = tiny_config(SequenceKind::gru, 5, 4);
  no_inputs.input_features = 0;
  CHECK_THROWS_WITH_AS(SequenceModel{no_inputs}, doctest::Contains("must be positive"), Error);
  SequenceModel model(tiny_config(SequenceKind::gru, 5, 4));
  Random g(50);
  CHECK_THROWS_WITH_AS(model.forward(random_tensor(Shape{2, 3, 5}, g), {3, 3}),
                       doctest::Contains("features must be [series, slices, 4]"), Error);
  CHECK_THROWS_WITH_AS(model.forward(random_tensor(Shape{2, 3, 4}, g), {3, 4}),
                       doctest::Contains("outside 1..3"), Error);
  CHECK(parse_sequence_kind("tcn") == SequenceKind::tcn);
  CHECK_THROWS_WITH_AS(parse_sequence_kind("lstm"), doctest::Contains("\"gru\" or \"tcn\""), Error);
}

TEST_CASE("SequenceModel: a series padded (with NaN) into a batch gives its outputs alone") {
  for (const SequenceModelConfig& config : tiny_configs()) {
    CAPTURE(describe(config));
    SequenceModel model(config);
    const int length = 6, steps = 10, features = config.input_features;
    const std::vector<int> lengths{steps, length, 1};
    Random g(51);
    Tensor series = random_tensor(Shape{1, length, features}, g);
    Tensor batch = random_tensor(Shape{3, steps, features}, g);
    place_rows(series.to_vector(), features, 1, batch);
    poison_padding(batch, lengths);
    series.set_requires_grad(true);
    batch.set_requires_grad(true);

    const Tensor alone = model.forward(series, {length});
    Tensor projection_alone = random_tensor(alone.shape(), g);
    Tensor projection_batch = random_tensor(Shape{3, steps, config.outputs}, g);
    place_rows(projection_alone.to_vector(), config.outputs, 1, projection_batch);
    sum(mul(alone, projection_alone)).backward();
    model.zero_grad();
    const Tensor padded = model.forward(batch, lengths);
    sum(mul(padded, projection_batch)).backward();

    // Equal but for the GEMM's rounding where its blocking depends on the number of rows (see
    // tests/engine/sequence_test.cpp's kSameArithmetic); a leak of the NaN padding would show.
    CHECK(max_abs_difference(real_rows(padded, 1, length), alone.to_vector()) <= 1e-6);
    CHECK(max_abs_difference(real_rows(batch.grad(), 1, length), series.grad().to_vector()) <=
          1e-6);
    const std::vector<float> outputs = padded.to_vector(), grads = batch.grad().to_vector();
    for (int n = 0; n < 3; ++n) {
      for (int t = lengths[n]; t < steps; ++t) {
        for (int k = 0; k < config.outputs; ++k) {
          CHECK(outputs[(n * steps + t) * config.outputs + k] == 0.0f);
        }
        for (int k = 0; k < features; ++k) CHECK(grads[(n * steps + t) * features + k] == 0.0f);
      }
    }
    for (const auto& [name, parameter] : model.named_parameters()) {
      CAPTURE(name);
      for (const float value : parameter.grad().to_vector()) REQUIRE(std::isfinite(value));
    }
  }
}

TEST_CASE("SequenceModel: shuffling a series' slices changes its outputs (it uses the order)") {
  NoGradGuard no_grad;
  const std::vector<int> order{3, 0, 6, 1, 5, 2, 4};  // slice i of the shuffled series is order[i]
  const int length = static_cast<int>(order.size());
  for (const SequenceModelConfig& config : tiny_configs()) {
    CAPTURE(describe(config));
    SequenceModel model(config);
    Random g(52);
    const Tensor series = random_tensor(Shape{1, length, config.input_features}, g);
    const std::vector<float> rows = series.to_vector();
    Tensor shuffled = Tensor::empty(series.shape());
    for (int i = 0; i < length; ++i) {
      std::copy_n(rows.begin() + order[i] * config.input_features, config.input_features,
                  shuffled.data() + i * config.input_features);
    }
    const std::vector<float> y = model.forward(series, {length}).to_vector();
    const std::vector<float> y_shuffled = model.forward(shuffled, {length}).to_vector();
    std::vector<float> y_restored(y.size());
    for (int i = 0; i < length; ++i) {
      std::copy_n(y_shuffled.begin() + i * config.outputs, config.outputs,
                  y_restored.begin() + order[i] * config.outputs);
    }
    CHECK(max_abs_difference(y, y_restored) > 1e-3);
  }
}

TEST_CASE("SequenceModel: gradients of the input and every parameter match finite differences") {
  for (const SequenceModelConfig& config : tiny_configs()) {
    CAPTURE(describe(config));
    SequenceModel model(config);
    Random g(53);
    Tensor x = random_tensor(Shape{2, 5, config.input_features}, g).set_requires_grad(true);
    const std::vector<int> lengths{5, 3};
    std::vector<Tensor> inputs{x};
    for (const Tensor& parameter : model.parameters()) inputs.push_back(parameter);
    check_gradients([&](const auto&) { return model.forward(x, lengths); }, inputs);
  }
}

TEST_CASE("flatten_steps and real_step_weights lay a padded batch out for the loss") {
  Random g(54);
  const Tensor logits = random_tensor(Shape{2, 3, 4}, g);
  const Tensor rows = flatten_steps(logits);
  CHECK(rows.shape() == Shape{6, 4});
  CHECK(rows.to_vector() == logits.to_vector());
  CHECK(real_step_weights({3, 1}, 3).to_vector() == std::vector<float>{1, 1, 1, 1, 0, 0});
  CHECK_THROWS_WITH_AS(real_step_weights({3, 4}, 3), doctest::Contains("outside 1..3"), Error);
}

// ---- a toy context task ----

// Series of 6..12 slices with 3 features each, all independent N(0, 1); feature 0 is the signal.
// A slice's label is 1 when the signals of its two neighbours (a missing one counts 0) sum above
// 0: half the labels are 1, and a slice's own features say nothing about its label.
struct ToyBatch {
  Tensor features;           // [N, T, 3], NaN at padding
  std::vector<int> lengths;  // N values in 6..12
  Tensor targets;            // [N T, 1], 0 at padding
  Tensor row_weight;         // [N T]: 1 at real slices
};

constexpr int kToySteps = 12, kToyFeatures = 3;

ToyBatch toy_batch(Random& g, int series) {
  ToyBatch batch;
  batch.features = Tensor::empty(Shape{series, kToySteps, kToyFeatures});
  batch.targets = Tensor::zeros(Shape{series * kToySteps, 1});
  for (int n = 0; n < series; ++n) batch.lengths.push_back(g.integer(6, kToySteps));
  for (int64_t i = 0; i < batch.features.numel(); ++i) {
    batch.features.data()[i] = static_cast<float>(g.normal());
  }
  poison_padding(batch.features, batch.lengths);
  const float* x = batch.features.data();
  for (int n = 0; n < series; ++n) {
    const auto signal = [&](int t) {
      return t >= 0 && t < batch.lengths[n] ? x[(n * kToySteps + t) * kToyFeatures] : 0.0f;
    };
    for (int t = 0; t < batch.lengths[n]; ++t) {
      batch.targets.data()[n * kToySteps + t] = signal(t - 1) + signal(t + 1) > 0.0f ? 1.0f : 0.0f;
    }
  }
  batch.row_weight = real_step_weights(batch.lengths, kToySteps);
  return batch;
}

// A model's logits for a batch, as flatten_steps lays them out: [N T, 1].
using ToyModel = std::function<Tensor(const ToyBatch&)>;

struct ToyResult {
  float final_loss;  // the mean training loss of the last 20 steps
  double accuracy;   // on 100 unseen series
};

// Trains `model` (parameters `parameters`) with Adam (lr 0.01) for `steps` steps of 16 series,
// the loss over real slices only, then measures its accuracy on the real slices of new series.
ToyResult train_on_toy_task(const ToyModel& model, const std::vector<NamedTensor>& parameters,
                            int steps) {
  Random g(2019);
  kernels::AdamHyper hyper;
  hyper.lr = 0.01f;
  Adam adam(parameters, hyper);
  ToyResult result{0.0f, 0.0};
  for (int step = 0; step < steps; ++step) {
    const ToyBatch batch = toy_batch(g, 16);
    adam.zero_grad();
    BceOptions options;
    options.row_weight = batch.row_weight;
    const Tensor loss = binary_cross_entropy_with_logits(model(batch), batch.targets, options);
    loss.backward();
    adam.step();
    if (step >= steps - 20) result.final_loss += loss.item() / 20;
  }
  NoGradGuard no_grad;
  const ToyBatch test = toy_batch(g, 100);
  const std::vector<float> logits = model(test).to_vector(), truth = test.targets.to_vector();
  const std::vector<float> real = test.row_weight.to_vector();
  int correct = 0, total = 0;
  for (std::size_t i = 0; i < logits.size(); ++i) {
    if (real[i] == 0.0f) continue;
    correct += (logits[i] > 0.0f) == (truth[i] > 0.5f);
    ++total;
  }
  result.accuracy = static_cast<double>(correct) / total;
  return result;
}

TEST_CASE("on a toy context task the sequence model is near perfect, a per-slice model at chance") {
  constexpr int kSteps = 300;
  Random g(55);
  // A linear model of each slice's own features: a kernel-1 temporal convolution, which like the
  // sequence model never reads the padding.
  TemporalConv1d per_slice(kToyFeatures, 1, 1, 1, true, g);
  const ToyResult baseline = train_on_toy_task(
      [&](const ToyBatch& batch) {
        return flatten_steps(per_slice.forward(batch.features, batch.lengths));
      },
      per_slice.named_parameters(), kSteps);
  std::printf("toy context task, per-slice linear: final loss %.3f, accuracy %.3f\n",
              baseline.final_loss, baseline.accuracy);
  CHECK(baseline.accuracy < 0.6);
  CHECK(baseline.final_loss > 0.65f);

  for (const SequenceKind kind : {SequenceKind::gru, SequenceKind::tcn}) {
    SequenceModelConfig config;
    config.input_features = kToyFeatures;
    config.projected_features = 16;
    config.kind = kind;
    config.hidden = 16;
    config.outputs = 1;
    config.seed = 11;
    SequenceModel model(config);
    const ToyResult result = train_on_toy_task(
        [&](const ToyBatch& batch) {
          return flatten_steps(model.forward(batch.features, batch.lengths));
        },
        model.named_parameters(), kSteps);
    std::printf("toy context task, sequence model %s: final loss %.3f, accuracy %.3f\n",
                sequence_kind_name(kind).c_str(), result.final_loss, result.accuracy);
    CAPTURE(sequence_kind_name(kind));
    CHECK(result.accuracy > 0.9);
    CHECK(result.final_loss < 0.3f);
  }
}

// ---- checkpoints and parity with PyTorch ----

TEST_CASE("SequenceModel: a checkpoint saved and loaded into a fresh model gives its outputs") {
  const auto dir = std::filesystem::temp_directory_path() / "ihd_model_tests" / "sequence";
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "sequence_model.safetensors").string();
  NoGradGuard no_grad;
  for (const SequenceModelConfig& config : tiny_configs()) {
    CAPTURE(describe(config));
    SequenceModel saved(config);
    SequenceModelConfig reseeded = config;
    reseeded.seed = config.seed + 1;
    SequenceModel loaded(reseeded);
    save_weights(saved, path);
    load_weights(loaded, path);
    Random g(56);
    const Tensor x = random_tensor(Shape{2, 6, config.input_features}, g);
    CHECK(loaded.forward(x, {6, 4}).to_vector() == saved.forward(x, {6, 4}).to_vector());
  }
}

TEST_CASE("SequenceModel (gru) loads PyTorch's state_dict and matches its outputs and gradients") {
  const std::string fixtures = std::string(IHD_TEST_FIXTURES_DIR) + "/model/";
  const SafetensorsFile reference =
      read_safetensors(fixtures + "sequence_gru.reference.safetensors");
  const auto& m = reference.metadata;
  SequenceModelConfig config;
  config.input_features = std::stoi(m.at("input_features"));
  config.projected_features = std::stoi(m.at("projected_features"));
  config.kind = parse_sequence_kind(m.at("kind"));
  config.hidden = std::stoi(m.at("hidden"));
  config.layers = std::stoi(m.at("layers"));
  config.outputs = std::stoi(m.at("outputs"));
  SequenceModel model(config);
  load_weights(model, fixtures + "sequence_gru.weights.safetensors");

  Tensor x = reference.at("input").to_tensor().set_requires_grad(true);
  const Tensor lengths_tensor = reference.at("lengths").to_tensor();
  const std::vector<int> lengths(lengths_tensor.data_i64(),
                                 lengths_tensor.data_i64() + lengths_tensor.numel());
  const Tensor y = model.forward(x, lengths);
  sum(mul(y, reference.at("projection").to_tensor())).backward();
  const auto check_against_torch = [&](const std::string& key, const Tensor& ours) {
    const SafetensorsEntry& truth = reference.at("f64." + key);
    REQUIRE(ours.shape() == truth.shape);
    const double error = relative_error(ours.to_vector(), truth.to_doubles());
    std::printf("torch parity sequence_gru %-32s relative error %.3g\n", key.c_str(), error);
    CAPTURE(key);
    CHECK(error <= kTorchParityTolerance);
  };
  check_against_torch("output", y);
  check_against_torch("grad.input", x.grad());
  for (const auto& [name, parameter] : model.named_parameters()) {
    check_against_torch("grad." + name, parameter.grad());
  }
}

}  // namespace
}  // namespace ihd
