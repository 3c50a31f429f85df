// ihd_predict: scores DICOM or PNG images with a trained run. Writes a CSV with a header row
// (id, then the probability and the predicted label of each output at the run's decision
// threshold), or with --submission the RSNA format (ID_<image>_<subtype>,<probability>).
// --gradcam DIR writes each image with a Grad-CAM heat map over it. Unreadable inputs are named
// on stderr with the reason and skipped; the run goes on.
#include <cstdio>

#include "apps/pipeline/flags.h"      // FlagSet
#include "apps/pipeline/grad_cam.h"   // write_grad_cam
#include "apps/pipeline/inference.h"  // load_trained_model, list_image_files, prepare_input
#include "apps/training/metrics.h"    // kRsnaSubtypes
#include "common/atomic_file.h"       // AtomicFileWriter
#include "common/delimited.h"         // join_record
#include "common/error.h"             // ihd::Error, as_file_error

namespace {

using namespace ihd::pipeline;
namespace fs = std::filesystem;

struct PredictOptions {
  std::string model;
  std::string out = "predictions.csv";
  double threshold = -1;  // < 0: the run's decision threshold
  bool submission = false;
  std::string gradcam;
  std::string device = "cpu";
  int batch = 16;
  int max_image_side = 8192;
  int max_decoded_mb = 256;
};

std::string probability_text(double probability) {
  char number[32];
  std::snprintf(number, sizeof number, "%.6f", probability);
  return number;
}

// The CSV rows of one batch of inputs.
std::string rows_of(const TrainedModel& trained, const PredictOptions& options, double threshold,
                    const std::vector<PreparedInput>& inputs,
                    const std::vector<std::vector<double>>& probabilities) {
  std::string rows;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (options.submission) {
      for (size_t k = 0; k < probabilities[i].size(); ++k) {
        rows += join_record({inputs[i].id + "_" + trained.label_names[k],
                             probability_text(probabilities[i][k])},
                            ihd::TextFormat::csv) +
                "\n";
      }
      continue;
    }
    std::vector<std::string> row{inputs[i].id};
    for (double probability : probabilities[i]) {
      row.push_back(probability_text(probability));
      row.push_back(probability >= threshold ? "1" : "0");
    }
    rows += join_record(row, ihd::TextFormat::csv) + "\n";
  }
  return rows;
}

std::string header_of(const TrainedModel& trained, const PredictOptions& options) {
  if (options.submission) return "ID,Label\n";
  std::vector<std::string> header{"id"};
  for (const std::string& name : trained.label_names) {
    header.push_back(name + "_probability");
    header.push_back(name + "_label");
  }
  return join_record(header, ihd::TextFormat::csv) + "\n";
}

}  // namespace

int main(int argc, char** argv) {
  PredictOptions options;
  FlagSet flags("ihd_predict", "--model RUN_DIR|CHECKPOINT [flags] INPUT...");
  flags.add("model", options.model, "training run folder or .safetensors checkpoint");
  flags.add("out", options.out, "output CSV");
  flags.add("threshold", options.threshold, "decision threshold (default: the run's chosen one)");
  flags.add("submission", options.submission, "write the RSNA submission format (six outputs)");
  flags.add("gradcam", options.gradcam, "folder for Grad-CAM heat-map PNGs");
  flags.add("device", options.device, "cpu or cuda[:N]");
  flags.add("batch", options.batch, "images per forward pass");
  flags.add("max-image-side", options.max_image_side,
            "refuse DICOM files with Rows or Columns above this");
  flags.add("max-decoded-mb", options.max_decoded_mb,
            "refuse DICOM pixel data that decodes or inflates to more MiB than this");
  try {
    if (!flags.parse(argc, argv)) return 0;
    if (options.model.empty()) throw ihd::Error("--model is required (see --help)");
    if (flags.positional().empty()) throw ihd::Error("no INPUT given (DICOM/PNG files or folders)");
    if (options.batch < 1) throw ihd::Error("--batch must be at least 1");
    if (options.max_image_side < 1 || options.max_decoded_mb < 1 ||
        options.max_decoded_mb > (1 << 20)) {
      throw ihd::Error("--max-image-side must be at least 1 and --max-decoded-mb in [1, 1048576]");
    }
    const ihd::Device device = ihd::Device::parse(options.device);
    TrainedModel trained = load_trained_model(options.model, device);
    // The limits protect this machine from its inputs: this command's, not the training's.
    trained.options.max_image_side = options.max_image_side;
    trained.options.max_decoded_mb = options.max_decoded_mb;
    if (options.submission && trained.label_names.size() != ihd::training::kRsnaSubtypeCount) {
      throw ihd::Error("--submission needs a model trained on all six RSNA labels (--labels all)");
    }
    const double threshold =
        options.threshold >= 0 ? options.threshold : trained.decision_threshold;
    const std::vector<fs::path> files = list_image_files(flags.positional());
    if (files.empty()) throw ihd::Error("no .dcm or .png files in the inputs");
    if (!options.gradcam.empty()) fs::create_directories(options.gradcam);

    ihd::AtomicFileWriter out(options.out);
    const std::string header = header_of(trained, options);
    out.write(header.data(), header.size());
    size_t written = 0, skipped = 0;
    std::vector<PreparedInput> pending;
    auto flush = [&] {
      if (pending.empty()) return;
      const std::string rows = rows_of(trained, options, threshold, pending,
                                       predict_probabilities(trained, pending, device));
      out.write(rows.data(), rows.size());
      if (!options.gradcam.empty()) {
        for (const PreparedInput& input : pending) {
          try {
            write_grad_cam(trained, input, options.gradcam, device);
          } catch (const std::exception& error) {
            std::fprintf(stderr, "no Grad-CAM for %s\n",
                         ihd::as_file_error(input.id, error).what());
          }
        }
      }
      written += pending.size();
      pending.clear();
    };
    for (const fs::path& file : files) {
      try {
        pending.push_back(prepare_input(file, trained.options));
      } catch (const std::exception& error) {
        std::fprintf(stderr, "skipped %s\n", ihd::as_file_error(file.string(), error).what());
        ++skipped;
      }
      if (static_cast<int>(pending.size()) == options.batch) flush();
    }
    flush();
    out.commit();
    std::printf("%zu images scored, %zu skipped -> %s (threshold %.4f)\n", written, skipped,
                options.out.c_str(), threshold);
    return written > 0 ? 0 : 1;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "ihd_predict: error: %s\n", error.what());
    return 1;
  }
}
