// ihd_embed: a trained slice model's view of every slice, for the sequence stage. Runs the model
// (evaluation mode, batched) over every slice of every split of the run's data (or --data; all
// of it, not the balanced or limited subset the slice model may have trained on) and
// writes a features folder: pooled backbone features and logits per slice, with its series and
// position (apps/pipeline/embedding.h). `ihd_train --stage sequence --features DIR` trains on it.
// A progress line shows how far it is (--quiet: none).
//
// Under mpirun every rank runs this program and embeds its share of the slices
// (apps/pipeline/embedding.h, embed_on_ranks: contiguous shares, gathered on rank 0 in the data's
// order); rank 0 alone prints and writes the features folder while the others wait, and a rank's
// error ends the whole job, naming the rank (docs/DISTRIBUTED.md).
#include <cstdio>
#include <string>

#include "apps/pipeline/compute_description.h"  // compute_description
#include "apps/pipeline/embedding.h"            // embed_on_ranks, write_embeddings
#include "apps/pipeline/flags.h"                // FlagSet, UsageError, kUsageExitCode
#include "apps/pipeline/inference.h"            // load_trained_model
#include "apps/pipeline/rank_share.h"           // silence_all_but_root, rank_device, rank_threads
#include "apps/pipeline/run_config.h"           // build_commit
#include "apps/pipeline/training_data.h"        // open_training_data
#include "common/console.h"                     // line_buffer_stdout
#include "common/progress.h"                    // console_progress
#include "engine/device.h"                      // device_refusal
#include "engine/distributed/process_group.h"   // ProcessGroup (ranks under mpirun)
#include "kernels/cpu/threads.h"                // set_num_threads

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
  const ihd::distributed::ProcessGroup* group = nullptr;
  try {
    group = &ihd::distributed::ProcessGroup::world();
    silence_all_but_root(*group);
    if (!flags.parse(argc, argv)) return 0;
    if (model_path.empty() || out.empty()) {
      throw UsageError("--model and --out are required (see --help)");
    }
    if (const int threads = rank_threads(0, *group); threads > 0) {
      ihd::kernels::cpu::set_num_threads(threads);
    }
    const ihd::Device device = rank_device(device_name, *group);
    const TrainedModel trained = load_trained_model(model_path, device);
    TrainOptions options = every_slice_options(trained.options);
    if (!data_path.empty()) options.data = data_path;
    options.quiet = quiet;
    // Rank 0 first: the data it prepares or synthesises is there when the others open it.
    TrainingData data;
    if (group->is_root()) data = open_training_data(options);
    group->barrier();
    if (!group->is_root()) data = open_training_data(options);
    std::string compute = compute_description(device);
    if (group->distributed()) compute += " on each of " + std::to_string(group->size()) + " ranks";
    std::printf("embedding %zu slices of %s on %s\n", data.dataset->records().size(),
                data.description.c_str(), compute.c_str());
    const SliceEmbeddings embeddings =
        embed_on_ranks(*group, trained, *data.dataset, batch, device, ihd::console_progress(quiet));
    if (group->is_root()) {
      write_embeddings(out, embeddings,
                       {{"model", trained.weights_path},
                        {"data", options.data.empty() ? "synthetic" : options.data},
                        {"data_description", data.description},
                        {"commit", build_commit()}});
      std::printf("%zu slices embedded (%d features, %zu outputs) -> %s\n", embeddings.count(),
                  embeddings.feature_count, embeddings.output_names.size(), out.c_str());
    }
    group->barrier();  // the others wait while rank 0 writes
    return 0;
  } catch (const UsageError& error) {
    std::fprintf(stderr, "ihd_embed: error: %s\n", error.what());
    return kUsageExitCode;
  } catch (const std::exception& error) {
    // One rank's failure ends every rank: the others would wait for it forever.
    if (group && group->distributed()) {
      group->abort(1, std::string("ihd_embed: error: ") + error.what());
    }
    std::fprintf(stderr, "ihd_embed: error: %s\n", error.what());
    return 1;
  }
}
