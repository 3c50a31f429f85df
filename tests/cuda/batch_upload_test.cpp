// BatchUploader on CUDA: batches of changing sizes, staged through two pinned buffers in turn
// (a buffer is reused only after its copy has finished, and regrown when a batch outgrows it),
// arrive on the GPU intact, each one distinct from the last.
#include "engine/batch_uploader.h"
#include "ops/skip_without_gpu.h"

namespace ihd::cuda_test {
namespace {

TEST_CASE("batches uploaded through pinned staging buffers arrive intact") {
  IHD_SKIP_WITHOUT_GPU();
  BatchUploader uploader(Device::cuda());
  std::vector<Tensor> uploaded;
  std::vector<std::vector<float>> sent;
  for (const int64_t n : {1000, 1000, 50000, 7, 50000, 123457, 1000}) {
    std::vector<float> values(static_cast<std::size_t>(n));
    for (std::size_t i = 0; i < values.size(); ++i) {
      values[i] = static_cast<float>(sent.size()) + 1e-3f * static_cast<float>(i % 997);
    }
    uploaded.push_back(uploader.upload(Shape{n}, values));
    sent.push_back(std::move(values));  // the host copy may change now: the staging has its own
  }
  for (std::size_t k = 0; k < sent.size(); ++k) {
    CAPTURE(k);
    CHECK(uploaded[k].device().is_cuda());
    CHECK(uploaded[k].to_vector() == sent[k]);
  }
}

}  // namespace
}  // namespace ihd::cuda_test
