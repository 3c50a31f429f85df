// Grad-CAM (Selvaraju et al. 2017): where the model looked. The gradient of an output's logit
// with respect to layer4's feature map, averaged over space, weighs each feature channel; the
// weighted sum, passed through ReLU and scaled to [0, 1], is the heat map. It is upsampled to the
// input file's own size (the DICOM's Rows x Columns, the PNG's size) and written as a PNG of that
// size: the heat blended over the input's first (brain) window, a colour bar, and the output's
// name with its calibrated probability and decision (grad_cam_image.h draws them).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "apps/pipeline/inference.h"

namespace ihd::pipeline {

// The heat map of one output for one prepared input, at the input file's own size; `input` must
// hold its native view (InputReading::keep_native_view).
struct GradCam {
  int height = 0;
  int width = 0;
  std::vector<float> heat;  // height x width, in [0, 1]
};
GradCam grad_cam(const TrainedModel& trained, const PreparedInput& input, int output,
                 Device device);

// The caption: the output's name, its probability and the decision at `threshold`, as
// "any 0.873 (positive)".
std::string grad_cam_caption(const std::string& label_name, double probability, double threshold);

// The picture of the headline output (the last one, `any`) for one prepared input, captioned
// with `probability` and `threshold`: RGB, height x width x 3 at the input file's own size.
struct GradCamPicture {
  int height = 0;
  int width = 0;
  std::vector<std::uint8_t> rgb;
};
GradCamPicture grad_cam_picture(const TrainedModel& trained, const PreparedInput& input,
                                double probability, double threshold, Device device);

// Writes grad_cam_picture as <dir>/<id>_gradcam.png (`probability` and `threshold`: the
// calibrated probability and the threshold ihd_predict's CSV used for this input).
void write_grad_cam(const TrainedModel& trained, const PreparedInput& input, double probability,
                    double threshold, const std::filesystem::path& dir, Device device);

}  // namespace ihd::pipeline
