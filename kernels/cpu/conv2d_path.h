// Which path the CPU's bfloat16 convolutions take on this machine: oneDNN's bfloat16 primitives
// (float32 accumulation; where oneDNN has an optimised kernel for them, as with avx512_bf16 or
// AMX) or the widened float32 reference. For the training's compute description and for the tests
// that compare the fast path with the reference (they skip, saying so, where there is none).
#pragma once

namespace ihd::kernels::cpu {

bool bfloat16_convolutions_on_onednn();
// "oneDNN bfloat16 primitives" or "widened to float32 (reference)".
const char* bfloat16_convolution_path();

}  // namespace ihd::kernels::cpu
