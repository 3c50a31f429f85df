// validate(): impossible settings are refused before any work starts, naming the flag.
#include "apps/pipeline/train_options.h"

#include <doctest/doctest.h>

#include "common/error.h"

namespace ihd::pipeline {

TEST_CASE("the defaults are valid and reproduce the seed's choices") {
  const TrainOptions options;
  CHECK_NOTHROW(validate(options));
  CHECK(options.arch == "resnet50");
  CHECK(options.image_size == 180);
  CHECK(options.batch == 32);
  CHECK(options.optimizer == "adam");
  CHECK(options.lr == doctest::Approx(1e-4));
  CHECK(options.val_fraction == doctest::Approx(0.2));
  CHECK(options.normalize == "unit");
  CHECK(output_count(options) == 1);
}

TEST_CASE("impossible settings and combinations are refused with the flag named") {
  auto refused = [](auto change, const char* flag) {
    TrainOptions options;
    change(options);
    CHECK_THROWS_WITH_AS(validate(options), doctest::Contains(flag), Error);
  };
  refused([](TrainOptions& o) { o.arch = "resnet42"; }, "--arch");
  refused([](TrainOptions& o) { o.batch = 1; }, "--batch");
  refused([](TrainOptions& o) { o.precision = "fp16"; }, "--precision");
  refused([](TrainOptions& o) { o.device = "tpu"; }, "tpu");
  refused(
      [](TrainOptions& o) {
        o.val_fraction = 0.7;
        o.test_fraction = 0.3;
      },
      "--val-fraction");
  refused([](TrainOptions& o) { o.warmup_epochs = 10; }, "--warmup-epochs");
  refused([](TrainOptions& o) { o.image_size = 16; }, "--image-size");
  refused([](TrainOptions& o) { o.optimizer = "lion"; }, "--optimizer");
  refused(
      [](TrainOptions& o) {
        o.sweep = true;
        o.sweep_keep = 9;
      },
      "--sweep-keep");
  refused(
      [](TrainOptions& o) {
        o.sweep = true;
        o.sweep_lrs = "1e-3,fast";
      },
      "--sweep-lrs");
}

TEST_CASE("sweep learning rates parse in order") {
  CHECK(parse_learning_rates("1e-2,1e-3") == std::vector<double>{1e-2, 1e-3});
}

}  // namespace ihd::pipeline
