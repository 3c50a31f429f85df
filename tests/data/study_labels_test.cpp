// CQ500 reads.csv: a hand-made file in the published format (44 columns) where the majority of
// three readers decides each finding, mapped to the RSNA subtypes; bad rows (field count, values,
// duplicates, no name) are one-line errors that leave their study out; bad headers are refused.
#include "data/study_labels.h"

#include <doctest/doctest.h>

#include <array>
#include <fstream>
#include <string>
#include <vector>

#include "common/error.h"
#include "data/test_paths.h"

namespace ihd::data {
namespace {

// The published header: fourteen findings for each of the three readers.
constexpr const char* kReadsHeader =
    "name,Category,"
    "R1:ICH,R1:IPH,R1:IVH,R1:SDH,R1:EDH,R1:SAH,R1:BleedLocation-Left,R1:BleedLocation-Right,"
    "R1:ChronicBleed,R1:Fracture,R1:CalvarialFracture,R1:OtherFracture,R1:MassEffect,"
    "R1:MidlineShift,"
    "R2:ICH,R2:IPH,R2:IVH,R2:SDH,R2:EDH,R2:SAH,R2:BleedLocation-Left,R2:BleedLocation-Right,"
    "R2:ChronicBleed,R2:Fracture,R2:CalvarialFracture,R2:OtherFracture,R2:MassEffect,"
    "R2:MidlineShift,"
    "R3:ICH,R3:IPH,R3:IVH,R3:SDH,R3:EDH,R3:SAH,R3:BleedLocation-Left,R3:BleedLocation-Right,"
    "R3:ChronicBleed,R3:Fracture,R3:CalvarialFracture,R3:OtherFracture,R3:MassEffect,"
    "R3:MidlineShift\n";

// One row: each reader's fourteen answers as a string of 0/1 digits ("ICH IPH IVH SDH EDH SAH"
// first), e.g. "11000000000000".
std::string reads_row(const std::string& name, const std::string& category,
                      const std::array<std::string, 3>& readers) {
  std::string row = name + "," + category;
  for (const std::string& answers : readers)
    for (const char answer : answers) {
      row += ',';
      row += answer;
    }
  return row + "\n";
}

// RsnaLabels in rsna_subtypes order: epidural, intraparenchymal, intraventricular, subarachnoid,
// subdural, any.
RsnaLabels rsna(float epidural, float parenchymal, float ventricular, float subarachnoid,
                float subdural, float any) {
  return {epidural, parenchymal, ventricular, subarachnoid, subdural, any};
}

}  // namespace

TEST_CASE("data: CQ500 reads.csv: the majority of three readers decides, mapped to RSNA names") {
  const auto dir = scratch_dir("cq500_reads");
  std::ofstream(dir / "reads.csv")
      << kReadsHeader
      // All three agree: ICH + IPH.
      << reads_row("CQ500-CT-0", "B1", {"11000000000000", "11000000000000", "11000000000000"})
      // Two of three: ICH and SDH positive; IVH said by one reader only stays negative.
      << reads_row("CQ500-CT-1", "B1", {"10010000000000", "10110000000000", "00000000000000"})
      // One of three everywhere: all negative, the readers' answers kept.
      << reads_row("CQ500-CT-2", "B2", {"10001000000000", "00000100000000", "00000000000000"})
      // EDH and SAH by two readers, fractures (not kept) by all.
      << reads_row("CQ500-CT-3", "B2", {"10001100010000", "10001100010000", "00000000010000"});
  const StudyLabelTable table = read_cq500_reads(dir / "reads.csv");
  CHECK(table.rows == 4);
  CHECK(table.first_problems.empty());
  REQUIRE(table.by_study.size() == 4);

  const StudyLabels& agreed = table.by_study.at("CQ500-CT-0");
  CHECK(agreed.category == "B1");
  CHECK(agreed.majority == rsna(0, 1, 0, 0, 0, 1));
  for (const RsnaLabels& reader : agreed.by_reader) CHECK(reader == rsna(0, 1, 0, 0, 0, 1));

  const StudyLabels& two_of_three = table.by_study.at("CQ500-CT-1");
  CHECK(two_of_three.majority == rsna(0, 0, 0, 0, 1, 1));
  CHECK(two_of_three.by_reader[1] == rsna(0, 0, 1, 0, 1, 1));
  CHECK(two_of_three.by_reader[2] == RsnaLabels{});

  const StudyLabels& one_of_three = table.by_study.at("CQ500-CT-2");
  CHECK(one_of_three.category == "B2");
  CHECK(one_of_three.majority == RsnaLabels{});
  CHECK(one_of_three.by_reader[0] == rsna(1, 0, 0, 0, 0, 1));
  CHECK(one_of_three.by_reader[1] == rsna(0, 0, 0, 1, 0, 0));

  CHECK(table.by_study.at("CQ500-CT-3").majority == rsna(1, 0, 0, 1, 0, 1));
}

TEST_CASE("data: CQ500 reads.csv: a bad row is its one-line error and leaves its study out") {
  const auto dir = scratch_dir("cq500_reads_bad_rows");
  const std::string all_negative = "00000000000000";
  const std::array<std::string, 3> negative = {all_negative, all_negative, all_negative};
  std::ofstream(dir / "reads.csv")
      << "\xEF\xBB\xBF" << kReadsHeader  // a byte-order mark before the header is dropped
      << reads_row("CQ500-CT-10", "B1", {"11000000000000", "11000000000000", all_negative})
      << "CQ500-CT-11,B1,1,1,0\n"  // line 3: 5 fields
      << reads_row("CQ500-CT-12", "B1", {all_negative, "10000000200000", all_negative})
      << reads_row("CQ500-CT-13", "B1", {all_negative, all_negative, "0000000000000 "})
      << reads_row("CQ500-CT-10", "B1", negative)  // line 6: duplicate of line 2
      << reads_row("", "B2", negative)             // line 7: no name
      << "\r\n"                                    // an empty line is skipped
      << reads_row("CQ500-CT-14", "B2", negative)
      << reads_row("CQ500-CT-11", "B2", negative);  // line 10: after a malformed row of its own
  const std::string file = (dir / "reads.csv").string();
  const StudyLabelTable table = read_cq500_reads(dir / "reads.csv");
  CHECK(table.rows == 8);
  CHECK(table.malformed_rows == 2);
  CHECK(table.bad_value_rows == 2);
  CHECK(table.duplicate_rows == 2);
  CHECK(table.excluded_studies == 4);  // 10, 11, 12, 13
  REQUIRE(table.by_study.size() == 1);
  CHECK(table.by_study.at("CQ500-CT-14").majority == RsnaLabels{});
  REQUIRE(table.first_problems.size() == 6);
  CHECK(table.first_problems[0] ==
        file + ": line 3: 5 fields where the header has 44; study 'CQ500-CT-11' is left out");
  CHECK(table.first_problems[1] ==
        file + ": line 4: R2:ChronicBleed is '2', not 0 or 1; study 'CQ500-CT-12' is left out");
  CHECK(table.first_problems[2] ==
        file + ": line 5: R3:MidlineShift is ' ', not 0 or 1; study 'CQ500-CT-13' is left out");
  CHECK(table.first_problems[3] == file +
                                       ": line 6: the study is already on line 2; study "
                                       "'CQ500-CT-10' is left out");
  CHECK(table.first_problems[4] == file + ": line 7: no study name; the row is left out");
  CHECK(table.first_problems[5] == file +
                                       ": line 10: the study is already on line 3; study "
                                       "'CQ500-CT-11' is left out");
}

TEST_CASE("data: CQ500 reads.csv: columns found by name, a header without them refused") {
  const auto dir = scratch_dir("cq500_reads_headers");
  // Only the required columns, in another order, no Category.
  std::string header = "R3:ICH,R3:IPH,R3:IVH,R3:SDH,R3:EDH,R3:SAH,name";
  for (const char* reader : {"R1", "R2"})
    for (const char* finding : {"ICH", "IPH", "IVH", "SDH", "EDH", "SAH"})
      header += std::string(",") + reader + ':' + finding;
  std::ofstream(dir / "minimal.csv") << header << "\n"
                                     << "0,0,0,0,0,0,CQ500-CT-7,1,0,0,0,0,0,1,0,0,0,0,0\n";
  const StudyLabelTable minimal = read_cq500_reads(dir / "minimal.csv");
  REQUIRE(minimal.by_study.size() == 1);
  CHECK(minimal.by_study.at("CQ500-CT-7").category.empty());
  CHECK(minimal.by_study.at("CQ500-CT-7").majority == rsna(0, 0, 0, 0, 0, 1));

  std::ofstream(dir / "no_reader3.csv") << "name,Category,R1:ICH\nCQ500-CT-0,B1,1\n";
  CHECK_THROWS_WITH_AS(read_cq500_reads(dir / "no_reader3.csv"),
                       ((dir / "no_reader3.csv").string() +
                        ": not a CQ500 reads.csv: the header has no column 'R1:IPH'")
                           .c_str(),
                       Error);
  std::ofstream(dir / "twice.csv") << "name,name\n";
  CHECK_THROWS_WITH_AS(read_cq500_reads(dir / "twice.csv"),
                       doctest::Contains("the header names column 'name' twice"), Error);
  std::ofstream(dir / "empty.csv");
  CHECK_THROWS_WITH_AS(read_cq500_reads(dir / "empty.csv"), doctest::Contains("empty reads.csv"),
                       Error);
  CHECK_THROWS_AS(read_cq500_reads(dir / "missing.csv"), Error);

  // A record past the 64 KiB bound ends the reading, naming the line.
  std::ofstream(dir / "long.csv") << kReadsHeader << std::string(70 * 1024, 'x') << "\n";
  try {
    read_cq500_reads(dir / "long.csv");
    FAIL("a 70 KiB record was read");
  } catch (const Error& error) {
    CHECK(error.kind() == ErrorKind::bad_csv);
    CHECK(std::string(error.what()).find("line 2: record longer than") != std::string::npos);
  }
}

}  // namespace ihd::data
