// Batch-norm statistics on the GPU, version by version: how kernels/cuda/batch_norm.cu came to be.
// A self-contained kernel study in the spirit of llm.c's dev/cuda: the CPU reference, each kernel
// version with a line on what it changes, the check of every version against the reference, and
// the bandwidth each one reaches ("napkin math": the statistics read x once, so the time they can
// take is at best bytes(x) / copy bandwidth).
//
// Build on its own (it needs nothing of ihd), and run on a GPU:
//   nvcc -O3 -std=c++17 -arch=sm_90 bench/kernel_lab/batch_norm_lab.cu -o batch_norm_lab
//   ./batch_norm_lab            every version on every shape
//   ./batch_norm_lab 3          version 3 only
// CMake builds it as bench/batch_norm_lab wherever it builds CUDA (IHD_WITH_CUDA).
//
// The problem: x is NHWC, so a row is one pixel's C channels and rows = N * H * W. For each
// channel, mean = sum(x) / rows and invstd = 1 / sqrt(var + eps) with the biased variance.
// Activations after a convolution can have |mean| much larger than their spread, which is where
// the textbook formula var = E[x^2] - E[x]^2 in float loses every digit (cancellation): the test
// data has channel means up to 100 with standard deviation 1.
//
// The versions:
//   1  one thread per channel, each loops over every row. Reads are coalesced (a warp reads 32
//      adjacent channels of a row), but only C threads run: 64 channels leave the GPU idle.
//   2  a 2-D grid (channel blocks x row stripes), each block adds its stripe and atomicAdd()s its
//      float partials into the totals. Fast, but the order of the atomic adds changes from run to
//      run (results are not repeatable) and float E[x^2] - E[x]^2 cancels.
//   3  the same grid, but each thread adds shifted terms (x - x[row 0]) in double, the block's
//      rows in a fixed order, and writes one partial per channel; a second small kernel adds a
//      channel's partials in order. The row-stripe count depends only on the shape, so the result
//      is bitwise repeatable on any GPU, and the shift removes the cancellation. This is
//      kernels/cuda/batch_norm.cu's reduction.
// Each version is checked against the CPU reference (relative error of mean and invstd, and
// whether a second run gives the same bits), then timed (median of 20 runs, CUDA events; 3 for a
// version slower than 50 ms).
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

#define CHECK_CUDA(call)                                                 \
  do {                                                                   \
    const cudaError_t status = (call);                                   \
    if (status != cudaSuccess) {                                         \
      std::fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #call, \
                   cudaGetErrorString(status));                          \
      std::exit(1);                                                      \
    }                                                                    \
  } while (0)

constexpr float kEps = 1e-5f;

// ---- CPU reference: double sums in row order, the two-pass variance ----

void statistics_reference(const std::vector<float>& x, long rows, int channels,
                          std::vector<double>& mean, std::vector<double>& invstd) {
  mean.assign(channels, 0.0);
  invstd.assign(channels, 0.0);
  std::vector<double> squares(channels, 0.0);
  for (long r = 0; r < rows; ++r)
    for (int c = 0; c < channels; ++c) mean[c] += x[r * channels + c];
  for (int c = 0; c < channels; ++c) mean[c] /= rows;
  for (long r = 0; r < rows; ++r)
    for (int c = 0; c < channels; ++c) {
      const double d = x[r * channels + c] - mean[c];
      squares[c] += d * d;
    }
  for (int c = 0; c < channels; ++c) invstd[c] = 1.0 / std::sqrt(squares[c] / rows + kEps);
}

// ---- version 1: one thread per channel ----

__global__ void statistics_v1(const float* x, long rows, int channels, float* mean, float* invstd) {
  const int c = blockIdx.x * blockDim.x + threadIdx.x;
  if (c >= channels) return;
  float sum = 0.0f, square_sum = 0.0f;
  for (long r = 0; r < rows; ++r) {
    const float value = x[r * channels + c];
    sum += value;
    square_sum += value * value;
  }
  const float m = sum / rows;
  mean[c] = m;
  invstd[c] = rsqrtf(fmaxf(square_sum / rows - m * m, 0.0f) + kEps);
}

void run_v1(const float* x, long rows, int channels, float* mean, float* invstd, double*) {
  statistics_v1<<<(channels + 255) / 256, 256>>>(x, rows, channels, mean, invstd);
}

// ---- version 2: a 2-D grid, float atomics ----

