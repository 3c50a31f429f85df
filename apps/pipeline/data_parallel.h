// What a data-parallel training run (mpirun -np N ihd_train) adds around the training loop, on
// distributed::ProcessGroup: the same start on every rank (the config compared flag by flag, rank
// 0's weights, optimizer state and position broadcast), each step's scores of all ranks gathered
// (so every rank knows the global batch's loss and rank 0 records the whole batch), one stop
// signal agreed on, validation split across the ranks and its predictions gathered in
// the split's own order, and the check that every rank holds the same weights. In a group of one
// every function is the single-process identity.
#pragma once

#include <cstdint>
#include <vector>

#include "apps/pipeline/checkpoint.h"
#include "apps/pipeline/evaluation.h"
#include "apps/pipeline/run_config.h"
#include "engine/distributed/process_group.h"
#include "engine/module.h"
#include "engine/ops.h"
#include "engine/optim/optimizer.h"

namespace ihd::pipeline {

// Throws ihd::Error on every rank when any rank's settings differ from rank 0's, naming the first
// setting that differs (each rank compares its own values with rank 0's).
void check_same_settings(const distributed::ProcessGroup& group, const ConfigValues& settings);

// Rank 0's model state (parameters and buffers), optimizer state (with its step count) and
// training position replace every other rank's. The position's partial predictions stay rank 0's
// alone (only rank 0 writes them).
void broadcast_training_state(const distributed::ProcessGroup& group, const Module& model,
                              Optimizer& optimizer, TrainingPosition& position);
// Rank 0's buffers (batch norm's running statistics) replace the other ranks': with per-rank
// batch norm each rank's drift apart, and the model is rank 0's, as in PyTorch DDP.
void broadcast_buffers(const distributed::ProcessGroup& group, const Module& model);

// One training step's results over all ranks, in global-batch order (rank 0's share first).
struct GatheredStep {
  data::Batch batch;  // n, ids and indices of the whole global batch (no pixels)
  std::vector<float> logits;
  std::vector<float> targets;
  double mean_loss = 0;  // over the global batch
};
GatheredStep gather_step(const distributed::ProcessGroup& group, const data::ImageDataset& dataset,
                         const data::Batch& share, const std::vector<float>& logits,
                         const std::vector<float>& targets, double mean_loss);

// The stop signal (interrupt.h) of the lowest rank that has one, on every rank; 0 when none.
int agreed_stop_signal(const distributed::ProcessGroup& group, int stop_signal);

// The positions of `indices` that rank `rank` of `ranks` scores: rank, rank + ranks, ...
std::vector<size_t> validation_share(const std::vector<size_t>& indices, int rank, int ranks);
// Every rank's predictions over its validation_share, merged into the predictions of the whole
// list, in its order, on every rank.
Predictions gather_predictions(const distributed::ProcessGroup& group,
                               const data::ImageDataset& dataset, const Predictions& share,
                               size_t total);

// --sync-bn's sum across the ranks (engine/ops.h ReplicaSum) for batch norms on `device`: MPI
// on host memory; GPU memory goes through the host (copied there after the compute stream's work,
// back before the work queued after it).
ReplicaSum replica_sum_over(const distributed::ProcessGroup& group, Device device);

// A hash of every parameter's bytes (FNV-1a, 64 bits).
std::uint64_t parameters_hash(const Module& model);
// Throws ihd::Error on every rank when the ranks' parameter hashes differ, naming the ranks and
// `when` ("after step 12").
void check_replicas_agree(const distributed::ProcessGroup& group, const Module& model,
                          const std::string& when);

}  // namespace ihd::pipeline
