// TrainOptions: every setting of a training run, the flags that set them (with defaults that
// reproduce the seed: ResNet-50, 180 x 180, batch 32, Adam at 1e-4, pixel / 255, 20% validation;
// the best epoch is chosen sensitivity first, in a well-defined way: see model_selection.h),
// and the checks that refuse an impossible combination before any work starts.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "apps/pipeline/flags.h"

namespace ihd::pipeline {

struct TrainOptions {
  // Data.
  std::string data;        // RSNA folder, prepared cache or PNG class folders; empty: synthetic
  std::string data_cache;  // where RSNA/synthetic data is prepared; empty: <out>/data
  int synth_patients = 60;
  int synth_slices = 12;
  double synth_faint_ends = 0;  // chance that a synthetic bleed has faint end slices
  std::string positive_class;
  std::string labels = "any";  // "any" (one output) or "all" (the six RSNA labels)
  double val_fraction = 0.2;
  double test_fraction = 0.0;
  std::string split = "patient";  // or "random" (the seed's split by image)
  long limit = 0;
  bool balance = true;
  int max_image_side = 8192;  // DICOM/PNG inputs: the largest Rows or Columns read
  int max_decoded_mb = 256;   // DICOM inputs: pixel data decoded or inflated, at most
  bool augment = true;
  int workers = 2;

  // Model.
  std::string arch = "resnet50";
  int image_size = 180;
  int channels = 3;
  double width = 1.0;
  std::string head = "linear";  // or "mlp512" (the seed's Dense 512 + ReLU head)
  std::string init;             // safetensors weights to start from (e.g. torchvision ImageNet)
  bool freeze_backbone = false;
  std::string normalize = "unit";  // pixel / 255, or "imagenet" mean/std

  // Optimisation.
  int batch = 32;
  int epochs = 10;
  double lr = 1e-4;
  std::string optimizer = "adam";  // adam, adamw, sgd
  double momentum = 0.9;
  double weight_decay = 0.0;
  std::string schedule = "constant";  // constant, step, cosine
  int warmup_epochs = 0;
  long max_steps = 0;  // 0: no limit
  double pos_weight = 1.0;

  // Run.
  std::string device = "cpu";
  std::string precision = "fp32";
  long seed = 1;
  int threads = 0;  // 0: all cores
  std::string out;  // empty: ihd_train makes a new runs/<YYYYMMDD-HHMMSS> (run_folder.h)
  std::string resume;
  bool overwrite = false;       // replace the run in `out` (only the files ihd wrote there)
  long checkpoint_steps = 0;    // also checkpoint every N steps inside an epoch; 0: per epoch only
  bool check_numerics = false;  // stop at the first NaN/inf gradient or weight, naming it
  double target_sensitivity = 0.95;
  // Best epoch: "specificity" at the target sensitivity (sensitivity first, well defined), the
  // seed's literal "recall" ranking (recall, precision, accuracy at 0.5), or "auc".
  std::string select = "specificity";
  bool summary = false;
  bool quiet = false;  // no progress lines (the start lines, summaries and errors stay)

  // Data-parallel training (mpirun -np N ihd_train ...; docs/DISTRIBUTED.md): --batch is each
  // rank's share of the global batch of N x --batch.
  bool sync_bn = false;         // batch statistics over the global batch (torch SyncBatchNorm)
  double bucket_mb = 25;        // gradient bucket size
  bool check_replicas = false;  // after every step, check that all ranks hold the same weights
  bool data_parallel = false;   // the data-parallel path also in one process without a launcher
  int ranks = 1;                // not a flag: the ranks the run trains on (config.json "ranks")

  // The sequence stage (apps/pipeline/sequence_trainer.h): a sequence model over each series'
  // slice embeddings. --stage sequence trains it alone from --features; --sequence-stage trains
  // the slice model, embeds every slice and trains the sequence model, in one run folder.
  std::string stage = "slice";  // or "sequence"
  std::string features;         // --stage sequence: the features folder ihd_embed wrote
  bool sequence_stage = false;
  std::string sequence_model = "gru";  // or "tcn"
  int sequence_hidden = 64;
  int sequence_length = 48;  // longest chunk of a series the model reads at once
  int sequence_epochs = 30;
  double sequence_lr = 1e-3;
  int sequence_batch = 16;  // chunks per optimiser step

  // The seed's learning-rate sweep.
  bool sweep = false;
  std::string sweep_lrs = "1e-2,1e-3,1e-4,1e-5,1e-6";
  long sweep_round1_limit = 2000;
  int sweep_round1_epochs = 10;
  int sweep_keep = 3;
  int sweep_round2_epochs = 30;
  long sweep_final_limit = 20000;
  int sweep_final_epochs = 30;
};

// The flags that may change when a run is continued (--resume): how long it trains, where and how
// fast, how often it checkpoints, how closely it watches its numbers, and --summary, which only
// prints. Every other flag given with --resume must match the run's (resume.h).
inline constexpr std::array<std::string_view, 13> kFlagsResumeMayChange = {
    "epochs",         "sequence-epochs", "max-steps", "workers",   "threads",
    "device",         "checkpoint-steps", "check-numerics", "summary", "quiet",
    "bucket-mb",      "check-replicas",  "data-parallel"};

// Declares every flag on `flags`, bound to `options`, in its --help group.
void add_train_flags(FlagSet& flags, TrainOptions& options);
// Every setting by flag name, as the flags print them (for config.json and reports).
std::vector<std::pair<std::string, std::string>> option_values(const TrainOptions& options);
// Throws ihd::Error naming the first impossible setting or combination.
void validate(const TrainOptions& options);
// The number of model outputs the options ask for.
int output_count(const TrainOptions& options);
// The network depth of options.arch ("resnet50" -> 50).
int arch_depth(const std::string& arch);
std::vector<double> parse_learning_rates(const std::string& text);

}  // namespace ihd::pipeline
