// CQ500 reads.csv reading: the header locates the columns, each row is checked whole, and a study
// with any bad row is dropped after the last row is read.
#include "data/study_labels.h"

#include <algorithm>
#include <set>

#include "common/delimited.h"
#include "common/error.h"

namespace ihd::data {
namespace {

constexpr std::size_t kProblemsKept = 10;
constexpr std::size_t kMaxRecordBytes = 64 * 1024;
constexpr std::string_view kUtf8ByteOrderMark = "\xEF\xBB\xBF";

// The index of an RSNA subtype in rsna_subtypes, -1 for none.
constexpr int rsna_index(std::string_view subtype) {
  for (int i = 0; i < rsna_label_count; ++i)
    if (rsna_subtypes[i] == subtype) return i;
  return -1;
}
static_assert(std::ranges::all_of(cq500_hemorrhage_findings, [](const Cq500Finding& finding) {
  return rsna_index(finding.rsna_subtype) >= 0;
}));

// "R1:" for reader 0. (Appended piece by piece: "R" + std::to_string(...) trips GCC 12's
// -Wrestrict false positive.)
std::string reader_prefix(int reader) {
  std::string prefix = "R";
  prefix += std::to_string(reader + 1);
  prefix += ':';
  return prefix;
}

bool is_reader_column(const std::string& column) {
  for (int reader = 0; reader < cq500_reader_count; ++reader)
    if (column.starts_with(reader_prefix(reader))) return true;
  return false;
}

// Where the columns are.
struct Columns {
  std::size_t count = 0;
  std::size_t name = 0;
  int category = -1;  // -1 when absent
  // hemorrhage[reader][finding]: the column of cq500_hemorrhage_findings[finding] for the reader.
  std::array<std::array<std::size_t, rsna_label_count>, cq500_reader_count> hemorrhage{};
  std::vector<std::size_t> reader_values;  // every R<k>: column
};

// The columns of the header, whose UTF-8 byte-order mark (if any) is dropped here.
Columns find_columns(std::vector<std::string>& header, const std::string& file) {
  if (!header.empty() && header[0].starts_with(kUtf8ByteOrderMark))
    header[0].erase(0, kUtf8ByteOrderMark.size());
  std::map<std::string, std::size_t> position;
  for (std::size_t i = 0; i < header.size(); ++i) {
    if (!position.emplace(header[i], i).second)
      throw Error(ErrorKind::bad_csv, file, "the header names column '" + header[i] + "' twice");
  }
  auto required = [&](const std::string& column) {
    const auto found = position.find(column);
    if (found == position.end())
      throw Error(ErrorKind::bad_csv, file,
                  "not a CQ500 reads.csv: the header has no column '" + column + "'");
    return found->second;
  };
  Columns columns;
  columns.count = header.size();
  columns.name = required("name");
  if (const auto found = position.find("Category"); found != position.end())
    columns.category = static_cast<int>(found->second);
  for (int reader = 0; reader < cq500_reader_count; ++reader)
    for (int finding = 0; finding < rsna_label_count; ++finding)
      columns.hemorrhage[reader][finding] =
          required(reader_prefix(reader) + std::string(cq500_hemorrhage_findings[finding].column));
  for (std::size_t i = 0; i < header.size(); ++i)
    if (is_reader_column(header[i])) columns.reader_values.push_back(i);
  return columns;
}

}  // namespace

StudyLabelTable read_cq500_reads(const std::filesystem::path& csv_path) {
  const std::string file = csv_path.string();
  RecordReader reader(csv_path, TextFormat::csv, ErrorKind::bad_csv, kMaxRecordBytes);
  std::vector<std::string> header;
  if (!reader.next(header)) throw Error(ErrorKind::bad_csv, file, "empty reads.csv");
  const Columns columns = find_columns(header, file);

  StudyLabelTable table;
  std::map<std::string, std::size_t> first_line_of_study;
  std::set<std::string> excluded;
  for (std::vector<std::string> fields; reader.next(fields);) {
    ++table.rows;
    const std::string name = columns.name < fields.size() ? fields[columns.name] : "";
    const std::string study = name.empty() ? "the row" : "study '" + name + "'";
    bool first_time = true;
    std::size_t first_line = 0;
    if (!name.empty()) {
      const auto [entry, inserted] = first_line_of_study.emplace(name, reader.line_number());
      first_time = inserted;
      first_line = entry->second;
    }
    // Counts the row, keeps its message, and leaves its study out.
    auto reject = [&](std::size_t& counter, const std::string& reason) {
      ++counter;
      if (table.first_problems.size() < kProblemsKept)
        table.first_problems.push_back(file + ": line " + std::to_string(reader.line_number()) +
                                       ": " + reason + "; " + study + " is left out");
      if (!name.empty()) excluded.insert(name);
    };
    if (fields.size() != columns.count) {
      reject(table.malformed_rows, std::to_string(fields.size()) + " fields where the header has " +
                                       std::to_string(columns.count));
      continue;
    }
    if (name.empty()) {
      reject(table.malformed_rows, "no study name");
      continue;
    }
    if (!first_time) {
      reject(table.duplicate_rows, "the study is already on line " + std::to_string(first_line));
      continue;
    }
    const auto bad_value = std::find_if(
        columns.reader_values.begin(), columns.reader_values.end(),
        [&](std::size_t column) { return fields[column] != "0" && fields[column] != "1"; });
    if (bad_value != columns.reader_values.end()) {
      reject(table.bad_value_rows,
             header[*bad_value] + " is '" + fields[*bad_value] + "', not 0 or 1");
      continue;
    }
    StudyLabels labels;
    if (columns.category >= 0) labels.category = fields[columns.category];
    for (int finding = 0; finding < rsna_label_count; ++finding) {
      const int subtype = rsna_index(cq500_hemorrhage_findings[finding].rsna_subtype);
      int positive_reads = 0;
      for (int r = 0; r < cq500_reader_count; ++r) {
        const bool positive = fields[columns.hemorrhage[r][finding]] == "1";
        labels.by_reader[r][subtype] = positive ? 1.0f : 0.0f;
        positive_reads += positive ? 1 : 0;
      }
      labels.majority[subtype] = 2 * positive_reads > cq500_reader_count ? 1.0f : 0.0f;
    }
    table.by_study.emplace(name, labels);
  }
  for (const std::string& name : excluded) table.by_study.erase(name);
  table.excluded_studies = excluded.size();
  return table;
}

}  // namespace ihd::data
