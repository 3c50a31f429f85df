// A trained model ready for inference, and the images it reads: loads a run folder (its
// config.json and best weights) or a checkpoint file beside its config.json, and prepares DICOM
// or PNG files exactly as training prepared them (windows, size, scaling, normalisation). A DICOM
// file whose Modality is present and not CT is refused (the model reads head CT) unless the
// command allows it.
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

// How a command reads its inputs, beyond the run's own preprocessing.
struct InputReading {
  bool allow_non_ct = false;      // score DICOM files whose Modality is not CT (--allow-non-ct)
  bool keep_native_view = false;  // also keep PreparedInput::native_view (Grad-CAM)
};

// An image's first channel at the file's own size, in [0, 1]: the first window of a DICOM file's
// HU (the brain window by default), or a PNG's first channel / 255.
struct NativeView {
  int height = 0;
  int width = 0;
  std::vector<float> values;  // height x width, row-major
};

// One input image prepared for the network: NHWC float pixels of one image.
struct PreparedInput {
  std::string id;  // the file's stem; a frame of a multi-frame file: "<stem>_frame<N>", N from 1
  int frame = 0;   // which frame of its file (0-based)
  int frames = 1;  // how many its file holds
  std::vector<float> pixels;
  NativeView native_view;  // empty unless InputReading::keep_native_view
};

// The ID of frame `frame` (0-based) of a file of `frames` frames whose stem is `stem`.
std::string input_id(const std::string& stem, int frame, int frames);

// Whether `file` is named as a DICOM input: a .dcm extension in any case.
bool is_dicom_file_name(const std::filesystem::path& file);

// Expands files and folders (recursively) into the .dcm and .png files they hold, sorted.
std::vector<std::filesystem::path> list_image_files(const std::vector<std::string>& inputs);
// Reads and prepares one file: one input for a PNG or a single-frame DICOM file, one per frame,
// in frame order, for a multi-frame one (decoded once). Throws Error with a one-line reason naming
// the file (kind not_ct for a DICOM file of another modality, unless reading.allow_non_ct); a file
// with a frame that cannot be read gives nothing.
std::vector<PreparedInput> prepare_inputs(const std::filesystem::path& file,
                                          const TrainOptions& options, const InputReading& reading);

// Calibrated probabilities [image][output] for a batch of prepared inputs: sigmoid(logit / T).
std::vector<std::vector<double>> predict_probabilities(const TrainedModel& trained,
                                                       const std::vector<PreparedInput>& inputs,
                                                       Device device);

}  // namespace ihd::pipeline