constexpr int kChannelsPerBlock = 32;  // a warp's worth of adjacent channels: 128 bytes per row
constexpr int kRowThreads = 8;         // rows a block reads side by side
constexpr long kRowsPerStripe = 512;
constexpr int kMaxStripes = 512;

int stripes_for(long rows) {
  return static_cast<int>(
      std::clamp((rows + kRowsPerStripe - 1) / kRowsPerStripe, 1L, static_cast<long>(kMaxStripes)));
}

__global__ void sums_v2(const float* x, long rows, int channels, float* sum, float* square_sum) {
  const int c = blockIdx.x * kChannelsPerBlock + threadIdx.x;
  if (c >= channels) return;
  float s = 0.0f, q = 0.0f;
  for (long r = static_cast<long>(blockIdx.y) * kRowThreads + threadIdx.y; r < rows;
       r += static_cast<long>(gridDim.y) * kRowThreads) {
    const float value = x[r * channels + c];
    s += value;
    q += value * value;
  }
  atomicAdd(&sum[c], s);
  atomicAdd(&square_sum[c], q);
}

__global__ void finish_v2(long rows, int channels, const float* sum, const float* square_sum,
                          float* mean, float* invstd) {
  const int c = blockIdx.x * blockDim.x + threadIdx.x;
  if (c >= channels) return;
  const float m = sum[c] / rows;
  mean[c] = m;
  invstd[c] = rsqrtf(fmaxf(square_sum[c] / rows - m * m, 0.0f) + kEps);
}

void run_v2(const float* x, long rows, int channels, float* mean, float* invstd,
            double* workspace) {
  float* sum = reinterpret_cast<float*>(workspace);
  float* square_sum = sum + channels;
  CHECK_CUDA(cudaMemsetAsync(sum, 0, 2 * sizeof(float) * channels));
  const dim3 blocks((channels + kChannelsPerBlock - 1) / kChannelsPerBlock, stripes_for(rows));
  sums_v2<<<blocks, dim3(kChannelsPerBlock, kRowThreads)>>>(x, rows, channels, sum, square_sum);
  finish_v2<<<(channels + 255) / 256, 256>>>(rows, channels, sum, square_sum, mean, invstd);
}

// ---- version 3: shifted double partials in a fixed order (today's kernel) ----

__global__ void partials_v3(const float* x, long rows, int channels, double* partials) {
  __shared__ double first_shared[kRowThreads][kChannelsPerBlock];
  __shared__ double second_shared[kRowThreads][kChannelsPerBlock];
  const int c = blockIdx.x * kChannelsPerBlock + threadIdx.x;
  double first = 0.0, second = 0.0;
  if (c < channels) {
    const float shift = x[c];  // row 0's value: the sums are of x - x[0]
    for (long r = static_cast<long>(blockIdx.y) * kRowThreads + threadIdx.y; r < rows;
         r += static_cast<long>(gridDim.y) * kRowThreads) {
      const float shifted = x[r * channels + c] - shift;
      first += shifted;
      second += static_cast<double>(shifted) * shifted;
    }
  }
  first_shared[threadIdx.y][threadIdx.x] = first;
  second_shared[threadIdx.y][threadIdx.x] = second;
  __syncthreads();
  if (threadIdx.y == 0 && c < channels) {
    for (int t = 1; t < kRowThreads; ++t) {  // the block's row threads, always in this order
      first += first_shared[t][threadIdx.x];
      second += second_shared[t][threadIdx.x];
    }
    partials[static_cast<long>(blockIdx.y) * channels + c] = first;
    partials[static_cast<long>(gridDim.y + blockIdx.y) * channels + c] = second;
  }
}

__global__ void finish_v3(long rows, int channels, int stripes, const double* partials,
                          const float* x, float* mean, float* invstd) {
  const int c = blockIdx.x * blockDim.x + threadIdx.x;
  if (c >= channels) return;
  double first = 0.0, second = 0.0;
  for (int stripe = 0; stripe < stripes; ++stripe) {  // in stripe order: repeatable
    first += partials[static_cast<long>(stripe) * channels + c];
    second += partials[static_cast<long>(stripes + stripe) * channels + c];
  }
  const double shifted_mean = first / rows;
  const double variance = fmax(second / rows - shifted_mean * shifted_mean, 0.0);
  mean[c] = static_cast<float>(x[c] + shifted_mean);
  invstd[c] = static_cast<float>(1.0 / sqrt(variance + kEps));
}

