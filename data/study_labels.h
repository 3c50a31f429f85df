// Study-level labels of CQ500 (qure.ai's external validation set of Chilamkurthy et al., Lancet
// 2018: 491 head CTs, each read by three radiologists), from its reads.csv. Its header is
//   name,Category,R1:ICH,R1:IPH,R1:IVH,R1:SDH,R1:EDH,R1:SAH,R1:BleedLocation-Left,
//   R1:BleedLocation-Right,R1:ChronicBleed,R1:Fracture,R1:CalvarialFracture,R1:OtherFracture,
//   R1:MassEffect,R1:MidlineShift, then the same fourteen for R2 and for R3
// (44 columns), one row per study: `name` is "CQ500-CT-<n>", `Category` its batch (B1, B2), and
// every R<k>: column reader k's 0/1 answer.
//
// Columns are found by name, in any order; `name` and the six hemorrhage columns of the three
// readers are required (else Error bad_csv naming the missing column), `Category` is kept when
// present, other columns are allowed. Each hemorrhage finding maps to an RSNA subtype (ICH ->
// any, IPH -> intraparenchymal, IVH -> intraventricular, SDH -> subdural, EDH -> epidural, SAH ->
// subarachnoid) and a study's label is the majority of the readers (2 of 3); each reader's six
// values are kept too. The other findings (bleed location, chronic bleed, fractures, mass effect,
// midline shift) are checked, not kept: ihd predicts none of them.
//
// A row is checked whole and is that row's one-line error, counted, when it has another number of
// fields than the header, no name, a reader value (any R<k>: column, hemorrhage or not) other
// than exactly 0 or 1, or a study named on an earlier row. Its study is then left out entirely
// (with a duplicate, both rows: which one is right is not known). Every message is
// "<file>: line N: <reason>; study '<name>' is left out". A record over 64 KiB or a broken quote
// stops the reading with Error bad_csv naming the line (common/delimited.h); a UTF-8 byte-order
// mark before the header is dropped.
#pragma once

#include <array>
#include <cstddef>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "data/rsna_labels.h"

namespace ihd::data {

inline constexpr int cq500_reader_count = 3;

// A CQ500 hemorrhage finding (the column name after "R<k>:") and the RSNA subtype it is.
struct Cq500Finding {
  std::string_view column;
  std::string_view rsna_subtype;
};
inline constexpr std::array<Cq500Finding, rsna_label_count> cq500_hemorrhage_findings = {{
    {"ICH", "any"},
    {"IPH", "intraparenchymal"},
    {"IVH", "intraventricular"},
    {"SDH", "subdural"},
    {"EDH", "epidural"},
    {"SAH", "subarachnoid"},
}};

struct StudyLabels {
  std::string category;   // the Category column ("B1", "B2"); empty when the file has none
  RsnaLabels majority{};  // in rsna_subtypes order: 1 where at least 2 of the 3 readers say 1
  std::array<RsnaLabels, cq500_reader_count> by_reader{};  // R1, R2, R3, same order
};

struct StudyLabelTable {
  std::map<std::string, StudyLabels> by_study;  // key: the `name` column, "CQ500-CT-<n>"
  std::size_t rows = 0;
  std::size_t malformed_rows = 0;           // another field count than the header, or no name
  std::size_t bad_value_rows = 0;           // a reader value that is not exactly 0 or 1
  std::size_t duplicate_rows = 0;           // a study already named on an earlier row
  std::size_t excluded_studies = 0;         // left out for one of the rows above
  std::vector<std::string> first_problems;  // "<file>: line N: <reason>", the first ten
};

// Throws Error (bad_csv) when the file cannot be read, is empty, or its header lacks a required
// column or repeats one.
StudyLabelTable read_cq500_reads(const std::filesystem::path& csv_path);

}  // namespace ihd::data
