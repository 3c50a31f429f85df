// The SR document built through DSRDocument's tree cursor, then the checked source header put
// over the Patient and Study attributes it wrote empty.
#include "apps/pipeline/dicom_report.h"

#include <dcmtk/dcmsr/dsrdoc.h>

#include <algorithm>
#include <cstdio>

#include "apps/pipeline/dicom_header_writing.h"
#include "common/error.h"

namespace ihd::pipeline {
namespace {

constexpr const char* kScheme = "99IHD";

DSRCodedEntryValue concept_of(const std::string& code, const std::string& meaning) {
  return DSRCodedEntryValue(code.c_str(), kScheme, meaning.c_str());
}

const DSRCodedEntryValue kNoUnits("1", "UCUM", "no units");

// The document's tree, each step checked (an Error naming the file and what failed).
class ReportTree {
 public:
  ReportTree(DSRDocumentTree& tree, std::filesystem::path path)
      : tree_(tree), path_(std::move(path)) {}

  // Adds an item after the current one (or, below_current, as its first child) and moves there.
  void add(DSRTypes::E_RelationshipType relationship, DSRTypes::E_ValueType type,
           const DSRCodedEntryValue& concept_name, bool below_current = false) {
    const OFCondition status = below_current
                                   ? tree_.addChildContentItem(relationship, type, concept_name)
                                   : tree_.addContentItem(relationship, type, concept_name);
    check(status, concept_name.getCodeMeaning().c_str());
  }
  void text(const std::string& value) {
    check(tree_.getCurrentContentItem().setStringValue(OFString(value.data(), value.size())),
          "a text value");
  }
  void number(const std::string& value) {
    check(tree_.getCurrentContentItem().setNumericValue(
              DSRNumericMeasurementValue(value.c_str(), kNoUnits)),
          "a numeric value");
  }
  void image(const std::string& sop_class_uid, const std::string& sop_instance_uid) {
    check(tree_.getCurrentContentItem().setImageReference(
              DSRImageReferenceValue(sop_class_uid.c_str(), sop_instance_uid.c_str())),
          "an image reference");
  }
  void up() {
    if (tree_.goUp() == 0) throw Error(ErrorKind::io, path_.string(), "report tree has no parent");
  }

