// History files; see history.h. One table of numeric columns (name, read, write) drives the CSV
// writer, the CSV reader, the JSON writer and history_value(), so the four never disagree. The
// JSON is written with common/json (names quoted by json_quote, numbers by json_number).
#include "apps/training/history.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <fstream>
#include <functional>
#include <sstream>
#include <stdexcept>

#include "common/atomic_file.h"
#include "common/decimal.h"
#include "common/delimited.h"
#include "common/error.h"
#include "common/json.h"

namespace ihd::training {
namespace {

struct NumericColumn {
  const char* name;
  std::function<double(const EpochRecord&)> read;
  std::function<void(EpochRecord&, double)> write;
};

// The ten columns of the ThresholdMetrics that select(record) reaches, named by names; select is
// a generic lambda, so it serves const records (reading) and mutable ones (writing).
template <typename Select>
void add_threshold_columns(std::vector<NumericColumn>& columns,
                           const std::array<const char*, 10>& names, Select select) {
  const auto get = [select](const EpochRecord& r) -> const ThresholdMetrics& { return select(r); };
  const auto count = [](double v) { return static_cast<std::int64_t>(std::llround(v)); };
  columns.push_back({names[0], [=](const EpochRecord& r) { return get(r).threshold; },
                     [=](EpochRecord& r, double v) { select(r).threshold = v; }});
  columns.push_back(
      {names[1],
       [=](const EpochRecord& r) { return static_cast<double>(get(r).counts.true_positive); },
       [=](EpochRecord& r, double v) { select(r).counts.true_positive = count(v); }});
  columns.push_back(
      {names[2],
       [=](const EpochRecord& r) { return static_cast<double>(get(r).counts.false_positive); },
       [=](EpochRecord& r, double v) { select(r).counts.false_positive = count(v); }});
  columns.push_back(
      {names[3],
       [=](const EpochRecord& r) { return static_cast<double>(get(r).counts.true_negative); },
       [=](EpochRecord& r, double v) { select(r).counts.true_negative = count(v); }});
  columns.push_back(
      {names[4],
       [=](const EpochRecord& r) { return static_cast<double>(get(r).counts.false_negative); },
       [=](EpochRecord& r, double v) { select(r).counts.false_negative = count(v); }});
  columns.push_back({names[5], [=](const EpochRecord& r) { return get(r).accuracy; },
                     [=](EpochRecord& r, double v) { select(r).accuracy = v; }});
  columns.push_back({names[6], [=](const EpochRecord& r) { return get(r).precision; },
                     [=](EpochRecord& r, double v) { select(r).precision = v; }});
  columns.push_back({names[7], [=](const EpochRecord& r) { return get(r).recall; },
                     [=](EpochRecord& r, double v) { select(r).recall = v; }});
  columns.push_back({names[8], [=](const EpochRecord& r) { return get(r).specificity; },
                     [=](EpochRecord& r, double v) { select(r).specificity = v; }});
  columns.push_back({names[9], [=](const EpochRecord& r) { return get(r).f1; },
                     [=](EpochRecord& r, double v) { select(r).f1 = v; }});
}

const std::vector<NumericColumn>& numeric_columns() {
  static const std::vector<NumericColumn> columns = [] {
    std::vector<NumericColumn> c;
    c.push_back({"epoch", [](const EpochRecord& r) { return static_cast<double>(r.epoch); },
                 [](EpochRecord& r, double v) { r.epoch = static_cast<int>(std::lround(v)); }});
    c.push_back({"learning_rate", [](const EpochRecord& r) { return r.learning_rate; },
                 [](EpochRecord& r, double v) { r.learning_rate = v; }});
    c.push_back({"loss", [](const EpochRecord& r) { return r.loss; },
                 [](EpochRecord& r, double v) { r.loss = v; }});
    c.push_back({"images_per_second", [](const EpochRecord& r) { return r.images_per_second; },
                 [](EpochRecord& r, double v) { r.images_per_second = v; }});
    c.push_back({"seconds", [](const EpochRecord& r) { return r.seconds; },
                 [](EpochRecord& r, double v) { r.seconds = v; }});
    c.push_back({"samples",
                 [](const EpochRecord& r) { return static_cast<double>(r.metrics.sample_count); },
                 [](EpochRecord& r, double v) { r.metrics.sample_count = std::llround(v); }});
    c.push_back({"positives",
                 [](const EpochRecord& r) { return static_cast<double>(r.metrics.positive_count); },
                 [](EpochRecord& r, double v) { r.metrics.positive_count = std::llround(v); }});
    c.push_back({"log_loss", [](const EpochRecord& r) { return r.metrics.log_loss; },
                 [](EpochRecord& r, double v) { r.metrics.log_loss = v; }});
    c.push_back({"roc_auc", [](const EpochRecord& r) { return r.metrics.roc_auc; },
                 [](EpochRecord& r, double v) { r.metrics.roc_auc = v; }});
    c.push_back({"pr_auc", [](const EpochRecord& r) { return r.metrics.pr_auc; },
                 [](EpochRecord& r, double v) { r.metrics.pr_auc = v; }});
    add_threshold_columns(
        c,
        {"threshold", "tp", "fp", "tn", "fn", "accuracy", "precision", "recall", "specificity",
         "f1"},
        [](auto& r) -> auto& { return r.metrics.at_default_threshold; });
    c.push_back(
        {"target_sensitivity",
         [](const EpochRecord& r) { return r.metrics.at_target_sensitivity.target_sensitivity; },
         [](EpochRecord& r, double v) { r.metrics.at_target_sensitivity.target_sensitivity = v; }});
    c.push_back(
        {"target_reachable",
         [](const EpochRecord& r) { return r.metrics.at_target_sensitivity.reachable ? 1.0 : 0.0; },
         [](EpochRecord& r, double v) { r.metrics.at_target_sensitivity.reachable = v != 0; }});
    add_threshold_columns(
        c,
        {"target_threshold", "target_tp", "target_fp", "target_tn", "target_fn", "target_accuracy",
         "target_precision", "target_recall", "target_specificity", "target_f1"},
        [](auto& r) -> auto& { return r.metrics.at_target_sensitivity.at_threshold; });
    return c;
  }();
  return columns;
}

double parse_number(std::string_view text, const RecordReader& reader, std::string_view column) {
  double value = 0;
  const auto result = std::from_chars(text.data(), text.data() + text.size(), value);
  if (result.ec != std::errc() || result.ptr != text.data() + text.size()) {
    throw Error(ErrorKind::bad_csv, reader.name(),
                "line " + std::to_string(reader.line_number()) + ", column " + std::string(column) +
                    ": '" + std::string(text) + "' is not a number");
  }
  return value;
}

std::vector<std::string> extra_names(std::span<const EpochRecord> records) {
  std::map<std::string, bool> names;
  for (const EpochRecord& r : records) {
    for (const auto& [name, value] : r.extra) names[name] = true;
  }
  std::vector<std::string> sorted;
  for (const auto& [name, present] : names) sorted.push_back(name);
  return sorted;
}

}  // namespace

std::vector<std::string> history_column_names() {
  std::vector<std::string> names = {"epoch", "split"};
  for (std::size_t i = 1; i < numeric_columns().size(); ++i)
    names.push_back(numeric_columns()[i].name);
  return names;
}

std::string history_csv(std::span<const EpochRecord> records) {
  const std::vector<std::string> extras = extra_names(records);
  std::vector<std::string> header = history_column_names();
  header.insert(header.end(), extras.begin(), extras.end());
  std::string out = join_record(header, TextFormat::csv) + "\n";
  const auto& columns = numeric_columns();
  for (const EpochRecord& r : records) {
    std::vector<std::string> row{shortest_decimal(columns[0].read(r)), r.split};
    for (std::size_t i = 1; i < columns.size(); ++i)
      row.push_back(shortest_decimal(columns[i].read(r)));
    for (const std::string& name : extras) {
      const auto found = r.extra.find(name);
      row.push_back(shortest_decimal(found == r.extra.end() ? kNotANumber : found->second));
    }
    out += join_record(row, TextFormat::csv) + "\n";
  }
  return out;
}

std::string history_json(std::span<const EpochRecord> records) {
  std::string out = "[\n";
  for (std::size_t k = 0; k < records.size(); ++k) {
    const EpochRecord& r = records[k];
    out += "  {\"epoch\": " + json_number(r.epoch) + ", \"split\": " + json_quote(r.split);
    for (std::size_t i = 1; i < numeric_columns().size(); ++i) {
      out += ", " + json_quote(numeric_columns()[i].name) + ": " +
             json_number(numeric_columns()[i].read(r));
    }
    for (const auto& [name, value] : r.extra) {
      out += ", " + json_quote(name) + ": " + json_number(value);
    }
    out += k + 1 < records.size() ? "},\n" : "}\n";
  }
  out += "]\n";
  return out;
}

std::vector<EpochRecord> parse_history_csv(std::string_view csv, const std::string& name) {
  RecordReader reader(csv, name, TextFormat::csv, ErrorKind::bad_csv);
  std::vector<std::string> header, fields;
  if (!reader.next(header)) throw Error(ErrorKind::bad_csv, name, "empty: no header line");
  const auto& columns = numeric_columns();
  std::vector<EpochRecord> records;
  while (reader.next(fields)) {
    if (fields.size() != header.size()) {
      throw Error(ErrorKind::bad_csv, name,
                  "line " + std::to_string(reader.line_number()) + " has " +
                      std::to_string(fields.size()) + " fields, the header " +
                      std::to_string(header.size()));
    }
    EpochRecord record;
    for (std::size_t f = 0; f < fields.size(); ++f) {
      if (header[f] == "split") {
        record.split = fields[f];
        continue;
      }
      const double value = parse_number(fields[f], reader, header[f]);
      const auto column = std::find_if(columns.begin(), columns.end(),
                                       [&](const NumericColumn& c) { return header[f] == c.name; });
      if (column != columns.end()) {
        column->write(record, value);
      } else {
        record.extra[header[f]] = value;
      }
    }
    records.push_back(std::move(record));
  }
  return records;
}

void write_history(const std::filesystem::path& run_dir, std::span<const EpochRecord> records) {
  write_file_atomically(run_dir / kHistoryCsvName, history_csv(records));
  write_file_atomically(run_dir / kHistoryJsonName, history_json(records));
}

std::vector<EpochRecord> read_history(const std::filesystem::path& run_dir) {
  const std::filesystem::path path = run_dir / kHistoryCsvName;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorKind::unreadable, path.string(), "cannot read");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_history_csv(text.str(), path.string());
}

double history_value(const EpochRecord& record, std::string_view column) {
  for (const NumericColumn& c : numeric_columns()) {
    if (column == c.name) return c.read(record);
  }
  const auto found = record.extra.find(std::string(column));
  if (found != record.extra.end()) return found->second;
  throw std::invalid_argument("no history column named '" + std::string(column) + "'");
}

std::vector<EpochRecord> records_of_split(std::span<const EpochRecord> records,
                                          std::string_view split) {
  std::vector<EpochRecord> selected;
  for (const EpochRecord& r : records) {
    if (r.split == split) selected.push_back(r);
  }
  return selected;
}

}  // namespace ihd::training
