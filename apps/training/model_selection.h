// Which epoch (or learning rate) is best. The seed's ranking compares validation recall, then
// precision, then accuracy, since a missed bleed is the costly error; the alternative ranks by
// ROC AUC. NaN ranks below every number; on a full tie the earlier record wins.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string_view>

#include "apps/training/history.h"

namespace ihd::training {

enum class SelectionRule { kRecallPrecisionAccuracy, kRocAuc };

// "recall" -> kRecallPrecisionAccuracy, "auc" -> kRocAuc; throws std::invalid_argument otherwise.
SelectionRule parse_selection_rule(std::string_view name);

// True when a is strictly better than b under rule (metrics at the default threshold).
bool ranks_above(const EpochRecord& a, const EpochRecord& b, SelectionRule rule);

// Index into records of the best record of split; nullopt when split has no record.
std::optional<std::size_t> best_record_index(std::span<const EpochRecord> records,
                                             std::string_view split, SelectionRule rule);

}  // namespace ihd::training
