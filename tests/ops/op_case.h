// An op case: one engine op (engine/ops.h) at one set of shapes, with its input generator, the
// call, and a tolerance per element type. One list of cases (all_op_cases, op_cases.cpp) is used
// three ways, as ggml's test-backend-ops does:
//   - op_backends_test.cpp runs each case on the CPU and on CUDA from the same inputs, in float32
//     and (where the op has a bfloat16 form) in bfloat16, forward and backward, and compares
//     every output, every input gradient and every input after the call (in-place updates:
//     running statistics, optimizer steps) by normalised error;
//   - op_gradients_test.cpp checks the backward of the small cases against central finite
//     differences on the CPU;
//   - bench/bench_ops.cpp times the performance cases' forward and forward + backward on each
//     backend, with the GB/s of the bytes their inputs and outputs hold and their FLOP/s.
// Adding an op: its kernel contract (kernels/<family>.h), the CPU and CUDA implementations, the
// engine op, and its cases in the family's op_cases_<family>.cpp.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "engine/ops.h"

namespace ihd::op_cases {

// What an input is to its op. An activation takes the mode's element type (bfloat16 in the
// bfloat16 mode) and gets a gradient; an inference activation takes the mode's type and gets none
// (the inputs of ops outside autograd); a parameter stays float32 and gets a gradient; a constant
// stays float32 and gets none (targets, loss weights, running statistics).
enum class Role { activation, inference_activation, parameter, constant };

struct OpInput {
  Shape shape = {};
  Role role = Role::activation;
  bool takes_mode_type() const {
    return role == Role::activation || role == Role::inference_activation;
  }
  bool gets_gradient() const { return role == Role::activation || role == Role::parameter; }
  float low = -1.0f;  // values uniform in [low, high]...
  float high = 1.0f;
  // ...or these, when given: all numel() values, from the case's random engine.
  std::function<std::vector<float>(std::mt19937&)> values = {};
};

// The modes a case takes part in.
enum Use : unsigned {
  kBackends = 1u,     // CPU against CUDA (op_backends_test.cpp)
  kGradients = 2u,    // finite differences (op_gradients_test.cpp): small inputs only
  kPerformance = 4u,  // bench/bench_ops.cpp: real layer shapes
};

struct OpCase {
  std::string family = {};  // "convolution", "batch norm", ...: the tests' grouping
  std::string name =
      {};  // the op and its shapes, unique: "conv2d x 2x56x56x64, w 64x3x3x64, /1 p1"
  std::vector<OpInput> inputs = {};
  // The op on `inputs` (all on one device, activations in the mode's type); returns its outputs.
  // An output that requires a gradient takes part in the backward.
  std::function<std::vector<Tensor>(const std::vector<Tensor>&)> run = {};
  unsigned uses = kBackends;
  // Largest normalised error sum (cpu - cuda)^2 / sum cpu^2 of any output, gradient or updated
  // input, in float32 (TF32 off) and in bfloat16; no bfloat16 value: the op is float32 only.
  double float32_tolerance = 1e-12;
  std::optional<double> bfloat16_tolerance = {};
  double flops = 0.0;  // of one forward call, for the performance mode (0: memory-bound)
};

// Every case, in family order; names are unique.
const std::vector<OpCase>& all_op_cases();

// The case's inputs on `device`, drawn on the host from a seed made of the case's name (the same
// values on every device and in every run); activations cast to `activation_type`. Inputs that
// get gradients require them.
std::vector<Tensor> make_inputs(const OpCase& op_case, DType activation_type, Device device);

// L = sum_i sum(float32(output_i) * R_i) over the outputs (those that require a gradient only,
// if `differentiable_only`), R_i fixed random tensors of values in [-1, 1], the same on every
// device; undefined when no output takes part. `projections`, when given, keeps the R_i between
// calls (drawn on the first; a benchmark's repeated calls then draw none).
Tensor projected_loss(const OpCase& op_case, const std::vector<Tensor>& outputs,
                      bool differentiable_only, std::vector<Tensor>* projections = nullptr);
// Runs the case and, when any output requires a gradient, the backward of its projected loss.
std::vector<Tensor> run_forward_and_backward(const OpCase& op_case,
                                             const std::vector<Tensor>& inputs,
                                             std::vector<Tensor>* projections = nullptr);

// ---- helpers for the case files ----

// "2x56x56x64".
std::string dims(const Shape& shape);
// Values uniform in [low, high], with the positions at or past each series' length set to NaN
// (the padding of a [batch, steps, width] sequence batch, which an op must never read).
std::function<std::vector<float>(std::mt19937&)> padded_series(std::vector<int> lengths, int steps,
                                                               int64_t width, float low = -1.0f,
                                                               float high = 1.0f);
// Series lengths for a batch: the first full, the others drawn from 1..steps by `seed`.
std::vector<int> series_lengths(int batch, int steps, unsigned seed);

// Each family's cases (op_cases_<family>.cpp).
void add_arithmetic_cases(std::vector<OpCase>& cases);
void add_convolution_cases(std::vector<OpCase>& cases);
void add_batch_norm_cases(std::vector<OpCase>& cases);
void add_pooling_cases(std::vector<OpCase>& cases);
void add_linear_and_loss_cases(std::vector<OpCase>& cases);
void add_sequence_cases(std::vector<OpCase>& cases);
void add_optimizer_cases(std::vector<OpCase>& cases);

}  // namespace ihd::op_cases
