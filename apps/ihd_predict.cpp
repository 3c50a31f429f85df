// ihd_predict: scores DICOM or PNG images with a trained run. Writes a CSV with a header row
// (id, then the probability and the predicted label of each output, each at its own decision
// threshold from the run, or all at --threshold), or with --submission the RSNA format
// (ID_<image>_<subtype>,<probability>). With a two-stage run (ihd_train --sequence-stage) the
// inputs are grouped into series and scored by both stages (the sequence stage's probabilities);
// --studies FILE adds one row per study (study_prediction.h, either kind of run); --dicom-out DIR
// writes each study's result as DICOM beside it (a structured report and Grad-CAM secondary
// captures of its key slices: dicom_results.h), refusing, with one line each, the studies whose
// headers cannot be copied (dicom_study_header.h). --gradcam DIR
// writes each image at its own size with a Grad-CAM heat map over it, a colour bar and the
// headline's probability and decision. Unreadable inputs, and DICOM files that are not CT (unless
// --allow-non-ct), are named on stderr with the reason and skipped; the run goes on. A progress
// line shows how far it is (--quiet: none).
#include <algorithm>
#include <cstdio>
#include <optional>

#include "apps/pipeline/compute_description.h"  // compute_description
#include "apps/pipeline/dicom_report.h"         // probability_text
#include "apps/pipeline/dicom_results.h"        // write_study_dicom
#include "apps/pipeline/flags.h"                // FlagSet, UsageError, kUsageExitCode
#include "apps/pipeline/grad_cam.h"             // write_grad_cam
#include "apps/pipeline/inference.h"         // load_trained_model, list_image_files, prepare_input
#include "apps/pipeline/study_prediction.h"  // study_scoring, predict_studies
#include "apps/pipeline/two_stage_inference.h"  // load_sequence_stage
#include "apps/training/metrics.h"              // kRsnaSubtypes
#include "common/atomic_file.h"                 // AtomicFileWriter
#include "common/console.h"                     // line_buffer_stdout, wrap_words
#include "common/delimited.h"                   // join_record
#include "common/error.h"                       // ihd::Error, as_file_error
#include "common/progress.h"                    // Progress, console_progress
#include "engine/device.h"                      // device_refusal

namespace {

using namespace ihd::pipeline;
namespace fs = std::filesystem;

struct PredictOptions {
  std::string model;
  std::string out = "predictions.csv";
  double threshold = -1;  // < 0: the run's decision threshold of each output
  bool allow_non_ct = false;
  bool submission = false;
  std::string gradcam;
  std::string studies;
  std::string dicom_out;
  bool slice_only = false;
  std::string device = "cpu";
  int batch = 16;
  int max_image_side = 8192;
  int max_decoded_mb = 256;
  bool quiet = false;
};

// The CSV rows of scored images: per image its ID, then per label its probability and decision
// at that label's threshold (or the submission's rows).
std::string rows_of(const StudyScoring& scoring, const PredictOptions& options,
                    const std::vector<ScoredSlice>& slices) {
  std::string rows;
  for (const ScoredSlice& slice : slices) {
    if (options.submission) {
      for (size_t k = 0; k < slice.probabilities.size(); ++k) {
        rows += join_record({slice.id + "_" + scoring.label_names[k],
                             probability_text(slice.probabilities[k])},
                            ihd::TextFormat::csv) +
                "\n";
      }
      continue;
    }
    std::vector<std::string> row{slice.id};
    for (size_t k = 0; k < slice.probabilities.size(); ++k) {
      row.push_back(probability_text(slice.probabilities[k]));
      row.push_back(slice.probabilities[k] >= scoring.thresholds[k] ? "1" : "0");
    }
    rows += join_record(row, ihd::TextFormat::csv) + "\n";
  }
  return rows;
}

// The --studies row of a study: its UID, its series, its slice count, the headline's probability
// and decision at the study threshold, and its key slices' IDs.
std::string study_row(const StudyScoring& scoring, const StudyPrediction& study) {
  std::string series, key_slices;
  for (const std::string& uid : study.series) series += (series.empty() ? "" : ";") + uid;
  for (size_t k : study.key_slices) {
    key_slices += (key_slices.empty() ? "" : ";") + study.slices[k].id;
  }
  const double headline = study.probabilities[scoring.headline];
  return join_record({study.study_instance_uid, series, std::to_string(study.slices.size()),
                      probability_text(headline), headline >= scoring.study_threshold ? "1" : "0",
                      key_slices},
                     ihd::TextFormat::csv) +
         "\n";
}

std::string header_of(const std::vector<std::string>& label_names, const PredictOptions& options) {
  if (options.submission) return "ID,Label\n";
  std::vector<std::string> header{"id"};
  for (const std::string& name : label_names) {
    header.push_back(name + "_probability");
    header.push_back(name + "_label");
  }
  return join_record(header, ihd::TextFormat::csv) + "\n";
}

// "threshold 0.3120", or each label's when they differ ("thresholds epidural 0.5000, ...").
std::string describe_thresholds(const std::vector<std::string>& label_names,
                                const std::vector<double>& thresholds) {
  char number[32];
  if (std::equal(thresholds.begin() + 1, thresholds.end(), thresholds.begin())) {
    std::snprintf(number, sizeof number, "%.4f", thresholds.front());
    return std::string("threshold ") + number;
  }
  std::string text = "thresholds";
  for (size_t k = 0; k < thresholds.size(); ++k) {
    std::snprintf(number, sizeof number, "%.4f", thresholds[k]);
    text += (k ? ", " : " ") + label_names[k] + " " + number;
  }
  return text;
}

}  // namespace

