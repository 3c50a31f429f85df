// Op cases of the sequence ops on padded batches: the bidirectional GRU layer and the dilated
// temporal convolution. The first series of each batch is full length, the others draw theirs
// from 1..steps; the padding holds NaN, which an op must never read. float32 only.
// Tolerance 1e-9: matrix products summed in another order, and a GRU's recurrence carries each
// step's rounding into the next (its gates use expf and tanhf on the GPU, std::exp and std::tanh
// on the CPU).
#include "op_case.h"

namespace ihd::op_cases {
namespace {

constexpr double kProduct = 1e-9;

struct Gru {
  int batch, steps, input_size, hidden_size;
};
constexpr Gru kGrus[] = {
    {1, 1, 3, 2},       // one step, batch 1
    {3, 7, 5, 4},       // odd sizes, masked tails
    {5, 13, 33, 17},    // hidden size not a multiple of 8
    {8, 24, 256, 128},  // the study model: 24 slices of 256-feature embeddings
    {2, 60, 512, 64},   // long series
};

struct TemporalConv {
  int batch, steps, in_channels, out_channels, kernel, dilation;
};
constexpr TemporalConv kTemporalConvs[] = {
    {1, 1, 3, 2, 3, 1},       // one step, batch 1
    {3, 9, 5, 7, 3, 2},       // odd sizes, dilation 2
    {2, 8, 4, 3, 5, 4},       // taps past both ends of every series
    {8, 24, 256, 256, 3, 1},  // study-model shapes
    {8, 24, 256, 256, 5, 4},  // dilated
};

// x's role: a parameter (float32, with a gradient) or a constant (the backward without dx).
OpCase gru_case(const Gru& g, std::vector<int> lengths, bool input_gradient, unsigned uses) {
  const int64_t gate_rows = 3 * g.hidden_size;
  OpCase op_case{.family = "sequence",
                 .name = std::string("gru_bidirectional ") + (input_gradient ? "" : "without dx ") +
                         "x " + std::to_string(g.batch) + "x" + std::to_string(g.steps) + "x" +
                         std::to_string(g.input_size) + ", hidden " + std::to_string(g.hidden_size),
                 .inputs = {{Shape{g.batch, g.steps, g.input_size},
                             input_gradient ? Role::parameter : Role::constant, -1.0f, 1.0f,
                             padded_series(lengths, g.steps, g.input_size)}},
                 .uses = uses,
                 .float32_tolerance = kProduct};
  for (int direction = 0; direction < 2; ++direction) {
    op_case.inputs.push_back({Shape{gate_rows, g.input_size}, Role::parameter, -0.5f, 0.5f});
    // With one step the recurrent weights meet only h0 = 0: their gradient is exactly zero,
    // which a finite-difference check cannot measure against.
    op_case.inputs.push_back({Shape{gate_rows, g.hidden_size},
                              g.steps > 1 ? Role::parameter : Role::constant, -0.5f, 0.5f});
    op_case.inputs.push_back({Shape{gate_rows}, Role::parameter, -0.5f, 0.5f});
    op_case.inputs.push_back({Shape{gate_rows}, Role::parameter, -0.5f, 0.5f});
  }
  op_case.run = [lengths = std::move(lengths)](const std::vector<Tensor>& in) {
    return std::vector{gru_bidirectional(in[0], lengths, GruWeights{in[1], in[2], in[3], in[4]},
                                         GruWeights{in[5], in[6], in[7], in[8]})};
  };
  return op_case;
}

OpCase temporal_conv_case(const TemporalConv& c, std::vector<int> lengths, bool bias,
                          bool input_gradient, unsigned uses) {
  OpCase op_case{
      .family = "sequence",
      .name = std::string("temporal_conv1d ") + (bias ? "" : "without bias ") +
              (input_gradient ? "" : "without dx ") + "x " + std::to_string(c.batch) + "x" +
              std::to_string(c.steps) + "x" + std::to_string(c.in_channels) + ", w " +
              std::to_string(c.out_channels) + "x" + std::to_string(c.kernel) + "x" +
              std::to_string(c.in_channels) + ", dilation " + std::to_string(c.dilation),
      .inputs = {{Shape{c.batch, c.steps, c.in_channels},
                  input_gradient ? Role::parameter : Role::constant, -1.0f, 1.0f,
                  padded_series(lengths, c.steps, c.in_channels)},
                 {Shape{c.out_channels, c.kernel, c.in_channels}, Role::parameter, -0.5f, 0.5f}},
      .uses = uses,
      .float32_tolerance = kProduct};
  if (bias) op_case.inputs.push_back({Shape{c.out_channels}, Role::parameter});
  op_case.run = [lengths = std::move(lengths),
                 dilation = c.dilation](const std::vector<Tensor>& in) {
    return std::vector{
        temporal_conv1d(in[0], lengths, in[1], in.size() > 2 ? in[2] : Tensor(), dilation)};
  };
  return op_case;
}

}  // namespace

void add_sequence_cases(std::vector<OpCase>& cases) {
  unsigned seed = 1;
  // The study model's shapes are also the performance cases.
  for (const Gru& g : kGrus) {
    const unsigned uses = &g == &kGrus[3] ? kBackends | kPerformance : kBackends;
    cases.push_back(gru_case(g, series_lengths(g.batch, g.steps, seed++), true, uses));
  }
  cases.push_back(gru_case(kGrus[1], series_lengths(3, 7, seed++), false, kBackends));
  // The finite-difference cases: masked tails, a series of length 1 beside a full one, one step
  // and batch 1, batch 1 without padding.
  cases.push_back(gru_case({3, 5, 4, 3}, {5, 2, 3}, true, kGradients));
  cases.push_back(gru_case({2, 4, 3, 2}, {1, 4}, true, kGradients));
  cases.push_back(gru_case({1, 1, 2, 2}, {1}, true, kGradients));
  cases.push_back(gru_case({1, 6, 3, 4}, {6}, true, kGradients));

  for (const TemporalConv& c : kTemporalConvs) {
    const unsigned uses = &c == &kTemporalConvs[3] ? kBackends | kPerformance : kBackends;
    cases.push_back(
        temporal_conv_case(c, series_lengths(c.batch, c.steps, seed++), true, true, uses));
  }
  cases.push_back(
      temporal_conv_case(kTemporalConvs[1], series_lengths(3, 9, seed++), false, false, kBackends));
  cases.push_back(temporal_conv_case({3, 7, 4, 5, 3, 1}, {7, 3, 1}, true, true, kGradients));
  cases.push_back(temporal_conv_case({2, 9, 3, 2, 3, 2}, {9, 5}, true, true, kGradients));
  cases.push_back(temporal_conv_case({2, 8, 2, 3, 5, 4}, {8, 6}, false, true, kGradients));
  cases.push_back(temporal_conv_case({1, 1, 3, 2, 5, 1}, {1}, true, true, kGradients));
  cases.push_back(temporal_conv_case({1, 6, 5, 4, 5, 2}, {6}, true, true, kGradients));
}

}  // namespace ihd::op_cases
