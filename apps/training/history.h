// Per-epoch training history: one EpochRecord per (epoch, split), written after every epoch as
// history.csv and history.json in the run folder (each rewritten atomically), and read back from
// history.csv for resume and for sweep figures. Columns are named after the record's fields (see
// history_column_names()); per-subtype or other extra numbers ride along in EpochRecord::extra
// as further columns. Non-finite numbers are written "nan"/"inf" in CSV and null in JSON.
#pragma once

#include <filesystem>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "apps/training/metrics.h"

namespace ihd::training {

struct EpochRecord {
  int epoch = 0;              // 1-based
  std::string split;          // "train", "validation", "test"; no commas or quotes
  double learning_rate = 0;   // at the end of the epoch
  double loss = kNotANumber;  // the epoch's mean training objective (or evaluation loss)
  double images_per_second = 0;
  double seconds = 0;
  MetricSet metrics;
  std::map<std::string, double> extra;  // e.g. "subdural_roc_auc", "rsna_weighted_log_loss"
};

// The fixed columns, in file order: epoch, split, then every number of EpochRecord and its
// MetricSet. Extra columns follow, sorted by name.
std::vector<std::string> history_column_names();

inline constexpr const char* kHistoryCsvName = "history.csv";
inline constexpr const char* kHistoryJsonName = "history.json";

std::string history_csv(std::span<const EpochRecord> records);
std::string history_json(std::span<const EpochRecord> records);

// Throws ihd::Error naming `name` (the file), the line and the column on a malformed file.
std::vector<EpochRecord> parse_history_csv(std::string_view csv,
                                           const std::string& name = kHistoryCsvName);

// Rewrites run_dir/history.csv and run_dir/history.json, each atomically.
void write_history(const std::filesystem::path& run_dir, std::span<const EpochRecord> records);

// Reads run_dir/history.csv; throws ihd::Error if it is missing or malformed.
std::vector<EpochRecord> read_history(const std::filesystem::path& run_dir);

// A number of the record by column name ("recall", "loss", "target_specificity", an extra
// name...); throws std::invalid_argument for an unknown name. "split" is not a number.
double history_value(const EpochRecord& record, std::string_view column);

// The records of one split, in file order.
std::vector<EpochRecord> records_of_split(std::span<const EpochRecord> records,
                                          std::string_view split);

}  // namespace ihd::training
