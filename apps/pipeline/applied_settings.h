// The settings a training run's report lists: every flag's value (option_values) less those that
// did not apply to this run. The rule, one line per group of flags, is here and nowhere else:
//   synth-*                 only on the synthetic set (no --data); "data" then reads "synthetic"
//   positive-class          only with --data, and only when set (PNG class folders)
//   momentum                only with --optimizer sgd
//   sweep, sweep-*          only with --sweep
//   sync-bn, bucket-mb, check-replicas, data-parallel
//                           only in data-parallel training (config.json's "ranks" above 1, or
//                           --data-parallel)
//   sequence-*, features    only with a sequence stage (--sequence-stage or --stage sequence)
//   --stage sequence        trains the sequence model alone from --features: the slice model's
//                           data, model and optimisation settings do not apply, only the sequence
//                           stage's own and the run's (device, seed, threads, out, resume, target
//                           sensitivity, selection)
//   init, resume, limit, max-steps, checkpoint-steps
//                           only when set (empty or 0 switches them off)
//   summary, overwrite      never: they say what the command did (print the layer table and exit,
//                           replace a folder), not what the run was
// config.json keeps every flag (run_config_values): it is what a resumed run reads back.
#pragma once

#include "apps/pipeline/train_options.h"
#include "apps/training/report.h"

namespace ihd::pipeline {

training::ConfigEntries applied_settings(const TrainOptions& options);

}  // namespace ihd::pipeline
