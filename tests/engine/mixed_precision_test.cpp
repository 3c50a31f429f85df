// bfloat16 mixed precision on the CPU, the reference for the CUDA kernels: the rounding itself
// (hand-computed bit patterns), the cast op and its gradient, the contract of every bfloat16
// kernel (float32 arithmetic on bfloat16 values, each result rounded once), convolutions under
// autocast against float32 (error of the size bfloat16 implies), and a tiny CNN that still learns.
#include "bfloat16_vectors.h"
#include "engine/autocast.h"
#include "engine/layers.h"
#include "engine/optim/optimizer.h"
#include "kernels/cpu/threads.h"
#include "kernels/kernels.h"
#include "ops/normalised_error.h"
#include "test_util.h"

namespace ihd {
namespace {

using kernels::Backend;

using testing::normalised_error;
using testing::random_leaf;
using testing::random_tensor;
using testing::rounded;
using testing::widened;

uint16_t bits_of(float value) {
  return to_bfloat16(value).bits;
}

// Values every bfloat16 kernel sees: random floats already rounded to bfloat16, so that the
// float32 reference gets exactly the numbers the bfloat16 kernel widens.
std::vector<bfloat16> random_bfloat16(int64_t n, Random& generator) {
  return rounded(random_tensor(Shape{n}, generator).to_vector());
}

// The bfloat16 result must be the float32 result rounded once, bit for bit.
void check_rounded_once(const std::vector<float>& float32_result,
                        const std::vector<bfloat16>& bfloat16_result) {
  REQUIRE(float32_result.size() == bfloat16_result.size());
  std::size_t mismatches = 0;
  for (std::size_t i = 0; i < float32_result.size(); ++i) {
    mismatches += bits_of(float32_result[i]) != bfloat16_result[i].bits;
  }
  CHECK(mismatches == 0);
}

// Batch norm's bfloat16 kernels (statistics, moments, fused apply, backward) against the float32
// kernels on the widened values.
void check_batch_norm_rounded_once(int64_t rows, int channels, bool residual, bool relu,
                                   Random& generator) {
  CAPTURE(rows);
  CAPTURE(channels);
  CAPTURE(residual);
  CAPTURE(relu);
  const int64_t n = rows * channels;
  const std::vector<bfloat16> x = random_bfloat16(n, generator),
                              skip = random_bfloat16(n, generator),
                              dy = random_bfloat16(n, generator);
  const std::vector<float> gamma = random_tensor(Shape{channels}, generator).to_vector(),
                           beta = random_tensor(Shape{channels}, generator).to_vector();
  std::vector<float> mean(channels), invstd(channels), mean32(channels), invstd32(channels);
  kernels::batch_norm_statistics<Backend::cpu>(rows, channels, x.data(), 1e-5f, mean.data(),
                                               invstd.data());
  kernels::batch_norm_statistics<Backend::cpu>(rows, channels, widened(x).data(), 1e-5f,
                                               mean32.data(), invstd32.data());
  CHECK(mean == mean32);
  CHECK(invstd == invstd32);
  std::vector<float> squares(channels), squares32(channels);
  kernels::batch_norm_moments<Backend::cpu>(rows, channels, x.data(), mean.data(), squares.data());
  kernels::batch_norm_moments<Backend::cpu>(rows, channels, widened(x).data(), mean32.data(),
                                            squares32.data());
  CHECK(mean == mean32);
  CHECK(squares == squares32);

  std::vector<bfloat16> y(n);
  std::vector<float> y32(n);
  const std::vector<float> skip32 = widened(skip);
  kernels::batch_norm_apply<Backend::cpu>(rows, channels, x.data(), mean.data(), invstd.data(),
                                          gamma.data(), beta.data(),
                                          residual ? skip.data() : nullptr, relu, y.data());
  kernels::batch_norm_apply<Backend::cpu>(rows, channels, widened(x).data(), mean.data(),
                                          invstd.data(), gamma.data(), beta.data(),
                                          residual ? skip32.data() : nullptr, relu, y32.data());
  check_rounded_once(y32, y);

  std::vector<bfloat16> dx(n), dresidual(n);
  std::vector<float> dx32(n), dresidual32(n), dgamma(channels), dbeta(channels), dgamma32(channels),
      dbeta32(channels);
  kernels::batch_norm_backward_reduce<Backend::cpu>(rows, channels, x.data(), y.data(), dy.data(),
                                                    mean.data(), invstd.data(), relu, dgamma.data(),
                                                    dbeta.data());
  kernels::batch_norm_backward_reduce<Backend::cpu>(
      rows, channels, widened(x).data(), widened(y).data(), widened(dy).data(), mean.data(),
      invstd.data(), relu, dgamma32.data(), dbeta32.data());
  CHECK(dgamma == dgamma32);
  CHECK(dbeta == dbeta32);
  for (const bool batch_statistics : {true, false}) {
    CAPTURE(batch_statistics);
    kernels::batch_norm_backward_input<Backend::cpu>(
        rows, 3 * rows, channels, x.data(), y.data(), dy.data(), mean.data(), invstd.data(),
        gamma.data(), relu, batch_statistics, dgamma.data(), dbeta.data(), dx.data(),
        residual ? dresidual.data() : nullptr);
    kernels::batch_norm_backward_input<Backend::cpu>(
        rows, 3 * rows, channels, widened(x).data(), widened(y).data(), widened(dy).data(),
        mean.data(), invstd.data(), gamma.data(), relu, batch_statistics, dgamma.data(),
        dbeta.data(), dx32.data(), residual ? dresidual32.data() : nullptr);
    check_rounded_once(dx32, dx);
    if (residual) check_rounded_once(dresidual32, dresidual);
  }
}

// Max pooling and global average pooling, both directions, against the float32 kernels on the
// widened values (the max pool's backward sums each input's gradients in float32 first).
void check_pooling_rounded_once(const kernels::Pool2dGeometry& g, Random& generator) {
  CAPTURE(g.in_height);
  CAPTURE(g.channels);
  CAPTURE(g.kernel);
  CAPTURE(g.stride);
  const std::vector<bfloat16> x = random_bfloat16(g.input_elements(), generator),
                              dy = random_bfloat16(g.output_elements(), generator);
  std::vector<bfloat16> y(g.output_elements()), dx(g.input_elements());
  std::vector<float> y32(y.size()), dx32(dx.size());
  kernels::max_pool2d_forward<Backend::cpu>(g, x.data(), y.data());
  kernels::max_pool2d_forward<Backend::cpu>(g, widened(x).data(), y32.data());
  check_rounded_once(y32, y);
  kernels::max_pool2d_backward<Backend::cpu>(g, x.data(), y.data(), dy.data(), dx.data());
  kernels::max_pool2d_backward<Backend::cpu>(g, widened(x).data(), y32.data(), widened(dy).data(),
                                             dx32.data());
  check_rounded_once(dx32, dx);

  const int64_t pixels = int64_t{g.in_height} * g.in_width;
  std::vector<float> features(g.batch * g.channels), features32(features.size());
  kernels::global_avg_pool_forward<Backend::cpu>(g.batch, pixels, g.channels, x.data(),
                                                 features.data());
  kernels::global_avg_pool_forward<Backend::cpu>(g.batch, pixels, g.channels, widened(x).data(),
                                                 features32.data());
  CHECK(features == features32);
  const std::vector<float> dfeatures =
      random_tensor(Shape{g.batch * g.channels}, generator).to_vector();
  kernels::global_avg_pool_backward<Backend::cpu>(g.batch, pixels, g.channels, dfeatures.data(),
                                                  dx.data());
  kernels::global_avg_pool_backward<Backend::cpu>(g.batch, pixels, g.channels, dfeatures.data(),
                                                  dx32.data());
  check_rounded_once(dx32, dx);
}

}  // namespace

TEST_CASE("bfloat16 rounds to nearest, ties to even, as __float2bfloat16_rn") {
  CHECK(bits_of(1.0f) == 0x3f80);
  CHECK(bits_of(-2.5f) == 0xc020);
  CHECK(bits_of(1.0f + 0x1p-8f) == 0x3f80);             // halfway: down to the even 1.0
  CHECK(bits_of(1.0f + 3 * 0x1p-8f) == 0x3f82);         // halfway: up to the even neighbour
  CHECK(bits_of(1.0f + 0x1p-8f + 0x1p-20f) == 0x3f81);  // just above halfway: up
  CHECK(bits_of(3.14159265f) == 0x4049);
  CHECK(to_float(bfloat16{0x4049}) == 3.140625f);
  CHECK(bits_of(std::numeric_limits<float>::infinity()) == 0x7f80);
  CHECK(bits_of(std::numeric_limits<float>::max()) == 0x7f80);  // overflows to infinity
  CHECK(std::isnan(to_float(to_bfloat16(std::numeric_limits<float>::quiet_NaN()))));
  CHECK(std::isnan(to_float(to_bfloat16(-std::numeric_limits<float>::quiet_NaN()))));
}

TEST_CASE("cast rounds to bfloat16 and back, its gradient is cast back to float32") {
  Tensor x = Tensor::from_vector(Shape{4}, {1.0f, 1.0f + 0x1p-8f + 0x1p-20f, -2.5f, 1e-3f});
  x.set_requires_grad(true);
  const Tensor half = cast(x, DType::bf16);
  CHECK(half.dtype() == DType::bf16);
  CHECK(half.to_vector() ==
        std::vector<float>{1.0f, 1.0f + 0x1p-7f, -2.5f, to_float(to_bfloat16(1e-3f))});
  CHECK(cast(half, DType::bf16).impl() == half.impl());  // same dtype: the same tensor
  const Tensor weights = Tensor::from_vector(Shape{4}, {0.5f, -1.0f, 2.0f, 3.0f});
  sum(mul(cast(half, DType::f32), weights)).backward();
  REQUIRE(x.grad().defined());
  CHECK(x.grad().dtype() == DType::f32);
  CHECK(x.grad().to_vector() == weights.to_vector());
  CHECK_THROWS_WITH_AS(cast(Tensor::zeros(Shape{1}, Device::cpu(), DType::i64), DType::bf16),
                       doctest::Contains("only float32 <-> bfloat16"), Error);
}

// Batch norm and pooling compute on bfloat16 data directly, bit for bit the float32 kernel on the
// widened values rounded once, on one thread and on two (the reductions' order depends on the
// thread count, the same for both). The convolutions at this shape likewise.
TEST_CASE("bfloat16 kernels: the float32 result on the same values, rounded once") {
  Random generator(71);
  const int threads_before = kernels::cpu::num_threads();
  SUBCASE("batch norm statistics, moments, fused apply and backward") {
    for (const int threads : {1, 2}) {
      CAPTURE(threads);
      kernels::cpu::set_num_threads(threads);
      // One block of rows; several blocks and channels in whole vectors; a layer4-like shape.
      for (const auto& [rows, channels] :
           {std::pair<int64_t, int>{37, 11}, {2 * 28 * 28, 64}, {2 * 7 * 7, 2048}}) {
        for (const bool residual : {false, true}) {
          for (const bool relu : {false, true}) {
            check_batch_norm_rounded_once(rows, channels, residual, relu, generator);
          }
        }
      }
    }
  }
  SUBCASE("convolution forward, backward data, backward weight") {
    kernels::Conv2dGeometry g;
    g.batch = 2, g.in_height = 7, g.in_width = 6, g.in_channels = 5, g.out_channels = 3;
    g.kernel_height = g.kernel_width = 3, g.stride = 2, g.padding = 1;
    const std::vector<bfloat16> x = random_bfloat16(g.input_elements(), generator),
                                w = random_bfloat16(g.weight_elements(), generator),
                                dy = random_bfloat16(g.output_elements(), generator);
    std::vector<bfloat16> y(g.output_elements()), dx(g.input_elements()), dw(g.weight_elements());
    std::vector<float> y32(y.size()), dx32(dx.size()), dw32(dw.size());
    kernels::conv2d_forward<Backend::cpu>(g, x.data(), w.data(), y.data());
    kernels::conv2d_forward<Backend::cpu>(g, widened(x).data(), widened(w).data(), nullptr,
                                          y32.data());
    check_rounded_once(y32, y);
    kernels::conv2d_backward_data<Backend::cpu>(g, dy.data(), w.data(), dx.data());
    kernels::conv2d_backward_data<Backend::cpu>(g, widened(dy).data(), widened(w).data(),
                                                dx32.data());
    check_rounded_once(dx32, dx);
    kernels::conv2d_backward_weight<Backend::cpu>(g, x.data(), dy.data(), dw.data());
    kernels::conv2d_backward_weight<Backend::cpu>(g, widened(x).data(), widened(dy).data(),
                                                  dw32.data(), nullptr);
    check_rounded_once(dw32, dw);
  }
  SUBCASE("max pool and global average pool, both directions") {
    for (const int threads : {1, 2}) {
      CAPTURE(threads);
      kernels::cpu::set_num_threads(threads);
      kernels::Pool2dGeometry g;
      g.batch = 2, g.in_height = 9, g.in_width = 8, g.channels = 3;
      check_pooling_rounded_once(g, generator);
      // The stem's pool at 56 x 56 (overlapping windows), and stride 1 (up to 9 windows each).
      check_pooling_rounded_once({2, 56, 56, 64, 3, 2, 1}, generator);
      check_pooling_rounded_once({1, 7, 7, 5, 3, 1, 1}, generator);
    }
  }
  kernels::cpu::set_num_threads(threads_before);
}

TEST_CASE("conv2d under bfloat16 autocast: bfloat16 activations, float32 weight gradients") {
  Random generator(5);
  Tensor x = random_leaf(Shape{2, 9, 9, 16}, generator);
  Tensor weight = random_leaf(Shape{24, 3, 3, 16}, generator, 0.1f);
  const Tensor projection = random_tensor(Shape{2, 5, 5, 24}, generator);
  const Conv2dOptions options{.stride = 2, .padding = 1};

  const Tensor y32 = conv2d(x, weight, Tensor(), options);
  sum(mul(y32, projection)).backward();
  const std::vector<float> dx32 = x.grad().to_vector(), dw32 = weight.grad().to_vector();
  x.zero_grad();
  weight.zero_grad();

  Tensor y16;
  {
    AutocastGuard autocast(DType::bf16);
    CHECK(autocast_dtype() == DType::bf16);
    y16 = conv2d(x, weight, Tensor(), options);
  }
  CHECK(autocast_dtype() == DType::f32);
  CHECK(y16.dtype() == DType::bf16);
  sum(mul(cast(y16, DType::f32), projection)).backward();
  CHECK(x.grad().dtype() == DType::f32);
  CHECK(weight.grad().dtype() == DType::f32);
  // Inputs, weights and results each carry a relative rounding error of at most 2^-9, so the
  // normalised error (a squared relative error) lands near 1e-6; 1e-4 leaves room, and a wrong
  // result (a missed rounding step, a transposed operand) is off by far more.
  CHECK(normalised_error(y32.to_vector(), y16.to_vector()) < 1e-4);
  CHECK(normalised_error(dx32, x.grad().to_vector()) < 1e-4);
  CHECK(normalised_error(dw32, weight.grad().to_vector()) < 1e-4);
  CHECK(normalised_error(y32.to_vector(), y16.to_vector()) > 0.0);  // it did round

  AutocastGuard autocast(DType::bf16);
  CHECK_THROWS_WITH_AS(conv2d(x, weight, random_tensor(Shape{24}, generator), options),
                       doctest::Contains("takes no bias"), Error);
}

TEST_CASE("bfloat16 activations flow through batch norm, pooling and the residual add") {
  Random generator(9);
  // Values bfloat16 represents exactly, so that both precisions pick the same maximum in every
  // pooling window (a rounding tie would send a gradient elsewhere: a legitimate difference).
  Tensor x = cast(cast(random_tensor(Shape{2, 6, 6, 8}, generator), DType::bf16), DType::f32);
  x.set_requires_grad(true);
  BatchNorm2d bn(8);
  const Tensor projection = random_tensor(Shape{2, 8}, generator);
  auto network = [&](const Tensor& input) {
    const Tensor pooled = max_pool2d(input, MaxPool2dOptions{});
    const Tensor normalised = bn.forward(pooled, /*relu=*/true, pooled);  // pooled used twice
    return global_avg_pool(add(normalised, pooled));
  };
  const Tensor features32 = network(x);
  sum(mul(features32, projection)).backward();
  const std::vector<float> dx32 = x.grad().to_vector();
  x.zero_grad();

  const Tensor features16 = network(cast(x, DType::bf16));
  CHECK(features16.dtype() == DType::f32);
  sum(mul(features16, projection)).backward();
  CHECK(x.grad().dtype() == DType::f32);
  CHECK(normalised_error(features32.to_vector(), features16.to_vector()) < 1e-4);
  CHECK(normalised_error(dx32, x.grad().to_vector()) < 1e-4);

  const Tensor half = cast(x, DType::bf16);
  CHECK_THROWS_WITH_AS(relu(half), doctest::Contains("expected a float32 tensor"), Error);
  CHECK_THROWS_WITH_AS(add(half, x), doctest::Contains("dtypes differ"), Error);
  CHECK_THROWS_WITH_AS(bn.forward(half, true, x), doctest::Contains("residual is float32"), Error);
}

TEST_CASE("a tiny residual CNN trained under bfloat16 autocast learns as in float32") {
  // Bright-versus-dark patches: the label is 1 when the image's top half is brighter.
  Random generator(77);
  Conv2d conv1(1, 8, 3, 1, 1, false, generator), conv2(8, 8, 3, 1, 1, false, generator);
  BatchNorm2d bn1(8), bn2(8);
  Linear fc(8, 1, true, generator);
  std::vector<NamedTensor> parameters;
  const std::pair<const char*, Module*> modules[] = {
      {"conv1", &conv1}, {"conv2", &conv2}, {"bn1", &bn1}, {"bn2", &bn2}, {"fc", &fc}};
  for (const auto& [prefix, module] : modules) {
    for (const auto& [name, tensor] : module->named_parameters()) {
      parameters.emplace_back(std::string(prefix) + "." + name, tensor);
    }
  }
  kernels::AdamHyper hyper;
  hyper.lr = 0.01f;
  Adam adam(parameters, hyper);
  auto forward = [&](const Tensor& images) {
    AutocastGuard autocast(DType::bf16);
    const Tensor stem = bn1.forward(conv1.forward(images), true);
    return fc.forward(global_avg_pool(bn2.forward(conv2.forward(stem), true, stem)));
  };
  auto make_batch = [&](int batch, Tensor& images, Tensor& labels) {
    std::vector<float> pixels(static_cast<std::size_t>(batch) * 64), targets(batch);
    for (int n = 0; n < batch; ++n) {
      targets[n] = generator.unit() < 0.5 ? 1.0f : 0.0f;
      for (int i = 0; i < 64; ++i) {
        const bool top = i < 32;
        pixels[n * 64 + i] = static_cast<float>(0.5 * generator.normal()) +
                             ((top == (targets[n] > 0.5f)) ? 0.6f : 0.0f);
      }
    }
    images = Tensor::from_vector(Shape{batch, 8, 8, 1}, pixels);
    labels = Tensor::from_vector(Shape{batch, 1}, targets);
  };
  Tensor images, labels;
  float first_loss = 0.0f, last_loss = 0.0f;
  for (int step = 0; step < 100; ++step) {
    make_batch(32, images, labels);
    adam.zero_grad();
    const Tensor logits = forward(images);
    CHECK(logits.dtype() == DType::f32);
    const Tensor loss = binary_cross_entropy_with_logits(logits, labels);
    loss.backward();
    adam.step();
    if (step == 0) first_loss = loss.item();
    last_loss = loss.item();
  }
  CHECK(last_loss < 0.5f * first_loss);
  for (Module* module : std::initializer_list<Module*>{&bn1, &bn2}) module->eval();
  NoGradGuard no_grad;
  make_batch(400, images, labels);
  const std::vector<float> logits = forward(images).to_vector(), truth = labels.to_vector();
  int correct = 0;
  for (std::size_t i = 0; i < logits.size(); ++i)
    correct += (logits[i] > 0.0f) == (truth[i] > 0.5f);
  CHECK(correct >= 0.95 * 400);
}

}  // namespace ihd
