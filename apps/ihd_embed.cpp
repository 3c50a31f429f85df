// ihd_embed: a trained slice model's view of every slice, for the sequence stage. Runs the model
// (evaluation mode, batched) over every slice of every split of the run's data (or --data; all
// of it, not the balanced or limited subset the slice model may have trained on) and
// writes a features folder: pooled backbone features and logits per slice, with its series and
// position (apps/pipeline/embedding.h). `ihd_train --stage sequence --features DIR` trains on it.
// A progress line shows how far it is (--quiet: none).
#include <cstdio>

#include "apps/pipeline/compute_description.h"  // compute_description
#include "apps/pipeline/embedding.h"            // embed_dataset, write_embeddings
#include "apps/pipeline/flags.h"                // FlagSet
#include "apps/pipeline/inference.h"            // load_trained_model
#include "apps/pipeline/run_config.h"           // build_commit
#include "apps/pipeline/training_data.h"        // open_training_data
#include "common/console.h"                     // line_buffer_stdout
#include "common/error.h"                       // ihd::Error
#include "common/progress.h"                    // console_progress

int main(int argc, char** argv) {
  ihd::line_buffer_stdout();
  using namespace ihd::pipeline;
  std::string model_path, data_path, out, device_name = "cpu";
  int batch = 32;
  bool quiet = false;
  FlagSet flags("ihd_embed", "--model RUN_DIR --out FEATURES_DIR [flags]");
  flags.add("model", model_path, "training run folder or .safetensors checkpoint");
  flags.add("data", data_path, "the data set to embed (default: the run's own data)");
  flags.add("out", out, "features folder to write");
  flags.add("batch", batch, "images per forward pass");
  flags.add("device", device_name, "cpu or cuda[:N]");
  flags.add("quiet", quiet, "no progress line (the summary and errors stay)");
  try {
    if (!flags.parse(argc, argv)) return 0;
    if (model_path.empty() || out.empty()) {
      throw ihd::Error("--model and --out are required (see --help)");
    }
    if (batch < 1) throw ihd::Error("--batch must be at least 1");
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
  } catch (const std::exception& error) {
    std::fprintf(stderr, "ihd_embed: error: %s\n", error.what());
    return 1;
  }
}
