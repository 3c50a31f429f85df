// The op cases' shared machinery: the one list, seeded inputs, the backward through a fixed
// random projection, and the helpers the case files build inputs with.
#include "op_case.h"

#include <limits>
#include <set>

#include "common/error.h"
#include "engine/autograd.h"

namespace ihd::op_cases {
namespace {

// FNV-1a of the text: a seed that depends on the case alone, not on its place in the list.
uint32_t seed_of(const std::string& text) {
  uint32_t hash = 2166136261u;
  for (const char c : text) hash = (hash ^ static_cast<unsigned char>(c)) * 16777619u;
  return hash;
}

std::vector<float> uniform_values(int64_t n, float low, float high, std::mt19937& engine) {
  std::uniform_real_distribution<float> distribution(low, high);
  std::vector<float> values(static_cast<std::size_t>(n));
  for (float& value : values) value = distribution(engine);
  return values;
}

std::vector<OpCase> build_all() {
  std::vector<OpCase> cases;
  add_arithmetic_cases(cases);
  add_convolution_cases(cases);
  add_batch_norm_cases(cases);
  add_pooling_cases(cases);
  add_linear_and_loss_cases(cases);
  add_sequence_cases(cases);
  add_optimizer_cases(cases);
  std::set<std::string> names;
  for (const OpCase& op_case : cases) {
    IHD_CHECK(names.insert(op_case.name).second, "two op cases are named ", op_case.name);
  }
  return cases;
}

}  // namespace

const std::vector<OpCase>& all_op_cases() {
  static const std::vector<OpCase> cases = build_all();
  return cases;
}

std::vector<Tensor> make_inputs(const OpCase& op_case, DType activation_type, Device device) {
  std::mt19937 engine(seed_of(op_case.name));
  std::vector<Tensor> inputs;
  for (const OpInput& input : op_case.inputs) {
    std::vector<float> values =
        input.values ? input.values(engine)
                     : uniform_values(input.shape.numel(), input.low, input.high, engine);
    IHD_CHECK(static_cast<int64_t>(values.size()) == input.shape.numel(), op_case.name,
              ": an input generator gave ", values.size(), " values for ", input.shape.to_string());
    Tensor tensor = Tensor::from_vector(input.shape, values);
    if (input.takes_mode_type()) tensor = cast(tensor, activation_type);
    tensor = tensor.to(device);
    if (input.gets_gradient()) tensor.set_requires_grad(true);
    inputs.push_back(tensor);
  }
  return inputs;
}

Tensor projected_loss(const OpCase& op_case, const std::vector<Tensor>& outputs,
                      bool differentiable_only, std::vector<Tensor>* projections) {
  std::vector<Tensor> drawn;
  std::vector<Tensor>& r = projections != nullptr ? *projections : drawn;
  if (r.size() != outputs.size()) {
    // One R_i for every output, so that R_i does not depend on which others take part.
    std::mt19937 engine(seed_of(op_case.name + " projection"));
    r.clear();
    for (const Tensor& output : outputs) {
      r.push_back(Tensor::from_vector(
          output.shape(), uniform_values(output.numel(), -1.0f, 1.0f, engine), output.device()));
    }
  }
  Tensor loss;
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    if (differentiable_only && !outputs[i].requires_grad()) continue;
    const Tensor term = sum(mul(cast(outputs[i], DType::f32), r[i]));
    loss = loss.defined() ? add(loss, term) : term;
  }
  return loss;
}

std::vector<Tensor> run_forward_and_backward(const OpCase& op_case,
                                             const std::vector<Tensor>& inputs,
                                             std::vector<Tensor>* projections) {
  std::vector<Tensor> outputs = op_case.run(inputs);
  const Tensor loss = projected_loss(op_case, outputs, true, projections);
  if (loss.defined()) loss.backward();
  return outputs;
}

std::string dims(const Shape& shape) {
  std::string text;
  for (int d = 0; d < shape.rank(); ++d) {
    if (d > 0) text += 'x';
    text += std::to_string(shape[d]);
  }
  return text;
}

std::function<std::vector<float>(std::mt19937&)> padded_series(std::vector<int> lengths, int steps,
                                                               int64_t width, float low,
                                                               float high) {
  return [lengths = std::move(lengths), steps, width, low, high](std::mt19937& engine) {
    std::vector<float> values =
        uniform_values(static_cast<int64_t>(lengths.size()) * steps * width, low, high, engine);
    for (std::size_t n = 0; n < lengths.size(); ++n) {
      for (int t = lengths[n]; t < steps; ++t) {
        for (int64_t k = 0; k < width; ++k) {
          values[(n * steps + t) * width + k] = std::numeric_limits<float>::quiet_NaN();
        }
      }
    }
    return values;
  };
}

std::vector<int> series_lengths(int batch, int steps, unsigned seed) {
  std::mt19937 engine(seed);
  std::uniform_int_distribution<int> length(1, steps);
  std::vector<int> lengths(static_cast<std::size_t>(batch), steps);
  for (std::size_t n = 1; n < lengths.size(); ++n) lengths[n] = length(engine);
  return lengths;
}

}  // namespace ihd::op_cases
