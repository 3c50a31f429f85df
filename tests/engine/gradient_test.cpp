// Every op's backward pass against central finite differences, on small random inputs with odd
// sizes, stride 2, padding and batch 1; the sequence ops on padded batches with masked tails,
// length 1, one step and batch 1.
#include "test_util.h"

namespace ihd {
using testing::check_gradients;
using testing::random_leaf;
using testing::random_tensor;

TEST_CASE("add, mul, scale, sum, mean, reshape: gradients match finite differences") {
  Random g(1);
  Tensor a = random_leaf(Shape{3, 5}, g), b = random_leaf(Shape{3, 5}, g);
  check_gradients([](const auto& in) { return add(in[0], in[1]); }, {a, b});
  a.zero_grad(), b.zero_grad();
  check_gradients([](const auto& in) { return mul(in[0], in[1]); }, {a, b});
  a.zero_grad();
  check_gradients([](const auto& in) { return scale(in[0], -2.5f); }, {a});
  a.zero_grad();
  check_gradients([](const auto& in) { return reshape(mean(in[0]), Shape{1}); }, {a});
  a.zero_grad();
  check_gradients([](const auto& in) { return reshape(sum(in[0]), Shape{1}); }, {a});
  a.zero_grad();
  check_gradients([](const auto& in) { return flatten(reshape(in[0], Shape{3, 1, 5})); }, {a});
}

TEST_CASE("relu and sigmoid: gradients match finite differences") {
  Random g(2);
  Tensor x = random_leaf(Shape{4, 7}, g);
  check_gradients([](const auto& in) { return relu(in[0]); }, {x});
  x.zero_grad();
  check_gradients([](const auto& in) { return sigmoid(in[0]); }, {x});
}

TEST_CASE("conv2d: gradients of input, weight and bias match finite differences") {
  struct Case {
    Shape input, weight;
    int stride, padding;
    bool bias;
  };
  const Case cases[] = {
      {{2, 5, 6, 3}, {4, 3, 3, 3}, 1, 1, false},  // 3x3 same padding
      {{1, 7, 5, 2}, {3, 3, 3, 2}, 2, 1, true},   // stride 2, batch 1, odd sizes
      {{2, 4, 4, 5}, {6, 1, 1, 5}, 1, 0, false},  // pointwise (GEMM path)
      {{2, 5, 5, 3}, {2, 1, 1, 3}, 2, 0, false},  // strided 1x1 (downsample shortcut)
      {{1, 9, 8, 1}, {2, 7, 7, 1}, 2, 3, false},  // the ResNet stem's 7x7/2
  };
  for (const Case& c : cases) {
    CAPTURE(c.input.to_string());
    CAPTURE(c.weight.to_string());
    Random g(3);
    Tensor x = random_leaf(c.input, g);
    Tensor w = random_leaf(c.weight, g, 0.5f);
    Tensor b = c.bias ? random_leaf(Shape{c.weight[0]}, g) : Tensor();
    const Conv2dOptions options{c.stride, c.padding};
    check_gradients([&](const auto& in) { return conv2d(in[0], in[1], in[2], options); },
                    {x, w, b});
  }
}

TEST_CASE("batch_norm: gradients in training and evaluation, with residual and ReLU") {
  for (bool training : {true, false}) {
    for (bool fused : {false, true}) {
      CAPTURE(training);
      CAPTURE(fused);
      Random g(4);
      Tensor x = random_leaf(Shape{3, 3, 2, 5}, g, 2.0f);
      Tensor weight = random_leaf(Shape{5}, g);
      Tensor bias = random_leaf(Shape{5}, g);
      Tensor residual = fused ? random_leaf(Shape{3, 3, 2, 5}, g) : Tensor();
      Tensor running_mean = random_tensor(Shape{5}, g);
      Tensor running_var = Tensor::full(Shape{5}, 1.5f);
      BatchNormOptions options;
      options.training = training;
      options.relu = fused;
      check_gradients(
          [&](const auto& in) {
            return batch_norm(in[0], in[1], in[2], running_mean, running_var, options, in[3]);
          },
          {x, weight, bias, residual});
    }
  }
}

TEST_CASE("batch_norm on [N, C] input: gradients match finite differences") {
  Random g(5);
  Tensor x = random_leaf(Shape{6, 4}, g);
  Tensor weight = random_leaf(Shape{4}, g), bias = random_leaf(Shape{4}, g);
  Tensor running_mean = Tensor::zeros(Shape{4}), running_var = Tensor::full(Shape{4}, 1.0f);
  check_gradients(
      [&](const auto& in) {
        return batch_norm(in[0], in[1], in[2], running_mean, running_var, BatchNormOptions{});
      },
      {x, weight, bias});
}

TEST_CASE("max_pool2d and global_avg_pool: gradients match finite differences") {
  Random g(6);
  Tensor x = random_leaf(Shape{2, 7, 6, 3}, g);
  check_gradients([](const auto& in) { return max_pool2d(in[0], MaxPool2dOptions{}); }, {x});
  x.zero_grad();
  check_gradients([](const auto& in) { return max_pool2d(in[0], MaxPool2dOptions{2, 2, 0}); }, {x});
  x.zero_grad();
  check_gradients([](const auto& in) { return global_avg_pool(in[0]); }, {x});
}

TEST_CASE("linear: gradients of input, weight and bias match finite differences") {
  Random g(7);
  Tensor x = random_leaf(Shape{3, 6}, g);
  Tensor w = random_leaf(Shape{4, 6}, g), b = random_leaf(Shape{4}, g);
  check_gradients([](const auto& in) { return linear(in[0], in[1], in[2]); }, {x, w, b});
}

TEST_CASE("gru_bidirectional: gradients of input and both directions' weights") {
  struct Case {
    int batch, steps, input_size, hidden_size;
    std::vector<int> lengths;
  };
  const Case cases[] = {
      {3, 5, 4, 3, {5, 2, 3}},  // odd lengths, masked tails
      {2, 4, 3, 2, {1, 4}},     // a series of length 1 beside a full one
      {1, 1, 2, 2, {1}},        // one step, batch 1
      {1, 6, 3, 4, {6}},        // batch 1, no padding
  };
  for (const Case& c : cases) {
    CAPTURE(c.batch);
    CAPTURE(c.steps);
    CAPTURE(c.hidden_size);
    Random g(9);
    const int gate_rows = 3 * c.hidden_size;
    std::vector<Tensor> inputs{random_leaf(Shape{c.batch, c.steps, c.input_size}, g)};
    for (int direction = 0; direction < 2; ++direction) {
      inputs.push_back(random_leaf(Shape{gate_rows, c.input_size}, g, 0.5f));
      // With one step the recurrent weights meet only h0 = 0: their gradient is exactly zero.
      Tensor weight_hh = random_leaf(Shape{gate_rows, c.hidden_size}, g, 0.5f);
      inputs.push_back(weight_hh.set_requires_grad(c.steps > 1));
      inputs.push_back(random_leaf(Shape{gate_rows}, g, 0.5f));
      inputs.push_back(random_leaf(Shape{gate_rows}, g, 0.5f));
    }
    check_gradients(
        [&](const auto& in) {
          return gru_bidirectional(in[0], c.lengths, GruWeights{in[1], in[2], in[3], in[4]},
                                   GruWeights{in[5], in[6], in[7], in[8]});
        },
        inputs);
  }
}

TEST_CASE("temporal_conv1d: gradients of input, weight and bias, kernels 3 and 5, dilations") {
  struct Case {
    int batch, steps, in_channels, out_channels, kernel, dilation;
    std::vector<int> lengths;
    bool bias;
  };
  const Case cases[] = {
      {3, 7, 4, 5, 3, 1, {7, 3, 1}, true},  // masked tails, length 1
      {2, 9, 3, 2, 3, 2, {9, 5}, true},     // dilation 2
      {2, 8, 2, 3, 5, 4, {8, 6}, false},    // dilation 4: taps reach past both ends, no bias
      {1, 1, 3, 2, 5, 1, {1}, true},        // one step, batch 1
      {1, 6, 5, 4, 5, 2, {6}, true},        // batch 1, no padding
  };
  for (const Case& c : cases) {
    CAPTURE(c.steps);
    CAPTURE(c.kernel);
    CAPTURE(c.dilation);
    Random g(10);
    Tensor x = random_leaf(Shape{c.batch, c.steps, c.in_channels}, g);
    Tensor w = random_leaf(Shape{c.out_channels, c.kernel, c.in_channels}, g, 0.5f);
    Tensor b = c.bias ? random_leaf(Shape{c.out_channels}, g) : Tensor();
    check_gradients(
        [&](const auto& in) { return temporal_conv1d(in[0], c.lengths, in[1], in[2], c.dilation); },
        {x, w, b});
  }
}

TEST_CASE("binary cross-entropy with logits: gradients, with and without label and row weights") {
  Random g(8);
  Tensor logits = random_leaf(Shape{5, 3}, g, 2.0f);
  Tensor targets = Tensor::from_vector(Shape{5, 3}, {1, 0, 1, 0, 0, 1, 1, 1, 0, 0, 1, 0, 1, 0, 0});
  check_gradients(
      [&](const auto& in) {
        return reshape(binary_cross_entropy_with_logits(in[0], targets), Shape{1});
      },
      {logits});
  logits.zero_grad();
  BceOptions weighted;
  weighted.pos_weight = Tensor::from_vector(Shape{3}, {3.0f, 1.0f, 0.5f});
  weighted.class_weight = Tensor::from_vector(Shape{3}, {1.0f, 1.0f, 2.0f});
  check_gradients(
      [&](const auto& in) {
        return reshape(binary_cross_entropy_with_logits(in[0], targets, weighted), Shape{1});
      },
      {logits});
  logits.zero_grad();
  BceOptions row_weighted = weighted;
  row_weighted.row_weight = Tensor::from_vector(Shape{5}, {1.0f, 0.0f, 2.5f, 0.5f, 0.0f});
  check_gradients(
      [&](const auto& in) {
        return reshape(binary_cross_entropy_with_logits(in[0], targets, row_weighted), Shape{1});
      },
      {logits});
}

}  // namespace ihd
