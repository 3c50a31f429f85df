// BatchUploader: puts input batches on the training device. On CUDA each batch goes through
// page-locked (pinned) host memory, two staging buffers in turn: the copy then runs at the full
// speed of the bus and is queued on the compute stream without blocking the host, which goes on
// to queue the step's kernels while the next batch is filled into the other buffer (it waits only
// for that buffer's previous copy). On the CPU it is a plain copy.
#pragma once

#include <array>
#include <memory>
#include <vector>

#include "engine/tensor.h"

namespace ihd {

class BatchUploader {
 public:
  explicit BatchUploader(Device device);
  ~BatchUploader();
  BatchUploader(const BatchUploader&) = delete;
  BatchUploader& operator=(const BatchUploader&) = delete;

  // A float32 tensor of `shape` on the device holding `values` (shape.numel() of them).
  Tensor upload(Shape shape, const std::vector<float>& values);

 private:
  struct Staging;
  Device device_;
  std::array<std::unique_ptr<Staging>, 2> staging_;
  int next_ = 0;
};

}  // namespace ihd
