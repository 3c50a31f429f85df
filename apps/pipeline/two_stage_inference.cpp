// Loading the sequence stage, and predicting series with both stages.
#include "apps/pipeline/two_stage_inference.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "apps/pipeline/checkpoint.h"
#include "apps/pipeline/embedding.h"
#include "apps/pipeline/model_setup.h"
#include "apps/pipeline/run_config.h"
#include "apps/pipeline/run_folder.h"
#include "apps/pipeline/sequence_data.h"
#include "apps/pipeline/sequence_trainer.h"
#include "apps/pipeline/training_data.h"
#include "common/error.h"
#include "data/series.h"
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

// The slice model's pooled features and logits for prepared inputs, appended to `embeddings`.
void embed_inputs(const TrainedModel& slice, const std::vector<PreparedInput>& inputs,
                  Device device, SliceEmbeddings& embeddings) {
  NoGradGuard no_grad;
  const int size = slice.options.image_size, channels = slice.options.channels;
  std::vector<float> pixels;
  for (const PreparedInput& input : inputs) {
    pixels.insert(pixels.end(), input.pixels.begin(), input.pixels.end());
  }
  const Tensor images = Tensor::from_vector(
      Shape{static_cast<int64_t>(inputs.size()), size, size, channels}, pixels, device);
  const Tensor pooled = slice.model->features(images);
  const std::vector<float> features = pooled.to_vector();
  const std::vector<float> logits = slice.model->head(pooled).to_vector();
  embeddings.features.insert(embeddings.features.end(), features.begin(), features.end());
  embeddings.logits.insert(embeddings.logits.end(), logits.begin(), logits.end());
}

// Where each file lies: its DICOM header's series and position; a PNG (or a file whose header
// cannot be read) alone in a series named after it.
data::SliceLocation location_of(const fs::path& file, const TrainOptions& options) {
  if (lowercase_extension(file) == ".dcm") {
    try {
      return data::slice_location(data::read_dicom_metadata(file, dicom_limits_for(options)),
                                  file.string());
    } catch (const Error&) {
      // Read again, and reported, when the slice itself is prepared.
    }
  }
  data::SliceLocation alone;
  alone.file_name = file.string();
  alone.series_instance_uid = file.string();
  return alone;
}

}  // namespace

fs::path run_folder_of(const fs::path& model) {
  return fs::is_directory(model) ? model : model.parent_path();
}

std::optional<TrainedSequenceStage> load_sequence_stage(const fs::path& run_dir,
                                                        const TrainedModel& slice, Device device) {
  const fs::path folder = run_dir / kSequenceRunName;
  if (folder_format(folder) != kRunFormat) return std::nullopt;
  const fs::path config_path = folder / kRunConfigName;
  const auto config = read_run_config(config_path);
  TrainedSequenceStage stage;
  stage.options = options_from_config(config, config_path.string());
  const auto names = config.find("label_names");
  const size_t outputs =
      names == config.end()
          ? 0
          : static_cast<size_t>(std::count(names->second.begin(), names->second.end(), ';') + 1);
  stage.calibration = read_run_calibration(config, config_path.string(), outputs);
  SequenceModelConfig model_config;
  model_config.input_features =
      feature_channels(slice.model->config()) + static_cast<int>(slice.label_names.size());
  model_config.kind = parse_sequence_kind(stage.options.sequence_model);
  model_config.hidden = stage.options.sequence_hidden;
  model_config.outputs = static_cast<int>(outputs);
  model_config.seed = static_cast<uint64_t>(stage.options.seed);
  stage.model = std::make_unique<SequenceModel>(model_config);
  fs::path weights = folder / kBestCheckpointName;
  if (!fs::exists(weights)) weights = folder / kLastCheckpointName;
  if (!fs::exists(weights)) {
    throw Error(ErrorKind::bad_config, folder.string(),
                "holds a sequence stage without a checkpoint (best or last.safetensors)");
  }
  load_weights(*stage.model, weights.string());
  stage.model->eval();
  stage.model->to(device);
  stage.weights_path = weights.string();
  const auto any =
      std::find(stage.calibration.label_names.begin(), stage.calibration.label_names.end(), "any");
  stage.headline = static_cast<int>(any == stage.calibration.label_names.end()
                                        ? outputs - 1
                                        : any - stage.calibration.label_names.begin());
  return stage;
}

void predict_series(const TrainedModel& slice, const TrainedSequenceStage& stage,
                    const std::vector<fs::path>& files, const InputReading& reading, int batch,
                    Device device, const std::function<void(const SeriesPrediction&)>& emit,
                    const std::function<void(const fs::path&, const std::exception&)>& skipped) {
  std::vector<data::SliceLocation> locations;
  for (const fs::path& file : files) locations.push_back(location_of(file, slice.options));
  const data::SeriesIndex index = data::order_series(locations);
  const std::vector<std::string>& labels = stage.calibration.label_names;
  for (const data::OrderedSeries& ordered : index.series) {
    SliceEmbeddings embeddings;
    std::vector<fs::path> embedded_files;  // of embeddings.records[k]
    embeddings.output_names = slice.label_names;
    embeddings.label_names = labels;
    embeddings.feature_count = feature_channels(slice.model->config());
    std::vector<PreparedInput> pending;
    auto flush = [&] {
      if (pending.empty()) return;
      embed_inputs(slice, pending, device, embeddings);
      pending.clear();
    };
    for (size_t k = 0; k < ordered.slices.size(); ++k) {
      const fs::path& file = files[ordered.slices[k]];
      try {
        pending.push_back(prepare_input(file, slice.options, reading));
      } catch (const std::exception& error) {
        skipped(file, error);
        continue;
      }
      data::ImageRecord record;
      record.id = pending.back().id;
      record.study_id = ordered.study_instance_uid;
      record.series_id = ordered.series_instance_uid;
      record.position_mm = static_cast<double>(embeddings.records.size());  // already in order
      record.labels.assign(labels.size(), 0.0f);
      embeddings.records.push_back(std::move(record));
      embedded_files.push_back(file);
      if (static_cast<int>(pending.size()) == batch) flush();
    }
    flush();
    if (embeddings.records.empty()) continue;
    SliceSeries series{ordered.study_instance_uid,
                       ordered.series_instance_uid,
                       ordered.patient_id,
                       data::Split::test,
                       {}};
    series.slices.resize(embeddings.count());
    std::iota(series.slices.begin(), series.slices.end(), size_t{0});
    const std::vector<std::vector<float>> logits = sequence_logits(
        *stage.model, embeddings, {series}, {0}, slice_model_base_logits(embeddings, labels),
        stage.options.sequence_length, stage.options.sequence_batch, device);

    SeriesPrediction prediction;
    prediction.study_id = ordered.study_instance_uid;
    prediction.series_id = ordered.series_instance_uid;
    for (size_t s = 0; s < embeddings.count(); ++s) {
      std::vector<double> probabilities(labels.size());
      for (size_t k = 0; k < labels.size(); ++k) {
        probabilities[k] = 1 / (1 + std::exp(-logits[s][k] / stage.calibration.temperatures[k]));
      }
      prediction.slice_ids.push_back(embeddings.records[s].id);
      prediction.slice_files.push_back(embedded_files[s]);
      prediction.probabilities.push_back(std::move(probabilities));
    }
    emit(prediction);
  }
}

}  // namespace ihd::pipeline
