// What `ihd_train --resume DIR` continues, and what it answers when there is nothing to continue.
//   - resumed_options(): DIR may be a link (runs/latest): the run is the folder it points at.
//     The run's settings come from its config.json. The flags of
//     kFlagsResumeMayChange (train_options.h) given on the command line replace them; any other
//     flag given must match the run's, or it is refused by name ("--lr cannot change on
//     --resume: the run was trained with 0.0001"), so that config.json always says how the whole
//     run was trained.
//   - nothing_to_resume(): a run that has trained all its epochs (or reached its --max-steps) is
//     answered, not "resumed" into nothing: "nothing to resume: the run finished its 3 epochs;
//     extend it with --epochs M (M > 3)".
#pragma once

#include <optional>
#include <string>

#include "apps/pipeline/flags.h"
#include "apps/pipeline/train_options.h"

namespace ihd::pipeline {

// `command_line` and `flags` are the parsed command line (command_line.resume names the run).
// Throws ihd::Error when DIR holds no run, or a flag that may not change differs from the run's.
TrainOptions resumed_options(const TrainOptions& command_line, const FlagSet& flags);

// The answer when the run `resumed` (resumed_options' result) has no training left, or nullopt
// when it has. Throws ihd::Error for --epochs raised on a two-stage run whose slice model has
// been embedded already (its sequence stage would go on learning from the old embeddings).
std::optional<std::string> nothing_to_resume(const TrainOptions& resumed);

}  // namespace ihd::pipeline
