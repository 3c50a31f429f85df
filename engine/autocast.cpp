// The thread's autocast dtype (see autocast.h).
#include "engine/autocast.h"

#include "common/error.h"

namespace ihd {
namespace {

thread_local DType autocast_compute_dtype = DType::f32;

}  // namespace

DType autocast_dtype() {
  return autocast_compute_dtype;
}

AutocastGuard::AutocastGuard(DType dtype) : previous_(autocast_compute_dtype) {
  IHD_CHECK(dtype == DType::f32 || dtype == DType::bf16,
            "autocast computes in float32 or bfloat16, not ", dtype_name(dtype));
  autocast_compute_dtype = dtype;
}

AutocastGuard::~AutocastGuard() {
  autocast_compute_dtype = previous_;
}

}  // namespace ihd
