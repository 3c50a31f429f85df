// The buckets of GradientAverager and their life in one step: filled as gradients become final,
// summed across ranks, scaled by 1 / ranks, copied back into each parameter's gradient.
#include "engine/distributed/gradient_averager.h"

#include "common/error.h"
#include "engine/autograd.h"
#include "engine/dispatch.h"
#include "engine/storage.h"

namespace ihd::distributed {

GradientAverager::GradientAverager(const ProcessGroup& group, std::vector<NamedTensor> parameters,
                                   std::size_t bucket_bytes)
    : group_(group), parameters_(std::move(parameters)) {
  IHD_CHECK(!parameters_.empty(), "data-parallel training needs trainable parameters");
  const Device device = parameters_.front().second.device();
  for (std::size_t i = parameters_.size(); i-- > 0;) {
    const Tensor& parameter = parameters_[i].second;
    IHD_CHECK(parameter.dtype() == DType::f32, "gradient averaging: parameter ",
              parameters_[i].first, " is ", dtype_name(parameter.dtype()), ", not float32");
    IHD_CHECK(parameter.device() == device, "gradient averaging: parameter ", parameters_[i].first,
              " is on ", parameter.device().to_string(), ", the others on ", device.to_string());
    if (buckets_.empty() ||
        static_cast<std::size_t>(buckets_.back().numel) * sizeof(float) >= bucket_bytes) {
      buckets_.emplace_back();
    }
    Bucket& bucket = buckets_.back();
    bucket.parameters.push_back(i);
    bucket.offsets.push_back(bucket.numel);
    bucket.numel += parameter.numel();
    bucket_of_[parameter.impl()] = buckets_.size() - 1;
  }
  sums_ = make_bucket_sums(group_, device);
}

void GradientAverager::backward(const Tensor& loss) {
  for (Bucket& bucket : buckets_) {
    bucket.ready = 0;
    bucket.started = false;
  }
  run_backward(loss, [this](const Tensor& leaf) { on_leaf_ready(leaf); });
  // Buckets whose parameters were not all reached (a branch that gave no gradient) start now, in
  // bucket order: the same on every rank.
  for (Bucket& bucket : buckets_) {
    if (!bucket.started) start(bucket);
  }
  last_wait_seconds_ = sums_->wait();
  const float mean_factor = 1.0f / static_cast<float>(group_.size());
  for (Bucket& bucket : buckets_) {
    const Device device = bucket.flat.device();
    IHD_ON_DEVICE(device, scale, bucket.numel, bucket.flat.data(), mean_factor, bucket.flat.data());
    for (std::size_t k = 0; k < bucket.parameters.size(); ++k) {
      const Tensor& parameter = parameters_[bucket.parameters[k]].second;
      if (!parameter.grad().defined()) continue;
      Tensor mean = Tensor::empty(parameter.shape(), device);
      copy_bytes(mean.data(), device, bucket.flat.data() + bucket.offsets[k], device, mean.bytes());
      parameter.set_grad(mean);
    }
  }
}

void GradientAverager::on_leaf_ready(const Tensor& leaf) {
  const auto found = bucket_of_.find(leaf.impl());
  if (found == bucket_of_.end()) return;  // an input or a frozen tensor: not averaged
  Bucket& bucket = buckets_[found->second];
  if (++bucket.ready == bucket.parameters.size()) start(bucket);
  sums_->progress();
}

void GradientAverager::start(Bucket& bucket) {
  const Device device = parameters_[bucket.parameters.front()].second.device();
  if (!bucket.flat.defined()) bucket.flat = Tensor::empty(Shape{bucket.numel}, device);
  for (std::size_t k = 0; k < bucket.parameters.size(); ++k) {
    const Tensor& parameter = parameters_[bucket.parameters[k]].second;
    float* slot = bucket.flat.data() + bucket.offsets[k];
    const Tensor grad = parameter.grad();
    if (grad.defined()) {
      IHD_CHECK(grad.dtype() == DType::f32, "gradient of ", parameters_[bucket.parameters[k]].first,
                " is ", dtype_name(grad.dtype()), ", not float32");
      copy_bytes(slot, device, grad.data(), grad.device(), grad.bytes());
    } else {
      IHD_ON_DEVICE(device, fill, parameter.numel(), 0.0f, slot);
    }
  }
  bucket.started = true;
  sums_->start(bucket.flat.data(), static_cast<std::size_t>(bucket.numel));
}

}  // namespace ihd::distributed
