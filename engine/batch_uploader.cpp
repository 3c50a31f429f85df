// BatchUploader (see batch_uploader.h): pinned staging buffers on CUDA, a plain copy on the CPU.
#include "engine/batch_uploader.h"

#include <cstring>

#include "common/error.h"

#ifdef IHD_WITH_CUDA
#include "kernels/cuda/pinned_buffer.h"
#endif

namespace ihd {

struct BatchUploader::Staging {
#ifdef IHD_WITH_CUDA
  std::unique_ptr<kernels::cuda::PinnedHostBuffer> buffer;
#endif
};

BatchUploader::BatchUploader(Device device) : device_(device) {
  for (auto& staging : staging_) staging = std::make_unique<Staging>();
}

BatchUploader::~BatchUploader() = default;

Tensor BatchUploader::upload(Shape shape, const std::vector<float>& values) {
  IHD_CHECK(shape.numel() == static_cast<int64_t>(values.size()), "upload: shape ",
            shape.to_string(), " needs ", shape.numel(), " values, got ", values.size());
#ifdef IHD_WITH_CUDA
  if (device_.is_cuda() && !values.empty()) {
    const std::size_t bytes = values.size() * sizeof(float);
    Staging& staging = *staging_[next_];
    next_ = 1 - next_;
    if (staging.buffer && staging.buffer->bytes() >= bytes) {
      staging.buffer->wait_until_copied();  // its previous batch has left it
    } else {
      staging.buffer.reset();  // waits for its last copy, then frees it
      staging.buffer = std::make_unique<kernels::cuda::PinnedHostBuffer>(bytes);
    }
    std::memcpy(staging.buffer->data(), values.data(), bytes);
    Tensor tensor = Tensor::empty(std::move(shape), device_);
    staging.buffer->copy_to_device(tensor.raw_data(), bytes);
    return tensor;
  }
#endif
  return Tensor::from_vector(std::move(shape), values, device_);
}

}  // namespace ihd
