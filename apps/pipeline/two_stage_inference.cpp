// Loading the sequence stage, and predicting series with both stages.
#include "apps/pipeline/two_stage_inference.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <set>

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

// Where each slice of a file lies: its DICOM header's series and position, one location per
// frame; a PNG (or a file whose header cannot be read) alone in a series named after it.
std::vector<data::SliceLocation> locations_of(const fs::path& file, const TrainOptions& options) {
  if (is_dicom_file_name(file)) {
    try {
      const data::DicomMetadata header = data::read_dicom_metadata(file, dicom_limits_for(options));
      std::vector<data::SliceLocation> locations;
      for (int frame = 0; frame < header.frames; ++frame)
        locations.push_back(
            data::slice_location(data::metadata_of_frame(header, frame), file.string()));
      return locations;
    } catch (const Error&) {
      // Read again, and reported, when the slice itself is prepared.
    }
  }
  data::SliceLocation alone;
  alone.file_name = file.string();
  alone.series_instance_uid = file.string();
  return {alone};
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
  std::vector<size_t> file_of;  // of locations[i]
  for (size_t f = 0; f < files.size(); ++f) {
    for (data::SliceLocation& location : locations_of(files[f], slice.options)) {
      locations.push_back(std::move(location));
      file_of.push_back(f);
    }
  }
  const data::SeriesIndex index = data::order_series(locations);
  const std::vector<std::string>& labels = stage.calibration.label_names;
  for (const data::OrderedSeries& ordered : index.series) {
    SliceEmbeddings embeddings;
    std::vector<fs::path> embedded_files;    // of embeddings.records[k]
    std::vector<int> embedded_frames;        // of embeddings.records[k]: the frame in its file
    std::vector<int> embedded_frame_counts;  // of embeddings.records[k]: its file's frames
    embeddings.output_names = slice.label_names;
    embeddings.label_names = labels;
    embeddings.feature_count = feature_channels(slice.model->config());
    std::vector<PreparedInput> pending;
    auto flush = [&] {
      if (pending.empty()) return;
      embed_inputs(slice, pending, device, embeddings);
      pending.clear();
    };
    // Each file's frames are prepared once, kept until the series has taken its last one.
    std::map<size_t, size_t> frames_to_take;  // by file
    for (size_t i : ordered.slices) ++frames_to_take[file_of[i]];
    std::map<size_t, std::vector<PreparedInput>> prepared;
    std::set<size_t> unreadable;
    for (size_t k = 0; k < ordered.slices.size(); ++k) {
      const size_t f = file_of[ordered.slices[k]];
      const fs::path& file = files[f];
      if (unreadable.count(f)) continue;
      auto inputs = prepared.find(f);
      if (inputs == prepared.end()) {
        try {
          inputs = prepared.emplace(f, prepare_inputs(file, slice.options, reading)).first;
        } catch (const std::exception& error) {
          skipped(file, error);
          unreadable.insert(f);
          continue;
        }
      }
      const auto frame = static_cast<size_t>(locations[ordered.slices[k]].frame);
      if (frame >= inputs->second.size()) continue;  // a header read differently the second time
      pending.push_back(std::move(inputs->second[frame]));
      if (--frames_to_take[f] == 0) prepared.erase(inputs);
      data::ImageRecord record;
      record.id = pending.back().id;
      record.study_id = ordered.study_instance_uid;
      record.series_id = ordered.series_instance_uid;
      record.position_mm = static_cast<double>(embeddings.records.size());  // already in order
      record.labels.assign(labels.size(), 0.0f);
      embeddings.records.push_back(std::move(record));
      embedded_files.push_back(file);
      embedded_frames.push_back(static_cast<int>(frame));
      embedded_frame_counts.push_back(pending.back().frames);
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
      prediction.slice_frames.push_back(embedded_frames[s]);
      prediction.slice_frame_counts.push_back(embedded_frame_counts[s]);
      prediction.probabilities.push_back(std::move(probabilities));
    }
    emit(prediction);
  }
}

}  // namespace ihd::pipeline
