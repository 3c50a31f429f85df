// Opening a run's data: synthetic by default, else whatever open_dataset recognises (fault point
// "data" just before a synthesised set is renamed into place).
#include "apps/pipeline/training_data.h"

#include <algorithm>
#include <cstdio>
#include <iostream>

#include "common/atomic_file.h"
#include "common/error.h"
#include "common/fault_injection.h"
#include "common/progress.h"
#include "data/dataset_sources.h"
#include "data/synthetic_dataset.h"

namespace ihd::pipeline {
namespace {

namespace fs = std::filesystem;

// "-f<probability>" in a synthetic set's folder name when its bleeds may have faint ends.
std::string faint_ends_tag(double probability) {
  if (probability == 0) return "";
  char tag[32];
  std::snprintf(tag, sizeof tag, "-f%g", probability);
  return tag;
}

// The synthetic set lives in <cache>/synthetic-p<patients>-s<slices>[-f<faint ends>]-seed<seed>.
// It is written into a temporary folder (named like every ihd temporary) and renamed into place
// when complete, so an interrupted run or a second process never sees half a set; what a killed
// run left is removed first.
fs::path synthesize_if_needed(const TrainOptions& o, const fs::path& cache_root) {
  const fs::path folder =
      cache_root /
      ("synthetic-p" + std::to_string(o.synth_patients) + "-s" + std::to_string(o.synth_slices) +
       faint_ends_tag(o.synth_faint_ends) + "-seed" + std::to_string(o.seed));
  if (fs::exists(folder)) return folder;
  remove_abandoned_temporaries(cache_root);
  const fs::path temporary = temporary_path_for(folder);
  std::printf("synthesising %d patients x %d slices of head CT into %s\n", o.synth_patients,
              o.synth_slices, folder.string().c_str());
  data::SyntheticDatasetOptions synth;
  synth.output_dir = temporary;
  synth.patients = o.synth_patients;
  synth.slices_per_patient = o.synth_slices;
  synth.seed = static_cast<std::uint64_t>(o.seed);
  synth.faint_end_probability = o.synth_faint_ends;
  synth.progress = console_progress(o.quiet);
  const data::SyntheticDatasetSummary summary = data::write_synthetic_dataset(synth);
  std::printf("synthetic set: %zu slices, %zu with hemorrhage\n", summary.images,
              summary.positive_images);
  fault_point("data");  // the set is written but not yet renamed into place
  std::error_code error;
  fs::rename(temporary, folder, error);
  if (error) fs::remove_all(temporary);  // another process finished the same set first
  return folder;
}

// A prepared cache is specific to its source and the options that shape it, so each combination
// has its own folder.
fs::path prepared_cache_dir(const TrainOptions& o, const fs::path& cache_root,
                            const fs::path& source) {
  std::string source_name = fs::absolute(source).lexically_normal().filename().string();
  if (source_name.empty()) source_name = fs::absolute(source).parent_path().filename().string();
  char name[256];
  std::snprintf(name, sizeof name, "%s-prepared-s%d-v%g-t%g-%s-%s-l%ld-seed%ld",
                source_name.c_str(), o.image_size, o.val_fraction, o.test_fraction, o.split.c_str(),
                o.balance ? "balanced" : "all", o.limit, o.seed);
  return cache_root / name;
}

}  // namespace

TrainingData open_training_data(const TrainOptions& o) {
  const fs::path cache_root =
      o.data_cache.empty() ? fs::path(o.out) / "data" : fs::path(o.data_cache);
  fs::path source = o.data;
  if (source.empty()) {
    fs::create_directories(cache_root);
    source = synthesize_if_needed(o, cache_root);
  }
  data::DatasetSourceOptions source_options;
  source_options.cache_dir = prepared_cache_dir(o, cache_root, source);
  source_options.preparation.image_size = o.image_size;
  source_options.preparation.balance = o.balance;
  source_options.preparation.limit = static_cast<size_t>(o.limit);
  source_options.preparation.fractions.validation = o.val_fraction;
  source_options.preparation.fractions.test = o.test_fraction;
  source_options.preparation.split_by_patient = o.split == "patient";
  source_options.preparation.seed = static_cast<std::uint64_t>(o.seed);
  source_options.preparation.dicom_limits = dicom_limits_for(o);
  source_options.preparation.progress = console_progress(o.quiet);
  source_options.png.positive_class = o.positive_class;
  source_options.png.image_size = o.image_size;
  source_options.png.channels = o.channels;
  source_options.png.fractions = source_options.preparation.fractions;
  source_options.png.seed = static_cast<std::uint64_t>(o.seed);

  TrainingData result;
  result.dataset = data::open_dataset(source, source_options, std::cout);
  const data::ImageDataset& dataset = *result.dataset;
  const std::vector<std::string> names = dataset.label_names();
  if (dataset.label_count() == 1) {
    IHD_CHECK_INPUT(o.labels == "any", "--labels all needs RSNA labels; ", source.string(),
                    " has one binary label");
    result.label_columns = {0};
  } else if (o.labels == "any") {
    result.label_columns = {dataset.label_count() - 1};
  } else {
    for (int i = 0; i < dataset.label_count(); ++i) result.label_columns.push_back(i);
    result.headline_output = dataset.label_count() - 1;
  }
  for (int column : result.label_columns) result.label_names.push_back(names.at(column));
  result.train = dataset.indices_of(data::Split::train);
  result.validation = dataset.indices_of(data::Split::validation);
  result.test = dataset.indices_of(data::Split::test);
  // RSNA data is limited while it is prepared; PNG folders are limited here, by a seeded draw.
  if (o.limit > 0 && dataset.label_count() == 1 &&
      result.train.size() > static_cast<size_t>(o.limit)) {
    data::deterministic_shuffle(result.train, static_cast<std::uint64_t>(o.seed));
    result.train.resize(static_cast<size_t>(o.limit));
    std::sort(result.train.begin(), result.train.end());
  }
  IHD_CHECK_INPUT(!result.train.empty(), source.string(), ": no training images");
  IHD_CHECK_INPUT(dataset.channels() == o.channels || dataset.channels() == 1, source.string(),
                  " has ", dataset.channels(), "-channel images but --channels is ", o.channels);
  result.description = source.string() + " (" + std::to_string(result.train.size()) + " train, " +
                       std::to_string(result.validation.size()) + " validation, " +
                       std::to_string(result.test.size()) + " test)";
  return result;
}

data::DicomLimits dicom_limits_for(const TrainOptions& o) {
  data::DicomLimits limits;
  limits.max_rows_or_columns = o.max_image_side;
  limits.max_decoded_bytes = static_cast<std::uint64_t>(o.max_decoded_mb) << 20;
  return limits;
}

data::BatchLoaderOptions loader_options(const TrainOptions& o, bool training) {
  data::BatchLoaderOptions options;
  options.batch_size = o.batch;
  options.image_size = o.image_size;
  options.channels = o.channels;
  options.seed = static_cast<std::uint64_t>(o.seed);
  options.shuffle = training;
  options.augment = training && o.augment;
  options.threads = o.workers;
  // Training uses whole batches only, as the seed did (the results stay those of earlier runs);
  // the start line says how many images each epoch leaves out. Evaluation scores every image.
  options.min_last_batch = training ? o.batch : 1;
  return options;
}

void normalize_pixels(std::vector<float>& pixels, int channels, const std::string& normalize) {
  if (normalize == "unit") return;
  constexpr float kMean[3] = {0.485f, 0.456f, 0.406f};
  constexpr float kStd[3] = {0.229f, 0.224f, 0.225f};
  const float grey_mean = (kMean[0] + kMean[1] + kMean[2]) / 3;
  const float grey_std = (kStd[0] + kStd[1] + kStd[2]) / 3;
  for (size_t i = 0; i < pixels.size(); ++i) {
    const int c = static_cast<int>(i % channels);
    const float mean = channels == 3 ? kMean[c] : grey_mean;
    const float std = channels == 3 ? kStd[c] : grey_std;
    pixels[i] = (pixels[i] - mean) / std;
  }
}

BatchTensors to_tensors(const data::Batch& batch, const std::vector<int>& label_columns,
                        const std::string& normalize, BatchUploader& uploader) {
  std::vector<float> pixels = batch.images;
  normalize_pixels(pixels, batch.channels, normalize);
  std::vector<float> targets;
  targets.reserve(static_cast<size_t>(batch.n) * label_columns.size());
  for (int n = 0; n < batch.n; ++n) {
    for (int column : label_columns) {
      targets.push_back(batch.labels[static_cast<size_t>(n) * batch.label_count + column]);
    }
  }
  BatchTensors tensors;
  tensors.images =
      uploader.upload(Shape{batch.n, batch.height, batch.width, batch.channels}, pixels);
  tensors.targets =
      uploader.upload(Shape{batch.n, static_cast<int64_t>(label_columns.size())}, targets);
  return tensors;
}

}  // namespace ihd::pipeline
