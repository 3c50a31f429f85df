// The backward of every small op case (op_case.h, Use kGradients) against central finite
// differences on the CPU in float32: the gradient of each input that gets one, of the case's
// projected loss sum_i sum(output_i * R_i), checked by check_gradients (tests/engine/test_util.h:
// relative error of the whole gradient below 1e-2, no element off by more than 10% of the
// largest). Shapes are small and odd: batch 1, stride 2, padding, padded sequence batches with
// masked tails, length 1 and one step.
#include "engine/test_util.h"
#include "op_case.h"

namespace ihd::op_cases {
namespace {

void check_family_gradients(const std::string& family) {
  int checked = 0;
  for (const OpCase& op_case : all_op_cases()) {
    if (op_case.family != family || !(op_case.uses & kGradients)) continue;
    CAPTURE(op_case.name);
    testing::check_gradients(
        [&](const std::vector<Tensor>& in) {
          return reshape(projected_loss(op_case, op_case.run(in), false), Shape{1});
        },
        make_inputs(op_case, DType::f32, Device::cpu()));
    ++checked;
  }
  CHECK(checked > 0);
}

// One ctest entry per family.
#define IHD_OP_GRADIENT_TEST(family)                                     \
  TEST_CASE("op cases, gradients against finite differences: " family) { \
    check_family_gradients(family);                                      \
  }

IHD_OP_GRADIENT_TEST("arithmetic")
IHD_OP_GRADIENT_TEST("convolution")
IHD_OP_GRADIENT_TEST("batch norm")
IHD_OP_GRADIENT_TEST("pooling")
IHD_OP_GRADIENT_TEST("linear and loss")
IHD_OP_GRADIENT_TEST("sequence")

}  // namespace
}  // namespace ihd::op_cases
