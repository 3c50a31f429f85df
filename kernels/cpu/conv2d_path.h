// Which path the CPU's bfloat16 convolutions take on this machine: oneDNN's bfloat16 primitives
// (float32 accumulation) where the CPU has bfloat16 instructions (avx512_bf16 or AMX) and oneDNN
// an optimised kernel for them, else the widened float32 reference (also on AVX-512 CPUs without
// them, where oneDNN's emulation is slower). For the training's compute description.
#pragma once

namespace ihd::kernels::cpu {

bool bfloat16_convolutions_on_onednn();
// "oneDNN bfloat16 primitives" or "widened to float32 (reference)".
const char* bfloat16_convolution_path();

}  // namespace ihd::kernels::cpu
