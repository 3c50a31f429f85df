// The reading worklist: every study the node finished, most urgent first (by the study's headline
// probability, highest first; ties by study UID), with its decision, each label's probability and
// its key slices (SOP instance UIDs, the most suspicious first). Written as OUT/worklist.json and
// OUT/worklist.csv, each atomically (common/atomic_file.h) whenever a study is finished.
//
// Each study's row is kept as a one-record CSV file, OUT/.worklist/<study UID>.csv (a folder name
// no UID can take, beside the per-study result folders), written atomically; the worklist is
// rebuilt from those rows, read back through common/delimited.h's bounded reader, so a restarted
// node lists the studies it finished before, and a study finished again replaces its row.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace ihd::serve {

struct WorklistRow {
  std::string study_uid;
  double probability = 0;  // the headline label's study probability
  bool positive = false;   // at the study threshold
  std::vector<std::string> label_names;
  std::vector<double> label_probabilities;
  std::vector<std::string> key_slice_sop_uids;  // most suspicious first
  int slices = 0;
  std::string finished_at;  // UTC, ISO 8601
};

class Worklist {
 public:
  explicit Worklist(std::filesystem::path out_dir);

  // Records `row` (replacing the study's earlier one) and rewrites worklist.json and .csv.
  void add(const WorklistRow& row);
  // Every row recorded, in worklist order.
  std::vector<WorklistRow> rows() const;

 private:
  void rewrite() const;

  std::filesystem::path out_dir_;
  std::filesystem::path rows_dir_;
};

}  // namespace ihd::serve