int main(int argc, char** argv) {
  ihd::line_buffer_stdout();
  PredictOptions options;
  FlagSet flags("ihd_predict", "--model RUN_DIR|CHECKPOINT [flags] INPUT...",
                "Scores DICOM or PNG files and folders (INPUT) with a trained run; writes one CSV "
                "row per image.");
  flags.group("model");
  flags.add("model", options.model, "RUN_DIR|FILE",
            "training run folder or .safetensors checkpoint");
  flags.add("threshold", options.threshold, "T", "decision threshold of every output")
      .range(0, 1)
      .shown_default("the run's own for each output");
  flags.add("slice-only", options.slice_only,
            "use the slice model even if the run has a sequence stage");
  flags.group("output");
  flags.add("out", options.out, "FILE", "output CSV");
  flags.add("submission", options.submission, "write the RSNA submission format (six outputs)");
  flags.add("gradcam", options.gradcam, "DIR",
            "folder for Grad-CAM heat-map PNGs (the slice model)");
  flags.add("studies", options.studies, "FILE",
            "also write one row per study (probability, decision, key slices)");
  flags.add("dicom-out", options.dicom_out, "DIR",
            "folder for DICOM results: per study a structured report and Grad-CAM secondary "
            "captures of its key slices, in the study's own StudyInstanceUID");
  flags.group("run");
  flags.add("device", options.device, "cpu|cuda[:N]", "where to run the model")
      .validated_by(ihd::device_refusal);
  flags.add("batch", options.batch, "N", "images per forward pass").range(1, 65536);
  flags.group("input limits");
  flags
      .add("max-image-side", options.max_image_side, "PX",
           "refuse DICOM files with Rows or Columns above this")
      .range(1, 65535);
  flags
      .add("max-decoded-mb", options.max_decoded_mb, "MB",
           "refuse DICOM pixel data that decodes or inflates to more MiB than this")
      .range(1, 1 << 20);
  flags.add("allow-non-ct", options.allow_non_ct,
            "score DICOM files whose Modality is not CT (refused by default)");
  flags.example("ihd_predict --model runs/latest --out preds.csv scans/",
                "every DICOM and PNG file under scans/, at the run's decision threshold");
  flags.example("ihd_predict --model runs/two-stage --studies studies.csv --out slices.csv scans/",
                "a two-stage run: slices scored in their series, and one row per study");
  flags.example("ihd_predict --model runs/latest --dicom-out results/ scans/",
                "per study a DICOM structured report and secondary captures of its key slices");
  flags.example("ihd_predict --model runs/six --submission --out submission.csv stage_2_test/",
                "the RSNA submission format (a run trained with --labels all)");
  try {
    if (!flags.parse(argc, argv)) return 0;
    if (options.model.empty()) throw UsageError("--model is required (see --help)");
    if (flags.positional().empty()) throw UsageError("no INPUT given (DICOM/PNG files or folders)");
    const ihd::Device device = ihd::Device::parse(options.device);
    TrainedModel trained = load_trained_model(options.model, device);
    // The limits protect this machine from its inputs: this command's, not the training's.
    trained.options.max_image_side = options.max_image_side;
    trained.options.max_decoded_mb = options.max_decoded_mb;
    const std::optional<TrainedSequenceStage> stage =
        options.slice_only ? std::nullopt
                           : load_sequence_stage(run_folder_of(options.model), trained, device);
    const StudyScoring scoring = study_scoring(trained, stage, options.threshold);
    const std::vector<std::string>& label_names = scoring.label_names;
    if (options.submission && label_names.size() != ihd::training::kRsnaSubtypeCount) {
      throw UsageError("--submission needs a model trained on all six RSNA labels (--labels all)");
    }
    if (stage && !options.gradcam.empty()) {
      throw UsageError("--gradcam shows the slice model's evidence: add --slice-only");
    }
    const InputReading reading{.allow_non_ct = options.allow_non_ct,
                               .keep_native_view = !options.gradcam.empty()};
    const std::vector<fs::path> files = list_image_files(flags.positional());
    if (files.empty()) throw ihd::Error("no .dcm or .png files in the inputs");
    if (!options.gradcam.empty()) fs::create_directories(options.gradcam);
    std::printf("%s\n", ihd::wrap_words("scoring " + std::to_string(files.size()) + " files with " +
                                            trained.weights_path +
                                            (stage ? " and its sequence stage" : "") + " on " +
                                            compute_description(device),
                                        "  ")
                            .c_str());
    ihd::Progress progress(ihd::console_progress(options.quiet), "scoring",
                           static_cast<std::int64_t>(files.size()), "files");

    ihd::AtomicFileWriter out(options.out);
    const std::string header = header_of(label_names, options);
    out.write(header.data(), header.size());
    size_t written = 0, skipped = 0;
    auto skip = [&](const fs::path& file, const std::exception& error) {
      progress.erase();
      std::fprintf(stderr, "skipped %s\n", ihd::as_file_error(file.string(), error).what());
      ++skipped;
      progress.add(1);
    };
    std::optional<ihd::AtomicFileWriter> studies;
    if (!options.studies.empty()) {
      studies.emplace(options.studies);
      const std::string study_header =
          join_record({"study", "series", "slices", "any_probability", "decision", "key_slices"},
                      ihd::TextFormat::csv) +
          "\n";
      studies->write(study_header.data(), study_header.size());
    }
    StudyCallbacks callbacks;
    callbacks.skipped = skip;
    callbacks.scored = [&](const std::vector<ScoredSlice>& slices) {
      const std::string rows = rows_of(scoring, options, slices);
      out.write(rows.data(), rows.size());
      written += slices.size();
      progress.add(static_cast<std::int64_t>(slices.size()));
    };
    if (!options.dicom_out.empty()) fs::create_directories(options.dicom_out);
    size_t dicom_written = 0, dicom_refused = 0;
    callbacks.study = [&](const StudyPrediction& study) {
      if (studies) {
        const std::string row = study_row(scoring, study);
        studies->write(row.data(), row.size());
      }
      if (options.dicom_out.empty()) return;
      try {
        write_study_dicom(study, scoring, trained, stage, reading, options.dicom_out, device);
        ++dicom_written;
      } catch (const std::exception& error) {
        progress.erase();
        std::fprintf(stderr, "no DICOM results for a study: %s\n", error.what());
        ++dicom_refused;
      }
    };
    if (!options.gradcam.empty()) {
      callbacks.prepared = [&](const PreparedInput& input,
                               const std::vector<double>& probabilities) {
        try {
          write_grad_cam(trained, input, probabilities.back(), scoring.thresholds.back(),
                         options.gradcam, device);
        } catch (const std::exception& error) {
          progress.erase();
          std::fprintf(stderr, "no Grad-CAM for %s\n", ihd::as_file_error(input.id, error).what());
        }
      };
    }
    predict_studies(trained, stage, files, reading, options.batch, device, callbacks);
    if (studies) studies->commit();
    progress.finish();
    out.commit();
    std::printf("%s\n",
                ihd::wrap_words(std::to_string(written) + " images scored, " +
                                    std::to_string(skipped) + " skipped -> " + options.out + " (" +
                                    describe_thresholds(label_names, scoring.thresholds) + ")",
                                "  ")
                    .c_str());
    if (!options.dicom_out.empty()) {
      std::printf("%s\n", ihd::wrap_words("DICOM results for " + std::to_string(dicom_written) +
                                              " studies, " + std::to_string(dicom_refused) +
                                              " refused -> " + options.dicom_out,
                                          "  ")
                              .c_str());
    }
    return written > 0 ? 0 : 1;
  } catch (const UsageError& error) {
    std::fprintf(stderr, "ihd_predict: error: %s\n", error.what());
    return kUsageExitCode;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "ihd_predict: error: %s\n", error.what());
    return 1;
  }
}