 private:
  void check(const OFCondition& status, const std::string& what) const {
    if (status.bad()) {
      throw Error(ErrorKind::io, path_.string(),
                  "cannot add " + what + " to the report (" + status.text() + ")");
    }
  }
  DSRDocumentTree& tree_;
  std::filesystem::path path_;
};

// Control characters (a path's, say) shown as '?': text values are UT, for people to read.
std::string readable(std::string text) {
  std::replace_if(
      text.begin(), text.end(),
      [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }, '?');
  return text;
}

}  // namespace

std::string probability_text(double probability) {
  char number[32];
  std::snprintf(number, sizeof number, "%.6f", probability);
  return number;
}

void write_structured_report(const std::filesystem::path& path, const StudyHeader& header,
                             const StudyPrediction& study, const StudyScoring& scoring,
                             const StructuredReport& report) {
  IHD_CHECK(report.captures.size() == study.key_slices.size(),
            "one Secondary Capture per key slice");
  DSRDocument document(DSRTypes::DT_ComprehensiveSR);
  const auto check = [&](const OFCondition& status, const std::string& what) {
    if (status.bad()) {
      throw Error(ErrorKind::io, path.string(),
                  "cannot set the report's " + what + " (" + status.text() + ")");
    }
  };
  check(document.createNewSeriesInStudy(header.study_instance_uid.c_str()), "study");
  if (!header.specific_character_set.empty()) {
    check(document.setSpecificCharacterSet(header.specific_character_set.c_str()), "character set");
  }
  check(document.setSeriesDescription("ihd intracranial hemorrhage detection (research)"),
        "series description");
  check(document.setSeriesNumber(std::to_string(report.series_number).c_str()), "series number");
  check(document.setInstanceNumber("1"), "instance number");
  check(document.setManufacturer("ihd"), "manufacturer");
  DSRCodingSchemeIdentificationList& schemes = document.getCodingSchemeIdentification();
  check(schemes.addItem(kScheme), "coding scheme");
  check(schemes.setCodingSchemeName("ihd intracranial hemorrhage detection"), "coding scheme");
  check(schemes.setCodingSchemeResponsibleOrganization("the ihd project"), "coding scheme");

  ReportTree tree(document.getTree(), path);
  tree.add(DSRTypes::RT_isRoot, DSRTypes::VT_Container,
           concept_of("IHD-REPORT", "Intracranial hemorrhage detection"));
  tree.add(DSRTypes::RT_contains, DSRTypes::VT_Text, concept_of("NOTICE", "Notice"), true);
  tree.text(
      "Research software, not for diagnostic use: these probabilities come from a machine-learning "
      "model that has not been cleared for clinical use and must not guide patient care.");
  tree.add(DSRTypes::RT_contains, DSRTypes::VT_Text, concept_of("MODEL", "Model"));
  tree.text(readable(report.model_description));
  const double headline = study.probabilities[scoring.headline];
  const std::string& headline_name = scoring.label_names[scoring.headline];
  tree.add(DSRTypes::RT_contains, DSRTypes::VT_Text, concept_of("DECISION", "Decision"));
  tree.text(std::string(headline >= scoring.study_threshold ? "positive" : "negative") + ": " +
            headline_name + " probability " + probability_text(headline) +
            (headline >= scoring.study_threshold ? " at or above" : " below") +
            " the study threshold " + probability_text(scoring.study_threshold) + ", over " +
            std::to_string(study.slices.size()) + " slices");
  tree.add(DSRTypes::RT_contains, DSRTypes::VT_Num,
           concept_of("THRESHOLD", "Study decision threshold"));
  tree.number(probability_text(scoring.study_threshold));
  for (size_t k = 0; k < scoring.label_names.size(); ++k) {
    const std::string& label = scoring.label_names[k];
    tree.add(DSRTypes::RT_contains, DSRTypes::VT_Num, concept_of(label, "Probability of " + label));
    tree.number(probability_text(study.probabilities[k]));
  }
  tree.add(DSRTypes::RT_contains, DSRTypes::VT_Container, concept_of("KEY-SLICES", "Key slices"));
  DSRSOPInstanceReferenceList& evidence = document.getCurrentRequestedProcedureEvidence();
  DSRSOPInstanceReferenceList& captures = document.getPertinentOtherEvidence();
  for (size_t i = 0; i < study.key_slices.size(); ++i) {
    const ScoredSlice& slice = study.slices[study.key_slices[i]];
    const ReferencedImage& capture = report.captures[i];
    tree.add(DSRTypes::RT_contains, DSRTypes::VT_Num,
             concept_of("SLICE", "Slice probability of " + headline_name), i == 0);
    tree.number(probability_text(slice.probabilities[scoring.headline]));
    tree.add(DSRTypes::RT_inferredFrom, DSRTypes::VT_Image, concept_of("SOURCE", "Source slice"),
             true);
    tree.image(slice.header.sop_class_uid, slice.header.sop_instance_uid);
    tree.add(DSRTypes::RT_inferredFrom, DSRTypes::VT_Image,
             concept_of("GRAD-CAM", "Grad-CAM of the slice model"));
    tree.image(capture.sop_class_uid, capture.sop_instance_uid);
    tree.up();
    check(evidence.addItem(
              header.study_instance_uid.c_str(), slice.header.series_instance_uid.c_str(),
              slice.header.sop_class_uid.c_str(), slice.header.sop_instance_uid.c_str()),
          "evidence");
    check(captures.addItem(header.study_instance_uid.c_str(), capture.series_instance_uid.c_str(),
                           capture.sop_class_uid.c_str(), capture.sop_instance_uid.c_str()),
          "evidence");
  }
  check(document.completeDocument(), "completion flag");

  DcmFileFormat file;
  DcmDataset& dataset = *file.getDataset();
  check(document.write(dataset), "data set");
  DatasetWriter put(dataset, path);
  put_study_header(put, header);
  save_atomically(file, path);
}

}  // namespace ihd::pipeline
