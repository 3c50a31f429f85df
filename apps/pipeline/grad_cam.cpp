// Grad-CAM through the engine's autograd: the feature map is detached into a leaf that requires
// a gradient, the head runs on its pooled value, and backward() from one logit fills its grad.
#include "apps/pipeline/grad_cam.h"

#include <algorithm>
#include <cstdio>

#include "apps/pipeline/grad_cam_image.h"
#include "common/error.h"
#include "common/file_names.h"
#include "data/png_io.h"
#include "data/resize.h"
#include "engine/autograd.h"
#include "engine/ops.h"

namespace ihd::pipeline {
namespace {

// The heat map of layer4's grid, in [0, 1].
struct GridHeat {
  int height = 0;
  int width = 0;
  std::vector<float> heat;
};

GridHeat grid_heat(const TrainedModel& trained, const PreparedInput& input, int output,
                   Device device) {
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

  GridHeat grid;
  grid.height = static_cast<int>(activations.size(1));
  grid.width = static_cast<int>(activations.size(2));
  const int feature_channels = static_cast<int>(activations.size(3));
  const std::vector<float> values = activations.to_vector();
  const std::vector<float> grads = activations.grad().to_vector();
  const size_t cells = static_cast<size_t>(grid.height) * grid.width;
  std::vector<double> channel_weights(feature_channels, 0.0);
  for (size_t cell = 0; cell < cells; ++cell) {
    for (int c = 0; c < feature_channels; ++c)
      channel_weights[c] += grads[cell * feature_channels + c];
  }
  grid.heat.resize(cells);
  float largest = 0.0f;
  for (size_t cell = 0; cell < cells; ++cell) {
    double total = 0.0;
    for (int c = 0; c < feature_channels; ++c) {
      total += channel_weights[c] / cells * values[cell * feature_channels + c];
    }
    grid.heat[cell] = static_cast<float>(std::max(total, 0.0));
    largest = std::max(largest, grid.heat[cell]);
  }
  if (largest > 0.0f) {
    for (float& v : grid.heat) v /= largest;
  }
  return grid;
}

}  // namespace

GradCam grad_cam(const TrainedModel& trained, const PreparedInput& input, int output,
                 Device device) {
  const NativeView& view = input.native_view;
  IHD_CHECK(view.height > 0 && view.width > 0 &&
                view.values.size() == static_cast<size_t>(view.height) * view.width,
            "grad_cam needs the input's native view (InputReading::keep_native_view)");
  const GridHeat grid = grid_heat(trained, input, output, device);
  GradCam cam;
  cam.height = view.height;
  cam.width = view.width;
  cam.heat.resize(view.values.size());
  data::resize_image(grid.heat.data(), grid.height, grid.width, 1, cam.heat.data(), cam.height,
                     cam.width);
  for (float& v : cam.heat) v = std::clamp(v, 0.0f, 1.0f);
  return cam;
}

std::string grad_cam_caption(const std::string& label_name, double probability, double threshold) {
  char number[32];
  std::snprintf(number, sizeof number, "%.3f", probability);
  return label_name + " " + number + (probability >= threshold ? " (positive)" : " (negative)");
}

GradCamPicture grad_cam_picture(const TrainedModel& trained, const PreparedInput& input,
                                double probability, double threshold, Device device) {
  const int headline = static_cast<int>(trained.label_names.size()) - 1;
  const GradCam cam = grad_cam(trained, input, headline, device);
  return {
      cam.height, cam.width,
      draw_grad_cam_image(input.native_view, cam.heat,
                          grad_cam_caption(trained.label_names[headline], probability, threshold))};
}

void write_grad_cam(const TrainedModel& trained, const PreparedInput& input, double probability,
                    double threshold, const std::filesystem::path& dir, Device device) {
  const GradCamPicture picture = grad_cam_picture(trained, input, probability, threshold, device);
  data::write_png(child_path(dir, input.id + "_gradcam.png"), picture.rgb.data(), picture.height,
                  picture.width, 3);
}

}  // namespace ihd::pipeline
