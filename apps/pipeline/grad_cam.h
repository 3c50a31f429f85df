// Grad-CAM (Selvaraju et al. 2017): where the model looked. The gradient of an output's logit
// with respect to layer4's feature map, averaged over space, weighs each feature channel; the
// weighted sum, passed through ReLU and scaled to [0, 1], is the heat map. It is upsampled to the
// input size and drawn over the input's first (brain) window as a PNG.
#pragma once

#include <filesystem>
#include <vector>

#include "apps/pipeline/inference.h"

namespace ihd::pipeline {

// The heat map [h * w] of layer4's grid for one prepared input and one output, in [0, 1].
std::vector<float> grad_cam_map(const TrainedModel& trained, const PreparedInput& input, int output,
                                Device device, int& map_height, int& map_width);

// Writes <dir>/<id>_gradcam.png: the input's first channel in grey with the heat map over it.
void write_grad_cam(const TrainedModel& trained, const PreparedInput& input,
                    const std::filesystem::path& dir, Device device);

}  // namespace ihd::pipeline