void run_v3(const float* x, long rows, int channels, float* mean, float* invstd, double* partials) {
  const int stripes = stripes_for(rows);
  const dim3 blocks((channels + kChannelsPerBlock - 1) / kChannelsPerBlock, stripes);
  partials_v3<<<blocks, dim3(kChannelsPerBlock, kRowThreads)>>>(x, rows, channels, partials);
  finish_v3<<<(channels + 255) / 256, 256>>>(rows, channels, stripes, partials, x, mean, invstd);
}

// ---- the harness ----

using Version = void (*)(const float*, long, int, float*, float*, double*);
struct NamedVersion {
  int number;
  const char* description;
  Version run;
};
const NamedVersion kVersions[] = {
    {1, "one thread per channel", run_v1},
    {2, "2-D grid, float atomics", run_v2},
    {3, "2-D grid, shifted double partials in order", run_v3},
};

struct Shape {
  const char* name;
  long rows;
  int channels;
};
// ResNet-50 at batch 256, 224 px: the stem's output, layer1's widest, layer4's.
const Shape kShapes[] = {
    {"stem 112x112x64", 256L * 112 * 112, 64},
    {"layer1 56x56x256", 256L * 56 * 56, 256},
    {"layer4 7x7x2048", 256L * 7 * 7, 2048},
};

// The largest |value - reference| / max(|reference|, 1) (a mean near 0 is judged against the
// data's spread, 1, instead of itself).
double largest_relative_error(const std::vector<float>& values,
                              const std::vector<double>& reference) {
  double largest = 0.0;
  for (size_t c = 0; c < values.size(); ++c)
    largest = std::max(largest,
                       std::abs(values[c] - reference[c]) / std::max(std::abs(reference[c]), 1.0));
  return largest;
}

// GB/s of reading `bytes` in `ms`.
double gigabytes_per_second(double bytes, float ms) {
  return bytes / (ms * 1e-3) / 1e9;
}

// The device-to-device copy's bandwidth over `bytes` (read + write), median of 20.
double copy_bandwidth(const float* from, float* to, size_t bytes) {
  cudaEvent_t start, stop;
  CHECK_CUDA(cudaEventCreate(&start));
  CHECK_CUDA(cudaEventCreate(&stop));
  std::vector<float> times;
  for (int i = 0; i < 21; ++i) {
    CHECK_CUDA(cudaEventRecord(start));
    CHECK_CUDA(cudaMemcpyAsync(to, from, bytes, cudaMemcpyDeviceToDevice));
    CHECK_CUDA(cudaEventRecord(stop));
    CHECK_CUDA(cudaEventSynchronize(stop));
    float ms = 0;
    CHECK_CUDA(cudaEventElapsedTime(&ms, start, stop));
    if (i > 0) times.push_back(ms);
  }
  std::sort(times.begin(), times.end());
  CHECK_CUDA(cudaEventDestroy(start));
  CHECK_CUDA(cudaEventDestroy(stop));
  return gigabytes_per_second(2.0 * bytes, times[times.size() / 2]);
}

