// RSNA CSV parsing (duplicates, conflicts, malformed rows, bad headers), balancing, limits,
// class weights and splits (no patient in two splits, counts near the fractions, seeded).
#include <doctest/doctest.h>

#include <fstream>
#include <map>
#include <set>

#include "common/error.h"
#include "data/dataset_selection.h"
#include "data/rsna_labels.h"
#include "data/test_paths.h"

namespace ihd::data {

TEST_CASE(
    "data: RSNA CSV: six subtypes per image, duplicates tolerated, conflicts keep the positive") {
  const auto dir = scratch_dir("labels");
  std::ofstream(dir / "labels.csv") << "ID,Label\n"
                                       "ID_aa_epidural,0\nID_aa_intraparenchymal,1\n"
                                       "ID_aa_intraventricular,0\nID_aa_subarachnoid,0\n"
                                       "ID_aa_subdural,0\nID_aa_any,1\n"
                                       "ID_aa_any,1\n"         // duplicate, same value
                                       "ID_bb_subdural,0\r\n"  // CRLF
                                       "ID_bb_subdural,1\n"    // conflicting duplicate
                                       "ID_bb_any,1\n"
                                       "ID_cc_unknown,1\n"  // malformed: unknown subtype
                                       "ID_cc_any,yes\n"    // not 0 or 1: cc is left out
                                       "garbage\n";         // malformed: one field
  const auto table = read_rsna_labels(dir / "labels.csv");
  CHECK(table.rows == 13);
  CHECK(table.by_image.size() == 2);
  CHECK(table.duplicate_rows == 1);
  CHECK(table.conflicting_rows == 1);
  CHECK(table.malformed_rows == 2);
  CHECK(table.bad_label_rows == 1);
  CHECK(table.excluded_images == 1);
  const RsnaLabels aa = table.by_image.at("ID_aa");
  CHECK(aa == RsnaLabels{0, 1, 0, 0, 0, 1});
  CHECK(table.by_image.at("ID_bb")[4] == 1.0f);
  CHECK(table.by_image.at("ID_bb")[any_label_index] == 1.0f);
}

TEST_CASE("data: RSNA CSV: a label other than exactly 0 or 1 leaves its image out, never guessed") {
  const auto dir = scratch_dir("labels_not_binary");
  std::string csv = "ID,Label\n";
  const std::vector<std::string> bad = {"nan", "inf", "2", "-1", "0.5", "", "1.0", " 1", "0x1"};
  for (size_t i = 0; i < bad.size(); ++i) {
    // Every subtype says 1 and is valid; only `any` is bad: it must not silently become 0.
    const std::string image = "ID_bad" + std::to_string(i);
    for (const char* subtype :
         {"epidural", "intraparenchymal", "intraventricular", "subarachnoid", "subdural"})
      csv += image + "_" + subtype + ",1\n";
    csv += image + "_any," + bad[i] + "\n";
  }
  csv += "ID_noany_subdural,1\n";                // no `any` row at all
  csv += "ID_good_subdural,1\nID_good_any,1\n";  // subtypes not listed are 0
  std::ofstream(dir / "labels.csv") << csv;
  const auto table = read_rsna_labels(dir / "labels.csv");
  CHECK(table.bad_label_rows == bad.size());
  CHECK(table.excluded_images == bad.size() + 1);
  REQUIRE(table.by_image.size() == 1);
  CHECK(table.by_image.at("ID_good") == RsnaLabels{0, 0, 0, 0, 1, 1});
  REQUIRE(table.first_problems.size() == 5);
  CHECK(table.first_problems[0] ==
        (dir / "labels.csv").string() +
            ": line 7: label 'nan' of ID_bad0_any is not 0 or 1; the image is left out");
}

TEST_CASE("data: RSNA CSV: an ID holding a comma, a quote or a newline round-trips quoted") {
  const auto dir = scratch_dir("labels_quoted");
  write_rsna_labels(dir / "out.csv", {{"ID_a,b", {0, 0, 0, 0, 0, 1}}, {"ID_\"q\"\nz", {}}});
  const auto table = read_rsna_labels(dir / "out.csv");
  CHECK(table.rows == 12);
  CHECK(table.by_image.at("ID_a,b") == RsnaLabels{0, 0, 0, 0, 0, 1});
  CHECK(table.by_image.at("ID_\"q\"\nz") == RsnaLabels{});
}

TEST_CASE("data: RSNA CSV round trip through write_rsna_labels") {
  const auto dir = scratch_dir("labels_round_trip");
  write_rsna_labels(dir / "out.csv", {{"ID_01", {1, 0, 0, 0, 0, 1}}, {"ID_02", {}}});
  const auto table = read_rsna_labels(dir / "out.csv");
  CHECK(table.rows == 12);
  CHECK(table.by_image.at("ID_01") == RsnaLabels{1, 0, 0, 0, 0, 1});
  CHECK(table.by_image.at("ID_02") == RsnaLabels{});
}

TEST_CASE("data: RSNA CSV without the Label column, empty or missing is a bad_csv error") {
  const auto dir = scratch_dir("labels_bad");
  std::ofstream(dir / "no_label.csv") << "ID,Probability\nID_aa_any,1\n";
  std::ofstream(dir / "empty.csv").close();
  for (const char* name : {"no_label.csv", "empty.csv", "missing.csv"}) {
    CAPTURE(name);
    try {
      read_rsna_labels(dir / name);
      FAIL("no error");
    } catch (const Error& error) {
      CHECK(error.kind() == ErrorKind::bad_csv);
      CHECK(error.path() == (dir / name).string());
    }
  }
}

TEST_CASE(
    "data: undersampling keeps every positive and as many distinct random negatives, seeded") {
  std::vector<bool> positive(1000, false);
  for (int i = 0; i < 1000; i += 7) positive[i] = true;  // 143 positives
  const auto selected = balance_by_undersampling(positive, 42);
  CHECK(selected.size() == 286);
  std::set<size_t> unique(selected.begin(), selected.end());
  CHECK(unique.size() == selected.size());
  size_t positives = 0;
  for (size_t i : selected) positives += positive[i];
  CHECK(positives == 143);
  CHECK(balance_by_undersampling(positive, 42) == selected);
  CHECK(balance_by_undersampling(positive, 43) != selected);

  const auto limited = limit_balanced(selected, positive, 101);
  CHECK(limited.size() == 101);
  size_t limited_positives = 0;
  for (size_t i : limited) limited_positives += positive[i];
  CHECK(limited_positives == 51);
}

TEST_CASE("data: class weights equalise the classes' total weight") {
  const auto weights = class_weights(100, 900);
  CHECK(weights[1] == doctest::Approx(5.0));
  CHECK(weights[0] == doctest::Approx(1000.0 / 1800.0));
  CHECK(weights[1] * 100 == doctest::Approx(weights[0] * 900));
}

TEST_CASE("data: patient split: no patient in two splits, fractions within one patient") {
  std::vector<std::string> patient_of_image;
  for (int p = 0; p < 200; ++p)
    for (int s = 0; s < 5 + p % 4; ++s) patient_of_image.push_back(std::to_string(p * 17 + 3));
  const auto splits = split_by_group(patient_of_image, {0.2, 0.1}, 7);
  std::map<std::string, std::set<Split>> splits_of_patient;
  std::map<Split, size_t> count;
  for (size_t i = 0; i < splits.size(); ++i) {
    splits_of_patient[patient_of_image[i]].insert(splits[i]);
    ++count[splits[i]];
  }
  for (const auto& [patient, set] : splits_of_patient) CHECK(set.size() == 1);
  const double total = static_cast<double>(splits.size());
  CHECK(std::abs(count[Split::validation] - 0.2 * total) <= 8);
  CHECK(std::abs(count[Split::test] - 0.1 * total) <= 8);
  CHECK(split_by_group(patient_of_image, {0.2, 0.1}, 7) == splits);
  CHECK(split_by_group(patient_of_image, {0.2, 0.1}, 8) != splits);
}

TEST_CASE("data: random split by image gives exact counts and no test split by default") {
  std::vector<std::string> image_ids;
  for (int i = 0; i < 1000; ++i) image_ids.push_back("ID_" + std::to_string(i));
  const auto splits = split_by_group(image_ids, {}, 3);
  size_t validation = 0, test = 0;
  for (Split s : splits) {
    validation += s == Split::validation;
    test += s == Split::test;
  }
  CHECK(validation == 200);
  CHECK(test == 0);
  CHECK_THROWS_AS(split_by_group(image_ids, {0.8, 0.3}, 3), std::invalid_argument);
}

}  // namespace ihd::data
