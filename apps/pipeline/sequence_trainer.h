// The sequence stage as a run of its own (ihd_train --stage sequence --features DIR --out RUN):
// a sequence model (model/sequence_model.h) over the slice embeddings of every series
// (embedding.h, sequence_data.h) learns the six RSNA labels of every slice, refined by context,
// with the RSNA weighted log loss (any x2) on the real slices of each padded batch. The run
// folder follows the slice stage's conventions: config.json, history.csv/json, report.html,
// last/best.safetensors (the sequence model), best_predictions.csv (stage-2 probabilities of the
// selected epoch's validation slices), resume.safetensors (exact resume: each epoch's order
// comes from the seed and the epoch, so a run continued from its last epoch checkpoint ends as
// an uninterrupted one), and --select on the validation slices' `any`.
//
// Each validation record also holds the study level (a series' probability is the highest of
// its slices' `any`; its label, whether any slice bleeds): study_roc_auc, study_log_loss, and the
// slice model's own numbers on the same split for comparison (stage1_roc_auc,
// stage1_rsna_weighted_log_loss, stage1_study_roc_auc).
//
// The two-stage run (ihd_train --sequence-stage): the slice model in RUN, every slice's
// embeddings in RUN/features, the sequence model in RUN/sequence; ihd_predict and ihd_eval read
// both stages from RUN.
#pragma once

#include "apps/pipeline/train_options.h"
#include "apps/pipeline/trainer.h"

namespace ihd::pipeline {

inline constexpr const char* kSequenceRunName = "sequence";
inline constexpr const char* kFeaturesFolderName = "features";

TrainingOutcome run_sequence_training(const TrainOptions& options);

// The slice stage, the embeddings, then the sequence stage (its outcome is returned).
TrainingOutcome run_two_stage_training(const TrainOptions& options);

}  // namespace ihd::pipeline
