// The bidirectional GRU layer on the GPU. Same contracts, structs (GruDirectionWeights,
// GruDirectionGradients) and saved layout as kernels/cpu/gru.h; pointers are device pointers,
// except `lengths`, which is host memory (copied to the device by the call).
#pragma once

#include "kernels/cpu/gru.h"
#include "kernels/geometry.h"

namespace ihd::kernels::cuda {

// y and saved are overwritten.
void gru_bidirectional_forward(const GruGeometry& geometry, const int* lengths, const float* x,
                               const GruDirectionWeights& forward,
                               const GruDirectionWeights& reverse, float* y, float* saved);
// dy [N, T, 2H]; dx [N, T, C] (may be null) and every weight gradient are overwritten.
void gru_bidirectional_backward(const GruGeometry& geometry, const int* lengths, const float* x,
                                const GruDirectionWeights& forward,
                                const GruDirectionWeights& reverse, const float* saved,
                                const float* dy, float* dx,
                                const GruDirectionGradients& grad_forward,
                                const GruDirectionGradients& grad_reverse);

}  // namespace ihd::kernels::cuda
