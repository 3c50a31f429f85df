// ihd_predict: scores DICOM or PNG images with a trained run. Writes a CSV with a header row
// (id, then the probability and the predicted label of each output at the run's decision
// threshold), or with --submission the RSNA format (ID_<image>_<subtype>,<probability>).
// --gradcam DIR writes each image with a Grad-CAM heat map over it. Unreadable inputs are named
// on stderr with the reason and skipped; the run goes on.
#include <cstdio>
#include <fstream>

#include "apps/pipeline/flags.h"      // FlagSet
#include "apps/pipeline/grad_cam.h"   // write_grad_cam
#include "apps/pipeline/inference.h"  // load_trained_model, list_image_files, prepare_input
#include "apps/training/metrics.h"    // kRsnaSubtypes
#include "common/error.h"             // ihd::Error

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
};

void write_rows(std::ofstream& out, const TrainedModel& trained, const PredictOptions& options,
                double threshold, const std::vector<PreparedInput>& inputs,
                const std::vector<std::vector<double>>& probabilities) {
  char number[32];
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (options.submission) {
      for (size_t k = 0; k < probabilities[i].size(); ++k) {
        std::snprintf(number, sizeof number, "%.6f", probabilities[i][k]);
        out << inputs[i].id << "_" << trained.label_names[k] << "," << number << "\n";
      }
      continue;
    }
    out << inputs[i].id;
    for (double probability : probabilities[i]) {
      std::snprintf(number, sizeof number, "%.6f", probability);
      out << "," << number << "," << (probability >= threshold ? 1 : 0);
    }
    out << "\n";
  }
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
  try {
    if (!flags.parse(argc, argv)) return 0;
    if (options.model.empty()) throw ihd::Error("--model is required (see --help)");
    if (flags.positional().empty()) throw ihd::Error("no INPUT given (DICOM/PNG files or folders)");
    if (options.batch < 1) throw ihd::Error("--batch must be at least 1");
    const ihd::Device device = ihd::Device::parse(options.device);
    const TrainedModel trained = load_trained_model(options.model, device);
    if (options.submission && trained.label_names.size() != ihd::training::kRsnaSubtypeCount) {
      throw ihd::Error("--submission needs a model trained on all six RSNA labels (--labels all)");
    }
    const double threshold =
        options.threshold >= 0 ? options.threshold : trained.decision_threshold;
    const std::vector<fs::path> files = list_image_files(flags.positional());
    if (files.empty()) throw ihd::Error("no .dcm or .png files in the inputs");
    if (!options.gradcam.empty()) fs::create_directories(options.gradcam);

    const fs::path temporary = options.out + ".tmp";
    std::ofstream out(temporary, std::ios::trunc);
    if (!out) throw ihd::Error(options.out + ": cannot write");
    if (options.submission) {
      out << "ID,Label\n";
    } else {
      out << "id";
      for (const std::string& name : trained.label_names) {
        out << "," << name << "_probability," << name << "_label";
      }
      out << "\n";
    }
    size_t written = 0, skipped = 0;
    std::vector<PreparedInput> pending;
    auto flush = [&] {
      if (pending.empty()) return;
      write_rows(out, trained, options, threshold, pending,
                 predict_probabilities(trained, pending, device));
      if (!options.gradcam.empty()) {
        for (const PreparedInput& input : pending)
          write_grad_cam(trained, input, options.gradcam, device);
      }
      written += pending.size();
      pending.clear();
    };
    for (const fs::path& file : files) {
      try {
        pending.push_back(prepare_input(file, trained.options));
      } catch (const std::exception& error) {
        std::fprintf(stderr, "skipped %s\n", error.what());
        ++skipped;
      }
      if (static_cast<int>(pending.size()) == options.batch) flush();
    }
    flush();
    out.close();
    if (!out) throw ihd::Error(options.out + ": cannot write");
    fs::rename(temporary, options.out);
    std::printf("%zu images scored, %zu skipped -> %s (threshold %.4f)\n", written, skipped,
                options.out.c_str(), threshold);
    return written > 0 ? 0 : 1;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "ihd_predict: error: %s\n", error.what());
    return 1;
  }
}
