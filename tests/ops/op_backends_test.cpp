// Every op case (op_case.h) on the CPU and on CUDA from the same inputs, forward and backward, in
// float32 (TF32 off: the CUDA backend's default) and, where the op has a bfloat16 form, in
// bfloat16: every output, every input gradient and every input after the call (what an op updates
// in place) are compared by normalised error sum (cpu - cuda)^2 / sum cpu^2 against the case's
// tolerance. Allocations are checked while the cases run (engine/storage.h): a new tensor is
// filled with NaN, so that an element a kernel forgets to write fails the comparison, and carries
// a guard zone, so that a write past its end is counted. Without a GPU every case reports
// "SKIPPED (no CUDA GPU)" and ctest lists it as skipped.
#include "engine/storage.h"
#include "normalised_error.h"
#include "op_case.h"
#include "skip_without_gpu.h"

namespace ihd::op_cases {
namespace {

void expect_close(const std::string& what, const Tensor& cpu, const Tensor& cuda, double tolerance,
                  bool matching_nan_allowed = false) {
  INFO(what);
  REQUIRE(cuda.defined() == cpu.defined());
  if (!cpu.defined()) return;
  REQUIRE(cuda.shape() == cpu.shape());
  REQUIRE(cuda.dtype() == cpu.dtype());
  const double error =
      testing::normalised_error(cpu.to_vector(), cuda.to_vector(), matching_nan_allowed);
  INFO("normalised error " << error << " (tolerance " << tolerance << ")");
  CHECK(error <= tolerance);
}

// While alive, new tensors are poisoned and guarded (engine/storage.h).
class CheckedAllocations {
 public:
  CheckedAllocations() { set_checked_allocations(true); }
  ~CheckedAllocations() { set_checked_allocations(false); }
  CheckedAllocations(const CheckedAllocations&) = delete;
  CheckedAllocations& operator=(const CheckedAllocations&) = delete;
};

void compare_case(const OpCase& op_case, DType type, double tolerance) {
  const std::vector<Tensor> cpu_inputs = make_inputs(op_case, type, Device::cpu());
  const std::vector<Tensor> cuda_inputs = make_inputs(op_case, type, Device::cuda());
  const std::vector<Tensor> cpu_outputs = run_forward_and_backward(op_case, cpu_inputs);
  const std::vector<Tensor> cuda_outputs = run_forward_and_backward(op_case, cuda_inputs);
  REQUIRE(cuda_outputs.size() == cpu_outputs.size());
  for (std::size_t i = 0; i < cpu_outputs.size(); ++i) {
    expect_close("output " + std::to_string(i), cpu_outputs[i], cuda_outputs[i], tolerance);
  }
  for (std::size_t i = 0; i < cpu_inputs.size(); ++i) {
    expect_close("gradient of input " + std::to_string(i), cpu_inputs[i].grad(),
                 cuda_inputs[i].grad(), tolerance);
    expect_close("input " + std::to_string(i) + " after the call", cpu_inputs[i], cuda_inputs[i],
                 tolerance, true);
  }
}

void compare_family(const std::string& family, DType type) {
  IHD_SKIP_WITHOUT_GPU();
  const int64_t violations_before = guard_zone_violations();
  int compared = 0;
  {
    const CheckedAllocations checked;
    for (const OpCase& op_case : all_op_cases()) {
      if (op_case.family != family || !(op_case.uses & kBackends)) continue;
      if (type == DType::bf16 && !op_case.bfloat16_tolerance) continue;
      CAPTURE(op_case.name);
      compare_case(op_case, type,
                   type == DType::bf16 ? *op_case.bfloat16_tolerance : op_case.float32_tolerance);
      ++compared;
    }
  }
  CHECK(compared > 0);
  INFO("tensors written past their end (guard zones overwritten)");
  CHECK(guard_zone_violations() == violations_before);
}

// One ctest entry per family and element type.
#define IHD_OP_BACKEND_TEST(type_name, type, family)                \
  TEST_CASE("op cases, CPU against CUDA, " type_name ": " family) { \
    compare_family(family, type);                                   \
  }

IHD_OP_BACKEND_TEST("float32", DType::f32, "arithmetic")
IHD_OP_BACKEND_TEST("bfloat16", DType::bf16, "arithmetic")
IHD_OP_BACKEND_TEST("float32", DType::f32, "convolution")
IHD_OP_BACKEND_TEST("bfloat16", DType::bf16, "convolution")
IHD_OP_BACKEND_TEST("float32", DType::f32, "batch norm")
IHD_OP_BACKEND_TEST("bfloat16", DType::bf16, "batch norm")
IHD_OP_BACKEND_TEST("float32", DType::f32, "pooling")
IHD_OP_BACKEND_TEST("bfloat16", DType::bf16, "pooling")
IHD_OP_BACKEND_TEST("float32", DType::f32, "linear and loss")
IHD_OP_BACKEND_TEST("float32", DType::f32, "sequence")
IHD_OP_BACKEND_TEST("float32", DType::f32, "optimizer")

}  // namespace
}  // namespace ihd::op_cases
