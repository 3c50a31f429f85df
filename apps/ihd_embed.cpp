// ihd_embed: a trained slice model's view of every slice, for the sequence stage. Runs the model
// (evaluation mode, batched) over every slice of every split of the run's data (or --data; all
// of it, not the balanced or limited subset the slice model may have trained on) and
// writes a features folder: pooled backbone features and logits per slice, with its series and
// position (apps/pipeline/embedding.h). `ihd_train --stage sequence --features DIR` trains on it.
// A progress line shows how far it is (--quiet: none).
#include <cstdio>

#include "apps/pipeline/compute_description.h"  // compute_description
#include "apps/pipeline/embedding.h"            // embed_dataset, write_embeddings
#include "apps/pipeline/flags.h"                // FlagSet, UsageError, kUsageExitCode
#include "apps/pipeline/inference.h"            // load_trained_model
#include "apps/pipeline/run_config.h"           // build_commit
#include "apps/pipeline/training_data.h"        // open_training_data
#include "common/console.h"                     // line_buffer_stdout
#include "common/progress.h"                    // console_progress
#include "engine/device.h"                      // device_refusal

int main(int argc, char** argv) {
  ihd::line_buffer_stdout();
  using namespace ihd::pipeline;
  std::string model_path, data_path, out, device_name = "cpu";
  int batch = 32;
  bool quiet = false;
  FlagSet flags("ihd_embed", "--model RUN_DIR --out FEATURES_DIR [flags]",
                "Embeds every slice of a data set with a trained slice model, for the sequence "
                "stage (ihd_train --stage sequence --features FEATURES_DIR).");
  flags.group("model and data");
  flags.add("model", model_path, "RUN_DIR|FILE", "training run folder or .safetensors checkpoint");
  flags.add("data", data_path, "PATH", "the data set to embed").shown_default("the run's own data");
  flags.group("output");
  flags.add("out", out, "DIR", "features folder to write (required)");
  flags.group("run");
  flags.add("batch", batch, "N", "images per forward pass").range(1, 65536);
  flags.add("device", device_name, "cpu|cuda[:N]", "where to run the model")
      .validated_by(ihd::device_refusal);
  flags.add("quiet", quiet, "no progress line (the summary and errors stay)");
  flags.example("ihd_embed --model runs/latest --out features",
                "every slice of the newest run's data, as features/slices.tsv and "
                "features/features.safetensors");
  try {
    if (!flags.parse(argc, argv)) return 0;
    if (model_path.empty() || out.empty()) {
      throw UsageError("--model and --out are required (see --help)");
    }
    const ihd::Device device = ihd::Device::parse(device_name);
    const TrainedModel trained = load_trained_model(model_path, device);
    TrainOptions options = every_slice_options(trained.options);
    if (!data_path.empty()) options.data = data_path;
    options.quiet = quiet;
    const TrainingData data = open_training_data(options);
    std::printf("embedding %zu slices of %s on %s\n", data.dataset->records().size(),
                data.description.c_str(), compute_description(device).c_str());
    const SliceEmbeddings embeddings =
        embed_dataset(trained, *data.dataset, {}, batch, device, ihd::console_progress(quiet));
    write_embeddings(out, embeddings,
                     {{"model", trained.weights_path},
                      {"data", options.data.empty() ? "synthetic" : options.data},
                      {"data_description", data.description},
                      {"commit", build_commit()}});
    std::printf("%zu slices embedded (%d features, %zu outputs) -> %s\n", embeddings.count(),
                embeddings.feature_count, embeddings.output_names.size(), out.c_str());
    return 0;
  } catch (const UsageError& error) {
    std::fprintf(stderr, "ihd_embed: error: %s\n", error.what());
    return kUsageExitCode;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "ihd_embed: error: %s\n", error.what());
    return 1;
  }
}
