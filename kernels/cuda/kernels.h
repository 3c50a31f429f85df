// Every CUDA kernel, one include: the twin of kernels/cpu/kernels.h. Each declaration has the
// same signature as its CPU twin, in namespace ihd::kernels::cuda; pointers are device pointers.
// Plain C++: engine sources include it (through engine/dispatch.h) without CUDA headers.
#pragma once

#include "kernels/cuda/batch_norm.h"
#include "kernels/cuda/conv2d.h"
#include "kernels/cuda/elementwise.h"
#include "kernels/cuda/gru.h"
#include "kernels/cuda/linear.h"
#include "kernels/cuda/loss.h"
#include "kernels/cuda/memory.h"
#include "kernels/cuda/optimizer.h"
#include "kernels/cuda/pooling.h"
#include "kernels/cuda/temporal_conv.h"
