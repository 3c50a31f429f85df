// Loading trained runs and preparing inference inputs like the training cache did.
#include "apps/pipeline/inference.h"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "apps/pipeline/model_setup.h"
#include "apps/pipeline/run_calibration.h"
#include "apps/pipeline/run_config.h"
#include "apps/pipeline/training_data.h"
#include "common/error.h"
#include "data/dicom_reader.h"
#include "data/png_io.h"
#include "data/resize.h"
#include "data/slice_preparation.h"
#include "engine/autograd.h"
#include "model/weights.h"

namespace ihd::pipeline {
namespace {

namespace fs = std::filesystem;

std::string lowercase_extension(const fs::path& path) {
  std::string extension = path.extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return extension;
}

// The Modality as it can be shown on one line: CS values are short upper-case words; anything
// else a hostile header holds is cut to 16 characters and shown as '?'.
std::string printable_modality(const std::string& modality) {
  std::string shown;
  for (char c : modality.substr(0, 16))
    shown += std::isprint(static_cast<unsigned char>(c)) ? c : '?';
  return shown;
}

// Refuses a DICOM file whose Modality is present and not CT.
void require_ct(const data::DicomMetadata& metadata, const fs::path& file) {
  const size_t first = metadata.modality.find_first_not_of(' ');
  if (first == std::string::npos) return;  // absent or empty: nothing says it is not CT
  const std::string modality =
      metadata.modality.substr(first, metadata.modality.find_last_not_of(' ') - first + 1);
  if (modality == "CT") return;
  throw Error(ErrorKind::not_ct, file.string(),
              "Modality " + printable_modality(modality) +
                  ", not CT: the model reads head CT (--allow-non-ct to score it anyway)");
}

}  // namespace

TrainedModel load_trained_model(const fs::path& source, Device device) {
  fs::path weights = source;
  fs::path run_dir = source;
  if (fs::is_directory(source)) {
    weights = source / "best.safetensors";
    if (!fs::exists(weights)) weights = source / "last.safetensors";
  } else {
    run_dir = source.parent_path();
  }
  if (!fs::exists(weights)) {
    throw Error(source.string() + ": no such checkpoint (a run folder holds best.safetensors)");
  }
  const fs::path config_path = run_dir / "config.json";
  if (!fs::exists(config_path)) {
    throw Error(config_path.string() +
                ": missing (it holds the preprocessing and architecture of the run)");
  }
  const auto config = read_run_config(config_path);
  TrainedModel trained;
  trained.options = options_from_config(config, config_path.string());
  trained.options.init.clear();
  trained.options.freeze_backbone = false;
  trained.model = build_model(trained.options);
  load_weights(*trained.model, weights.string());
  trained.model->eval();
  trained.model->to(device);
  trained.weights_path = weights.string();
  const RunCalibration calibration = read_run_calibration(
      config, config_path.string(), static_cast<size_t>(output_count(trained.options)));
  trained.decision_threshold = calibration.decision_threshold;
  trained.decision_thresholds = calibration.decision_thresholds;
  trained.label_names = calibration.label_names;
  trained.temperatures = calibration.temperatures;
  return trained;
}

bool is_dicom_file_name(const fs::path& file) {
  return lowercase_extension(file) == ".dcm";
}

std::vector<fs::path> list_image_files(const std::vector<std::string>& inputs) {
  std::vector<fs::path> files;
  auto is_image = [](const fs::path& path) {
    const std::string extension = lowercase_extension(path);
    return extension == ".dcm" || extension == ".png";
  };
  for (const std::string& input : inputs) {
    const fs::path path = input;
    if (fs::is_directory(path)) {
      for (const auto& entry : fs::recursive_directory_iterator(path)) {
        if (entry.is_regular_file() && is_image(entry.path())) files.push_back(entry.path());
      }
    } else {
      files.push_back(path);
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string input_id(const std::string& stem, int frame, int frames) {
  return frames > 1 ? stem + "_frame" + std::to_string(frame + 1) : stem;
}

std::vector<PreparedInput> prepare_inputs(const fs::path& file, const TrainOptions& options,
                                          const InputReading& reading) {
  if (!fs::exists(file)) throw Error(file.string() + ": no such file");
  const int size = options.image_size;
  const std::string stem = file.stem().string();
  std::vector<PreparedInput> inputs;
  // The network's pixels from 8-bit channels.
  auto add_input = [&](const std::vector<std::uint8_t>& bytes, int frame, int frames,
                       NativeView native_view) {
    PreparedInput& input = inputs.emplace_back();
    input.id = input_id(stem, frame, frames);
    input.frame = frame;
    input.frames = frames;
    input.native_view = std::move(native_view);
    input.pixels.resize(bytes.size());
    for (size_t i = 0; i < bytes.size(); ++i) input.pixels[i] = bytes[i] * (1.0f / 255.0f);
    normalize_pixels(input.pixels, options.channels, options.normalize);
  };
  if (lowercase_extension(file) == ".png") {
    const data::PngImage image = data::read_png(file, options.channels);
    std::vector<std::uint8_t> bytes(static_cast<size_t>(size) * size * options.channels);
    data::resize_image_u8(image.pixels.data(), image.height, image.width, options.channels,
                          bytes.data(), size, size);
    NativeView view;
    if (reading.keep_native_view) {
      view = {image.height, image.width, {}};
      for (size_t i = 0; i < image.pixels.size(); i += static_cast<size_t>(options.channels)) {
        view.values.push_back(image.pixels[i] * (1.0f / 255.0f));
      }
    }
    add_input(bytes, 0, 1, std::move(view));
    return inputs;
  }
  std::vector<data::ChannelSpec> channels = data::window_channels(data::default_windows());
  channels.resize(static_cast<size_t>(options.channels));
  data::read_dicom_hu_frames(file, dicom_limits_for(options), [&](data::HuImage&& hu) {
    if (!reading.allow_non_ct) require_ct(hu.metadata, file);
    std::vector<const data::HuImage*> slices(channels.size(), &hu);
    NativeView view;
    if (reading.keep_native_view) {
      view = {hu.rows, hu.columns, {}};
      for (float value : hu.hu) view.values.push_back(data::window_unit(value, channels[0].window));
    }
    add_input(data::prepare_image(slices, channels, size).pixels, hu.metadata.frame,
              hu.metadata.frames, std::move(view));
  });
  return inputs;
}

std::vector<std::vector<double>> predict_probabilities(const TrainedModel& trained,
                                                       const std::vector<PreparedInput>& inputs,
                                                       Device device) {
  NoGradGuard no_grad;
  const int size = trained.options.image_size, channels = trained.options.channels;
  std::vector<float> pixels;
  for (const PreparedInput& input : inputs) {
    pixels.insert(pixels.end(), input.pixels.begin(), input.pixels.end());
  }
  const Tensor images = Tensor::from_vector(
      Shape{static_cast<int64_t>(inputs.size()), size, size, channels}, pixels, device);
  const std::vector<float> logits = trained.model->forward(images).to_vector();
  const size_t outputs = trained.label_names.size();
  std::vector<std::vector<double>> probabilities(inputs.size(), std::vector<double>(outputs));
  for (size_t i = 0; i < inputs.size(); ++i) {
    for (size_t k = 0; k < outputs; ++k) {
      probabilities[i][k] =
          1.0 /
          (1.0 + std::exp(-static_cast<double>(logits[i * outputs + k]) / trained.temperatures[k]));
    }
  }
  return probabilities;
}

}  // namespace ihd::pipeline