int main(int argc, char** argv) {
  const int only = argc > 1 ? std::atoi(argv[1]) : 0;
  int devices = 0;
  if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) {
    std::printf("batch_norm_lab: no CUDA GPU here, nothing to run\n");
    return 0;
  }
  cudaDeviceProp properties{};
  CHECK_CUDA(cudaGetDeviceProperties(&properties, 0));
  std::printf("%s\n", properties.name);
  bool all_pass = true;
  for (const Shape& shape : kShapes) {
    const size_t count = static_cast<size_t>(shape.rows) * shape.channels;
    const size_t bytes = count * sizeof(float);
    // x = a channel mean in [-100, 100] + uniform noise of standard deviation 1.
    std::mt19937 engine(7);
    std::uniform_real_distribution<float> channel_mean(-100.0f, 100.0f), noise(-1.732f, 1.732f);
    std::vector<float> means(shape.channels), x(count);
    for (float& m : means) m = channel_mean(engine);
    for (size_t i = 0; i < count; ++i) x[i] = means[i % shape.channels] + noise(engine);
    std::vector<double> reference_mean, reference_invstd;
    statistics_reference(x, shape.rows, shape.channels, reference_mean, reference_invstd);

    float *x_device = nullptr, *copy_device = nullptr, *mean_device = nullptr,
          *invstd_device = nullptr;
    double* workspace = nullptr;
    CHECK_CUDA(cudaMalloc(&x_device, bytes));
    CHECK_CUDA(cudaMalloc(&copy_device, bytes));
    CHECK_CUDA(cudaMalloc(&mean_device, sizeof(float) * shape.channels));
    CHECK_CUDA(cudaMalloc(&invstd_device, sizeof(float) * shape.channels));
    CHECK_CUDA(cudaMalloc(&workspace, sizeof(double) * 2 * kMaxStripes * shape.channels));
    CHECK_CUDA(cudaMemcpy(x_device, x.data(), bytes, cudaMemcpyHostToDevice));
    const double copy_gbs = copy_bandwidth(x_device, copy_device, bytes);
    std::printf("\n%s: %ld rows x %d channels, %.0f MB; copy %.0f GB/s\n", shape.name, shape.rows,
                shape.channels, bytes / 1e6, copy_gbs);
    std::printf("  %-46s %10s %10s %10s %8s %6s %7s\n", "version", "mean err", "invstd err",
                "repeatable", "ms", "GB/s", "of copy");
    for (const NamedVersion& version : kVersions) {
      if (only != 0 && version.number != only) continue;
      std::vector<float> mean(shape.channels), invstd(shape.channels), second_mean(shape.channels);
      version.run(x_device, shape.rows, shape.channels, mean_device, invstd_device, workspace);
      CHECK_CUDA(cudaGetLastError());
      CHECK_CUDA(cudaMemcpy(mean.data(), mean_device, sizeof(float) * shape.channels,
                            cudaMemcpyDeviceToHost));
      CHECK_CUDA(cudaMemcpy(invstd.data(), invstd_device, sizeof(float) * shape.channels,
                            cudaMemcpyDeviceToHost));
      version.run(x_device, shape.rows, shape.channels, mean_device, invstd_device, workspace);
      CHECK_CUDA(cudaMemcpy(second_mean.data(), mean_device, sizeof(float) * shape.channels,
                            cudaMemcpyDeviceToHost));
      const bool repeatable =
          std::memcmp(mean.data(), second_mean.data(), sizeof(float) * shape.channels) == 0;
      const double mean_error = largest_relative_error(mean, reference_mean);
      const double invstd_error = largest_relative_error(invstd, reference_invstd);

      cudaEvent_t start, stop;
      CHECK_CUDA(cudaEventCreate(&start));
      CHECK_CUDA(cudaEventCreate(&stop));
      // Median of 20 runs after a first one, or of 3 for a version slower than 50 ms a run
      // (version 1 on the large shapes), to keep the lab within a minute.
      std::vector<float> times;
      for (int i = 0, runs = 21; i < runs; ++i) {
        CHECK_CUDA(cudaEventRecord(start));
        version.run(x_device, shape.rows, shape.channels, mean_device, invstd_device, workspace);
        CHECK_CUDA(cudaEventRecord(stop));
        CHECK_CUDA(cudaEventSynchronize(stop));
        float ms = 0;
        CHECK_CUDA(cudaEventElapsedTime(&ms, start, stop));
        if (i == 0 && ms > 50) runs = 4;
        if (i > 0) times.push_back(ms);  // the first run pays for the launch setup
      }
      std::sort(times.begin(), times.end());
      const float ms = times[times.size() / 2];
      const double gbs = gigabytes_per_second(static_cast<double>(bytes), ms);
      std::printf("  %d %-44s %10.2e %10.2e %10s %8.3f %6.0f %6.0f%%\n", version.number,
                  version.description, mean_error, invstd_error, repeatable ? "yes" : "no", ms, gbs,
                  100.0 * gbs / copy_gbs);
      CHECK_CUDA(cudaEventDestroy(start));
      CHECK_CUDA(cudaEventDestroy(stop));
      // Today's kernel must be exact to float precision and repeatable; the others are shown.
      if (version.number == 3 && (mean_error > 1e-6 || invstd_error > 1e-5 || !repeatable))
        all_pass = false;
    }
    CHECK_CUDA(cudaFree(x_device));
    CHECK_CUDA(cudaFree(copy_device));
    CHECK_CUDA(cudaFree(mean_device));
    CHECK_CUDA(cudaFree(invstd_device));
    CHECK_CUDA(cudaFree(workspace));
  }
  std::printf("\n%s\n", all_pass ? "version 3 matches the reference and repeats bit for bit"
                                 : "version 3 FAILED its check against the reference");
  return all_pass ? 0 : 1;
}
