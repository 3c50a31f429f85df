// Grad-CAM through the engine's autograd: the feature map is detached into a leaf that requires
// a gradient, the head runs on its pooled value, and backward() from one logit fills its grad.
#include "apps/pipeline/grad_cam.h"

#include <algorithm>
#include <cmath>

#include "common/file_names.h"
#include "data/png_io.h"
#include "data/resize.h"
#include "engine/autograd.h"
#include "engine/ops.h"

namespace ihd::pipeline {
namespace {

// A blue -> green -> yellow -> red ramp for v in [0, 1].
void heat_colour(float v, float rgb[3]) {
  rgb[0] = std::clamp(1.5f - std::abs(4.0f * v - 3.0f), 0.0f, 1.0f);
  rgb[1] = std::clamp(1.5f - std::abs(4.0f * v - 2.0f), 0.0f, 1.0f);
  rgb[2] = std::clamp(1.5f - std::abs(4.0f * v - 1.0f), 0.0f, 1.0f);
}

}  // namespace

std::vector<float> grad_cam_map(const TrainedModel& trained, const PreparedInput& input, int output,
                                Device device, int& map_height, int& map_width) {
  const int size = trained.options.image_size, channels = trained.options.channels;
  const Tensor image = Tensor::from_vector(Shape{1, size, size, channels}, input.pixels, device);
  Tensor activations;
  {
    NoGradGuard no_grad;
    activations = trained.model->feature_map(image).detach();
  }
  activations.set_requires_grad(true);
  const Tensor logits = trained.model->head(global_avg_pool(activations));
  const int outputs = static_cast<int>(logits.size(1));
  std::vector<float> pick(static_cast<size_t>(outputs), 0.0f);
  pick[static_cast<size_t>(output)] = 1.0f;
  sum(mul(logits, Tensor::from_vector(logits.shape(), pick, device))).backward();
  trained.model->zero_grad();  // the head's parameter gradients are a by-product

  map_height = static_cast<int>(activations.size(1));
  map_width = static_cast<int>(activations.size(2));
  const int feature_channels = static_cast<int>(activations.size(3));
  const std::vector<float> values = activations.to_vector();
  const std::vector<float> grads = activations.grad().to_vector();
  const size_t cells = static_cast<size_t>(map_height) * map_width;
  std::vector<double> channel_weights(feature_channels, 0.0);
  for (size_t cell = 0; cell < cells; ++cell) {
    for (int c = 0; c < feature_channels; ++c)
      channel_weights[c] += grads[cell * feature_channels + c];
  }
  std::vector<float> map(cells);
  float largest = 0.0f;
  for (size_t cell = 0; cell < cells; ++cell) {
    double total = 0.0;
    for (int c = 0; c < feature_channels; ++c) {
      total += channel_weights[c] / cells * values[cell * feature_channels + c];
    }
    map[cell] = static_cast<float>(std::max(total, 0.0));
    largest = std::max(largest, map[cell]);
  }
  if (largest > 0.0f) {
    for (float& v : map) v /= largest;
  }
  return map;
}

void write_grad_cam(const TrainedModel& trained, const PreparedInput& input,
                    const std::filesystem::path& dir, Device device) {
  const int size = trained.options.image_size, channels = trained.options.channels;
  const int headline = static_cast<int>(trained.label_names.size()) - 1;
  int map_height = 0, map_width = 0;
  const std::vector<float> map =
      grad_cam_map(trained, input, headline, device, map_height, map_width);
  std::vector<float> heat(static_cast<size_t>(size) * size);
  data::resize_image(map.data(), map_height, map_width, 1, heat.data(), size, size);

  // The grey base is the first channel as training saw it before normalisation.
  float low = input.pixels[0], high = input.pixels[0];
  for (size_t i = 0; i < heat.size(); ++i) {
    low = std::min(low, input.pixels[i * channels]);
    high = std::max(high, input.pixels[i * channels]);
  }
  std::vector<std::uint8_t> rgb(heat.size() * 3);
  for (size_t i = 0; i < heat.size(); ++i) {
    const float grey = high > low ? (input.pixels[i * channels] - low) / (high - low) : 0.0f;
    float colour[3];
    heat_colour(heat[i], colour);
    const float alpha = 0.5f * heat[i];
    for (int c = 0; c < 3; ++c) {
      rgb[i * 3 + c] = static_cast<std::uint8_t>(
          std::lround(255.0f * ((1.0f - alpha) * grey + alpha * colour[c])));
    }
  }
  data::write_png(child_path(dir, input.id + "_gradcam.png"), rgb.data(), size, size, 3);
}

}  // namespace ihd::pipeline
