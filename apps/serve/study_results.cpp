// A complete study's prediction, result files, worklist row and sending: see study_results.h.
#include "apps/serve/study_results.h"

#include <cstdio>
#include <ctime>

#include "apps/pipeline/compute_description.h"
#include "apps/pipeline/dicom_results.h"
#include "common/error.h"

namespace ihd::serve {
namespace {

namespace fs = std::filesystem;

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

}  // namespace

StudyProcessor::StudyProcessor(const ModelSettings& settings, fs::path out_dir,
                               std::optional<Destination> destination, std::string calling_ae_title,
                               int network_timeout_seconds)
    : device_(Device::parse(settings.device)),
      batch_(settings.batch),
      out_dir_(std::move(out_dir)),
      worklist_(out_dir_),
      destination_(std::move(destination)),
      calling_ae_title_(std::move(calling_ae_title)),
      network_timeout_seconds_(network_timeout_seconds) {
  slice_ = pipeline::load_trained_model(settings.model, device_);
  // The limits protect this machine from its inputs: the node's, not the training's.
  slice_.options.max_image_side = settings.max_image_side;
  slice_.options.max_decoded_mb = settings.max_decoded_mb;
  stage_ = settings.slice_only ? std::nullopt
                               : pipeline::load_sequence_stage(
                                     pipeline::run_folder_of(settings.model), slice_, device_);
  scoring_ = pipeline::study_scoring(slice_, stage_, -1);
}

std::string StudyProcessor::description() const {
  return slice_.weights_path + (stage_ ? " and its sequence stage" : "") + " on " +
         pipeline::compute_description(device_);
}

StudyOutcome StudyProcessor::process(const std::string& study_uid,
                                     const std::vector<fs::path>& files) {
  StudyOutcome outcome;
  std::optional<pipeline::StudyPrediction> prediction;
  pipeline::StudyCallbacks callbacks;
  callbacks.skipped = [&](const fs::path& file, const std::exception& error) {
    std::fprintf(stderr, "ihd_serve: skipped %s\n", as_file_error(file.string(), error).what());
    ++outcome.skipped_files;
  };
  callbacks.study = [&](const pipeline::StudyPrediction& study) {
    // The spool keeps one study per folder; a file whose header names another study (it was
    // spooled by that UID, so this cannot happen short of tampering) is left out.
    if (study.study_instance_uid == study_uid) prediction = study;
  };
  pipeline::predict_studies(slice_, stage_, files, reading_, batch_, device_, callbacks);
  if (!prediction) return outcome;
  outcome.predicted = true;
  outcome.probability = prediction->probabilities[scoring_.headline];

  std::vector<fs::path> result_files;
  try {
    const pipeline::StudyDicomFiles written = pipeline::write_study_dicom(
        *prediction, scoring_, slice_, stage_, reading_, out_dir_, device_);
    result_files.push_back(written.report);
    result_files.insert(result_files.end(), written.captures.begin(), written.captures.end());
  } catch (const std::exception& error) {
    outcome.results_error = error.what();
  }

  WorklistRow row;
  row.study_uid = study_uid;
  row.probability = outcome.probability;
  row.positive = outcome.probability >= scoring_.study_threshold;
  row.label_names = scoring_.label_names;
  row.label_probabilities = prediction->probabilities;
  for (const std::size_t k : prediction->key_slices) {
    row.key_slice_sop_uids.push_back(prediction->slices[k].header.sop_instance_uid);
  }
  row.slices = static_cast<int>(prediction->slices.size());
  row.finished_at = utc_now();
  worklist_.add(row);

  if (destination_ && !result_files.empty()) {
    outcome.send_error =
        send_files(*destination_, calling_ae_title_, result_files, network_timeout_seconds_);
  }
  return outcome;
}

}  // namespace ihd::serve
