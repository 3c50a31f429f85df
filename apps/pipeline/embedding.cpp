// Embedding a data set with a slice model, and the features folder on disk.
#include "apps/pipeline/embedding.h"

#include <algorithm>
#include <cstdio>
#include <numeric>

#include "apps/pipeline/run_folder.h"
#include "apps/pipeline/training_data.h"
#include "common/atomic_file.h"
#include "common/decimal.h"
#include "common/delimited.h"
#include "common/error.h"
#include "engine/autograd.h"
#include "engine/batch_uploader.h"
#include "engine/safetensors.h"

namespace ihd::pipeline {
namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kSliceColumns = {"id",    "split",  "patient",
                                                "study", "series", "position_mm"};

// The embeddings of `dataset`'s records `indices` (in that order) without their values: the
// records, the names and the feature count.
SliceEmbeddings unfilled_embeddings(const TrainedModel& trained, const data::ImageDataset& dataset,
                                    const std::vector<size_t>& indices) {
  SliceEmbeddings result;
  for (size_t index : indices) result.records.push_back(dataset.records()[index]);
  result.label_names = dataset.label_names();
  result.output_names = trained.label_names;
  result.feature_count = feature_channels(trained.model->config());
  return result;
}

}  // namespace

TrainOptions every_slice_options(const TrainOptions& run_options) {
  TrainOptions options = run_options;
  options.balance = false;
  options.limit = 0;
  return options;
}

SliceEmbeddings embed_dataset(const TrainedModel& trained, const data::ImageDataset& dataset,
                              const std::vector<size_t>& indices, int batch, Device device,
                              const ProgressOutput& output) {
  NoGradGuard no_grad;
  std::vector<size_t> all = indices;
  if (all.empty()) {
    all.resize(dataset.records().size());
    std::iota(all.begin(), all.end(), size_t{0});
  }
  SliceEmbeddings result = unfilled_embeddings(trained, dataset, all);
  std::vector<size_t> position_of(dataset.records().size(), 0);
  for (size_t k = 0; k < all.size(); ++k) position_of[all[k]] = k;
  TrainOptions options = trained.options;
  options.batch = batch;
  data::BatchLoader loader(dataset, all, loader_options(options, false));
  BatchUploader uploader(device);
  std::vector<int> all_labels(static_cast<size_t>(dataset.label_count()));
  for (size_t k = 0; k < all_labels.size(); ++k) all_labels[k] = static_cast<int>(k);
  Progress progress(output, "embedding", static_cast<std::int64_t>(all.size()), "img");
  result.features.resize(all.size() * static_cast<size_t>(result.feature_count));
  result.logits.resize(all.size() * result.output_names.size());
  loader.begin_epoch(0);
  data::Batch images;
  while (loader.next(images)) {
    const BatchTensors tensors = to_tensors(images, all_labels, options.normalize, uploader);
    const Tensor pooled = trained.model->features(tensors.images);
    const std::vector<float> features = pooled.to_vector();
    const std::vector<float> logits = trained.model->head(pooled).to_vector();
    for (int n = 0; n < images.n; ++n) {
      const size_t slice = position_of[images.indices[static_cast<size_t>(n)]];
      std::copy_n(features.begin() + n * result.feature_count, result.feature_count,
                  result.features.begin() + slice * result.feature_count);
      const size_t outputs = result.output_names.size();
      std::copy_n(logits.begin() + n * outputs, outputs, result.logits.begin() + slice * outputs);
    }
    progress.add(images.n);
  }
  progress.finish();
  return result;
}

SliceEmbeddings embed_on_ranks(const distributed::ProcessGroup& group, const TrainedModel& trained,
                               const data::ImageDataset& dataset, int batch, Device device,
                               const ProgressOutput& progress) {
  if (!group.distributed()) return embed_dataset(trained, dataset, {}, batch, device, progress);
  const size_t total = dataset.records().size();
  const auto ranks = static_cast<size_t>(group.size());
  const auto rank = static_cast<size_t>(group.rank());
  std::vector<size_t> share(total * (rank + 1) / ranks - total * rank / ranks);
  std::iota(share.begin(), share.end(), total * rank / ranks);
  // A rank with no records (more ranks than records) embeds none, and still joins the gathers.
  const SliceEmbeddings mine =
      share.empty() ? SliceEmbeddings{}
                    : embed_dataset(trained, dataset, share, batch, device, progress);
  std::vector<float> features = group.gather_varying(mine.features);
  std::vector<float> logits = group.gather_varying(mine.logits);
  if (!group.is_root()) return {};
  std::vector<size_t> every(total);
  std::iota(every.begin(), every.end(), size_t{0});
  SliceEmbeddings result = unfilled_embeddings(trained, dataset, every);
  IHD_CHECK(features.size() == total * static_cast<size_t>(result.feature_count) &&
                logits.size() == total * result.output_names.size(),
            "the ranks' embeddings do not add up to the data set's ", total, " slices");
  result.features = std::move(features);
  result.logits = std::move(logits);
  return result;
}

