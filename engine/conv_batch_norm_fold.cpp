// ConvBatchNormFold: the fold (in double, rounded once to float32), its staleness check and the
// prepared weights per input shape.
#include "engine/conv_batch_norm_fold.h"

#include <algorithm>
#include <cmath>

#include "common/error.h"
#include "engine/autograd.h"

namespace ihd {
namespace {

// Input shapes (and types) whose prepared weights a fold keeps: a run's batch and its last,
// smaller one, with room to spare; an older one is dropped first.
constexpr std::size_t kPreparedShapes = 4;

uint64_t version_or_zero(const Tensor& t) {
  return t.defined() ? t.version() : 0;
}

}  // namespace

ConvBatchNormFold::ConvBatchNormFold(const Conv2d& conv, const BatchNorm2d& bn)
    : conv_(conv), bn_(bn) {
  IHD_CHECK(bn.weight.numel() == conv.weight.size(0), "ConvBatchNormFold: the batch norm has ",
            bn.weight.numel(), " channels but the convolution ", conv.weight.size(0), " outputs");
}

bool ConvBatchNormFold::applies_to(const Tensor& x) const {
  return !bn_.is_training() && !grad_enabled() &&
         (x.dtype() == DType::f32 || x.dtype() == DType::bf16);
}

Tensor ConvBatchNormFold::forward(const Tensor& x, bool relu, const Tensor& residual) const {
  if (!applies_to(x)) return bn_.forward(conv_.forward(x), relu, residual);
  // The type the unfolded layers would compute in.
  const DType type = conv2d_compute_dtype(x);
  const Tensor input = x.dtype() == type ? x : cast(x, type);
  const Tensor shortcut =
      !residual.defined() || residual.dtype() == type ? residual : cast(residual, type);
  const std::shared_ptr<Folded> folded = current();
  std::shared_ptr<const PreparedConv2d> prepared;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto found =
        std::find_if(folded->prepared.begin(), folded->prepared.end(), [&](const auto& entry) {
          return entry->input_shape == input.shape() && entry->activations == type;
        });
    if (found != folded->prepared.end()) {
      prepared = *found;
    } else {
      if (folded->prepared.size() >= kPreparedShapes)
        folded->prepared.erase(folded->prepared.begin());
      prepared = std::make_shared<const PreparedConv2d>(
          prepare_conv2d(folded->weight, input.shape(), conv_.options, type));
      folded->prepared.push_back(prepared);
    }
  }
  return conv2d_fused(input, *prepared, folded->bias, shortcut, relu);
}

void ConvBatchNormFold::clear() const {
  std::lock_guard<std::mutex> lock(mutex_);
  folded_.reset();
}

std::pair<Tensor, Tensor> ConvBatchNormFold::folded() const {
  const std::shared_ptr<Folded> folded = current();
  return {folded->weight, folded->bias};
}

std::array<uint64_t, 6> ConvBatchNormFold::source_versions() const {
  return {conv_.weight.version(), version_or_zero(conv_.bias), bn_.weight.version(),
          bn_.bias.version(),     bn_.running_mean.version(),  bn_.running_var.version()};
}

std::shared_ptr<ConvBatchNormFold::Folded> ConvBatchNormFold::current() const {
  std::lock_guard<std::mutex> lock(mutex_);
  const std::array<uint64_t, 6> versions = source_versions();
  if (folded_ && folded_->source_versions == versions && folded_->eps == bn_.eps) return folded_;
  const std::vector<float> w = conv_.weight.to_vector();
  const std::vector<float> gamma = bn_.weight.to_vector(), beta = bn_.bias.to_vector();
  const std::vector<float> mean = bn_.running_mean.to_vector();
  const std::vector<float> var = bn_.running_var.to_vector();
  const std::vector<float> conv_bias =
      conv_.bias.defined() ? conv_.bias.to_vector() : std::vector<float>(gamma.size(), 0.0f);
  const std::size_t channels = gamma.size();
  const std::size_t per_channel = w.size() / channels;
  std::vector<float> weight(w.size()), bias(channels);
  for (std::size_t o = 0; o < channels; ++o) {
    const double s = gamma[o] / std::sqrt(static_cast<double>(var[o]) + bn_.eps);
    for (std::size_t k = 0; k < per_channel; ++k) {
      weight[o * per_channel + k] = static_cast<float>(w[o * per_channel + k] * s);
    }
    bias[o] = static_cast<float>(beta[o] + (static_cast<double>(conv_bias[o]) - mean[o]) * s);
  }
  auto folded = std::make_shared<Folded>();
  folded->source_versions = versions;
  folded->eps = bn_.eps;
  folded->weight = Tensor::from_vector(conv_.weight.shape(), weight, conv_.weight.device());
  folded->bias =
      Tensor::from_vector(Shape{static_cast<int64_t>(channels)}, bias, conv_.weight.device());
  folded_ = folded;
  return folded;
}

}  // namespace ihd
