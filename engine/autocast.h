// Mixed precision, PyTorch-autocast style: while an AutocastGuard(DType::bf16) lives on this
// thread, conv2d casts its float32 input and weight to bfloat16 and computes in bfloat16 (float32
// accumulation), so the activations of a ResNet stay bfloat16 from the stem to the global average
// pool, which hands float32 features to the head. Parameters, their gradients, optimizer state
// and batch-norm statistics stay float32 (the master copy); the cast's backward turns each
// bfloat16 weight gradient back into float32.
#pragma once

#include "engine/dtype.h"

namespace ihd {

// The dtype convolutions compute in on this thread: f32 unless a guard says otherwise.
DType autocast_dtype();

class AutocastGuard {
 public:
  // dtype: DType::f32 (plain float32) or DType::bf16.
  explicit AutocastGuard(DType dtype);
  ~AutocastGuard();
  AutocastGuard(const AutocastGuard&) = delete;
  AutocastGuard& operator=(const AutocastGuard&) = delete;

 private:
  DType previous_;
};

}  // namespace ihd