void write_embeddings(const fs::path& folder, const SliceEmbeddings& embeddings,
                      const ConfigValues& provenance) {
  const FolderLock lock = open_owned_folder(folder, kFeaturesFormat, FolderUse::overwrite);
  ConfigValues config = {{"format", kFeaturesFormat}};
  config.insert(config.end(), provenance.begin(), provenance.end());
  write_run_config(folder / kRunConfigName, config);

  std::string slices = join_record(kSliceColumns, TextFormat::tsv) + "\n";
  std::vector<float> labels;
  for (const data::ImageRecord& record : embeddings.records) {
    slices += join_record({record.id, std::string(data::to_string(record.split)), record.patient_id,
                           record.study_id, record.series_id, shortest_decimal(record.position_mm)},
                          TextFormat::tsv) +
              "\n";
    labels.insert(labels.end(), record.labels.begin(), record.labels.end());
  }
  const auto count = static_cast<int64_t>(embeddings.count());
  const auto label_count = static_cast<int64_t>(embeddings.label_names.size());
  write_safetensors(
      (folder / "features.safetensors").string(),
      {{"features",
        Tensor::from_vector(Shape{count, embeddings.feature_count}, embeddings.features)},
       {"logits",
        Tensor::from_vector(Shape{count, static_cast<int64_t>(embeddings.output_names.size())},
                            embeddings.logits)},
       {"labels", Tensor::from_vector(Shape{count, label_count}, labels)}},
      {{"format", kFeaturesFormat},
       {"label_names", join_list(embeddings.label_names)},
       {"output_names", join_list(embeddings.output_names)}});
  write_file_atomically(folder / "slices.tsv", slices);
}

SliceEmbeddings read_embeddings(const fs::path& folder) {
  if (folder_format(folder) != kFeaturesFormat) {
    throw Error(ErrorKind::bad_config, folder.string(),
                std::string("not a features folder (no config.json with format ") +
                    kFeaturesFormat + "; ihd_embed writes one)");
  }
  const fs::path tensors_path = folder / "features.safetensors";
  const SafetensorsFile file = read_safetensors(tensors_path.string());
  SliceEmbeddings embeddings;
  embeddings.label_names = split_list(
      file.metadata.count("label_names") ? file.metadata.at("label_names") : std::string());
  embeddings.output_names = split_list(
      file.metadata.count("output_names") ? file.metadata.at("output_names") : std::string());
  const SafetensorsEntry& features = file.at("features");
  const SafetensorsEntry& logits = file.at("logits");
  const SafetensorsEntry& labels = file.at("labels");
  const auto count = features.shape.rank() == 2 ? features.shape[0] : -1;
  if (count < 0 ||
      logits.shape != Shape({count, static_cast<int64_t>(embeddings.output_names.size())}) ||
      labels.shape != Shape({count, static_cast<int64_t>(embeddings.label_names.size())})) {
    throw Error(ErrorKind::bad_value, tensors_path.string(),
                "features, logits and labels do not describe the same slices");
  }
  embeddings.feature_count = static_cast<int>(features.shape[1]);
  embeddings.features = features.to_tensor().to_vector();
  embeddings.logits = logits.to_tensor().to_vector();
  const std::vector<float> label_values = labels.to_tensor().to_vector();

  const fs::path slices_path = folder / "slices.tsv";
  RecordReader reader(slices_path, TextFormat::tsv, ErrorKind::bad_value);
  std::vector<std::string> fields;
  if (!reader.next(fields) || fields != kSliceColumns) {
    throw Error(ErrorKind::bad_value, slices_path.string(), "unexpected header");
  }
  const size_t label_count = embeddings.label_names.size();
  while (reader.next(fields)) {
    const std::string line = "line " + std::to_string(reader.line_number());
    if (fields.size() != kSliceColumns.size()) {
      throw Error(ErrorKind::bad_value, slices_path.string(), line + " is malformed");
    }
    data::ImageRecord record;
    record.id = fields[0];
    record.patient_id = fields[2];
    record.study_id = fields[3];
    record.series_id = fields[4];
    try {
      record.split = data::parse_split(fields[1]);
      size_t used = 0;
      record.position_mm = std::stod(fields[5], &used);
      if (used != fields[5].size()) throw std::invalid_argument("position");
    } catch (const std::exception&) {
      throw Error(ErrorKind::bad_value, slices_path.string(), line + " is malformed");
    }
    const size_t index = embeddings.records.size();
    if (index >= static_cast<size_t>(count)) {
      throw Error(ErrorKind::bad_value, slices_path.string(),
                  "lists more slices than features.safetensors holds");
    }
    record.labels.assign(label_values.begin() + index * label_count,
                         label_values.begin() + (index + 1) * label_count);
    embeddings.records.push_back(std::move(record));
  }
  if (embeddings.records.size() != static_cast<size_t>(count)) {
    throw Error(ErrorKind::bad_value, slices_path.string(),
                "lists fewer slices than features.safetensors holds");
  }
  return embeddings;
}

}  // namespace ihd::pipeline
