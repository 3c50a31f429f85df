// Checkpoints of a run folder:
//   last.safetensors / best.safetensors  the model with torchvision names (PyTorch loads these),
//                                        written after every epoch / when an epoch ranks best;
//   resume.safetensors                   everything --resume needs, in one file: the model, the
//                                        optimizer state, where training stands (epoch, batch,
//                                        step) and the partial epoch's training predictions.
// Every file is written to a temporary name and renamed into place, so an interrupted write never
// replaces the last good checkpoint.
#pragma once

#include <filesystem>
#include <optional>

#include "apps/pipeline/evaluation.h"
#include "engine/module.h"
#include "engine/optim/optimizer.h"

namespace ihd::pipeline {

struct TrainingPosition {
  int next_epoch = 1;     // 1-based epoch to run (or to continue)
  size_t next_batch = 0;  // batch of next_epoch to continue from
  long global_step = 0;   // optimiser steps taken
  Predictions partial;    // training predictions of next_epoch's batches before next_batch
  std::vector<float> partial_logits;  // the same, as raw logits (exact on reload)
  std::vector<float> partial_targets;
  double partial_seconds = 0;
};

inline constexpr const char* kResumeCheckpointName = "resume.safetensors";
inline constexpr const char* kLastCheckpointName = "last.safetensors";
inline constexpr const char* kBestCheckpointName = "best.safetensors";

// Where the run in run_dir stands by its resume checkpoint (the epoch, batch and step fields of
// TrainingPosition), or nullopt when it has none yet; throws ihd::Error when the file is damaged.
std::optional<TrainingPosition> read_checkpoint_position(const std::filesystem::path& run_dir);

void save_resume_checkpoint(const std::filesystem::path& run_dir, const Module& model,
                            const Optimizer& optimizer, const TrainingPosition& position);
// Restores model (a slice or a sequence model), optimizer and position from run_dir; throws
// ihd::Error naming the file when it is missing, damaged or made for another model.
void load_resume_checkpoint(const std::filesystem::path& run_dir, const Module& model,
                            Optimizer& optimizer, TrainingPosition& position,
                            const std::vector<std::string>& record_ids);

}  // namespace ihd::pipeline
