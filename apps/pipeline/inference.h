// A trained model ready for inference, and the images it reads: loads a run folder (its
// config.json and best weights) or a checkpoint file beside its config.json, and prepares DICOM
// or PNG files exactly as training prepared them (windows, size, scaling, normalisation).
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "apps/pipeline/train_options.h"
#include "model/resnet.h"

namespace ihd::pipeline {

struct TrainedModel {
  TrainOptions options;  // the training run's settings (preprocessing, architecture)
  std::unique_ptr<ResNet> model;
  std::string weights_path;
  double decision_threshold = 0.5;          // on calibrated probabilities of the headline output
  std::vector<double> decision_thresholds;  // one per output, on its calibrated probabilities
  std::vector<std::string> label_names;     // one per output
  std::vector<double> temperatures;         // one per output (run_calibration.h)
};

// `source` is a run folder (best.safetensors, else last.safetensors) or a .safetensors file with
// config.json in its folder. The model is in evaluation mode on `device`.
TrainedModel load_trained_model(const std::filesystem::path& source, Device device);

// One input image prepared for the network: NHWC float pixels of one image.
struct PreparedInput {
  std::string id;  // the file's stem
  std::vector<float> pixels;
};

// Expands files and folders (recursively) into the .dcm and .png files they hold, sorted.
std::vector<std::filesystem::path> list_image_files(const std::vector<std::string>& inputs);
// Reads and prepares one file; throws (ihd::Error or Error) with a one-line reason.
PreparedInput prepare_input(const std::filesystem::path& file, const TrainOptions& options);

// Calibrated probabilities [image][output] for a batch of prepared inputs: sigmoid(logit / T).
std::vector<std::vector<double>> predict_probabilities(const TrainedModel& trained,
                                                       const std::vector<PreparedInput>& inputs,
                                                       Device device);

}  // namespace ihd::pipeline
