// cuda:N: a process uses one GPU. Tensors on cuda:0 work; an index past the last GPU is refused
// with a message naming it and the GPU count (checked on machines without a GPU too); with two
// GPUs or more, a tensor on cuda:1 after cuda:0 is refused as a second GPU.
#include "engine/tensor.h"
#include "kernels/cuda/check.h"
#include "kernels/cuda/memory.h"
#include "ops/skip_without_gpu.h"

namespace ihd::cuda_test {
namespace {

// Runs without a GPU too: the index is checked before anything touches the GPU.
TEST_CASE("select_device refuses an index past the last GPU and names the GPU count") {
  const int count = kernels::cuda::device_count();
  const std::string missing = "there is no cuda:" + std::to_string(count) + ": this process sees ";
  CHECK_THROWS_WITH_AS(kernels::cuda::select_device(count), doctest::Contains(missing.c_str()),
                       kernels::cuda::CudaError);
  CHECK_THROWS_WITH_AS(kernels::cuda::select_device(-1), doctest::Contains("there is no cuda:-1"),
                       kernels::cuda::CudaError);
}

TEST_CASE("cuda:N: one GPU per process, indices past the last GPU refused") {
  IHD_SKIP_WITHOUT_GPU();
  const int count = kernels::cuda::device_count();
  const Tensor on_gpu = Tensor::full(Shape{3}, 2.0f, Device::cuda(0));
  CHECK(on_gpu.device() == Device::cuda(0));
  CHECK(on_gpu.to_vector() == std::vector<float>{2.0f, 2.0f, 2.0f});
  CHECK(kernels::cuda::selected_device() == 0);
  const std::string missing = "there is no cuda:" + std::to_string(count);
  CHECK_THROWS_WITH_AS(Tensor::zeros(Shape{1}, Device::cuda(count)),
                       doctest::Contains(missing.c_str()), kernels::cuda::CudaError);
  if (count >= 2) {
    CHECK_THROWS_WITH_AS(Tensor::zeros(Shape{1}, Device::cuda(1)),
                         doctest::Contains("one GPU per process"), kernels::cuda::CudaError);
  }
  CHECK(kernels::cuda::selected_device() == 0);
}

}  // namespace
}  // namespace ihd::cuda_test
