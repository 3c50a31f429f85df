// Every kernel family, one include: each header states its kernels' contracts once and declares
// each kernel once for both backends (backend.h). The CPU specializations are in kernels/cpu/,
// the CUDA ones in kernels/cuda/ (built with -DIHD_CUDA=ON).
#pragma once

#include "kernels/batch_norm.h"
#include "kernels/conv2d.h"
#include "kernels/elementwise.h"
#include "kernels/gemm.h"
#include "kernels/gru.h"
#include "kernels/linear.h"
#include "kernels/loss.h"
#include "kernels/optimizer.h"
#include "kernels/pooling.h"
#include "kernels/temporal_conv.h"
