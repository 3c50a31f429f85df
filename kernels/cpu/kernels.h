// Every CPU kernel, one include. Each declaration here has a CUDA twin with the same signature in
// kernels/cuda/kernels.h; pointers point at host memory.
#pragma once

#include "kernels/cpu/batch_norm.h"
#include "kernels/cpu/conv2d.h"
#include "kernels/cpu/elementwise.h"
#include "kernels/cpu/gru.h"
#include "kernels/cpu/linear.h"
#include "kernels/cpu/loss.h"
#include "kernels/cpu/optimizer.h"
#include "kernels/cpu/pooling.h"
#include "kernels/cpu/temporal_conv.h"
