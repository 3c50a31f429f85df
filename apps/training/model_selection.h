// Which epoch (or learning rate) is best. Sensitivity comes first, as the seed asks (a missed
// bleed is the costly error), in a well-defined way: the default rule sets each epoch's threshold
// to reach the target sensitivity and prefers the epoch with the fewest false alarms there (the
// highest specificity), ties by ROC AUC. Taken literally, the seed's ranking (recall, then
// precision, then accuracy at 0.5) crowns the most recall-happy epoch, often an early one that
// calls nearly everything positive; it stays available, as does ranking by ROC AUC. NaN (an
// unreachable target, a split of one class) ranks below every number; on a full tie the earlier
// record wins.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string_view>

#include "apps/training/history.h"

namespace ihd::training {

enum class SelectionRule {
  kSpecificityAtTargetSensitivity,  // "specificity", the default
  kRecallPrecisionAccuracy,         // "recall", the seed's literal ranking at threshold 0.5
  kRocAuc,                          // "auc"
};

// "specificity", "recall" or "auc"; throws std::invalid_argument otherwise.
SelectionRule parse_selection_rule(std::string_view name);
// What the rule compares, for reports ("specificity at the target sensitivity, then ROC AUC").
std::string_view describe_selection_rule(SelectionRule rule);

// True when a is strictly better than b under rule.
bool ranks_above(const EpochRecord& a, const EpochRecord& b, SelectionRule rule);

// Index into records of the best record of split; nullopt when split has no record.
std::optional<std::size_t> best_record_index(std::span<const EpochRecord> records,
                                             std::string_view split, SelectionRule rule);

// The threshold at which the best record of `split` reaches its target sensitivity: what a run
// decides with. 0.5 when there is no record or the target was not reachable.
double best_record_threshold(std::span<const EpochRecord> records, std::string_view split,
                             SelectionRule rule);

}  // namespace ihd::training
