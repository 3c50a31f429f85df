// What the node does with a complete study: the model runs on the study's spooled instances
// (apps/pipeline/study_prediction.h: the slice model, and the sequence stage when the run has
// one, exactly as ihd_predict runs them), the study's SR and SC files are written under
// OUT/<study UID>/ (apps/pipeline/dicom_results.h), its worklist row is recorded (worklist.h)
// and, with --send-to, the SR and SC files are C-STOREd to the destination (result_sender.h).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "apps/pipeline/study_prediction.h"
#include "apps/serve/result_sender.h"
#include "apps/serve/worklist.h"

namespace ihd::serve {

struct ModelSettings {
  std::string model;  // run folder or checkpoint
  bool slice_only = false;
  std::string device = "cpu";
  int batch = 16;
  int max_image_side = 8192;
  int max_decoded_mb = 256;
};

struct StudyOutcome {
  bool predicted = false;     // false: no instance of the study could be scored
  double probability = 0;     // the headline's, when predicted
  std::string results_error;  // why the SR/SC were not written ("" when they were)
  std::string send_error;     // why sending failed ("" when sent or not asked for)
  int skipped_files = 0;
};

class StudyProcessor {
 public:
  // Loads the model once. `destination`: where results go by C-STORE (none when empty).
  StudyProcessor(const ModelSettings& settings, std::filesystem::path out_dir,
                 std::optional<Destination> destination, std::string calling_ae_title,
                 int network_timeout_seconds);

  // Runs the model on `files` (one study's instances) and writes and sends the results.
  StudyOutcome process(const std::string& study_uid,
                       const std::vector<std::filesystem::path>& files);

  // "slice model runs/x/best.safetensors and its sequence stage on CPU (...)".
  std::string description() const;

 private:
  pipeline::TrainedModel slice_;
  std::optional<pipeline::TrainedSequenceStage> stage_;
  pipeline::StudyScoring scoring_;
  pipeline::InputReading reading_;
  Device device_;
  int batch_;
  std::filesystem::path out_dir_;
  Worklist worklist_;
  std::optional<Destination> destination_;
  std::string calling_ae_title_;
  int network_timeout_seconds_;
};

}  // namespace ihd::serve
