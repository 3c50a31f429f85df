// The synthetic phantom set: DICOM written through DCMTK reads back to the same HU in every
// storage encoding (the RSNA wrong-intercept one included), the RSNA layout and CSV are complete,
// labels match drawn blood, and generation is seeded.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "data/dicom_reader.h"
#include "data/dicom_writer.h"
#include "data/phantom.h"
#include "data/rsna_labels.h"
#include "data/synthetic_dataset.h"
#include "data/test_paths.h"

namespace ihd::data {

TEST_CASE("data: phantom slice -> DICOM -> reader gives back the same HU and metadata") {
  const auto dir = scratch_dir("phantom_round_trip");
  PhantomPatient patient = make_phantom_patient(5, 0, 4, 1.0);
  const PhantomSlice slice = render_phantom_slice(patient, 2, 128);
  for (CtEncoding encoding :
       {CtEncoding::signed16_intercept_1024, CtEncoding::unsigned12_intercept_1024,
        CtEncoding::rsna_wrong_intercept}) {
    CAPTURE(static_cast<int>(encoding));
    const auto path = dir / ("slice" + std::to_string(static_cast<int>(encoding)) + ".dcm");
    write_ct_dicom(path, slice.image, encoding);
    const HuImage read = read_dicom_hu(path);
    REQUIRE(read.rows == 128);
    const HuRange range = representable_hu(encoding);
    size_t mismatches = 0;
    for (size_t i = 0; i < read.hu.size(); ++i)
      mismatches += read.hu[i] != std::clamp(slice.image.hu[i], range.lowest, range.highest);
    CHECK(mismatches == 0);
    CHECK(read.metadata.rsna_intercept_fixed == (encoding == CtEncoding::rsna_wrong_intercept));
    CHECK(read.metadata.patient_id == patient.patient_id);
    CHECK(read.metadata.study_instance_uid == patient.study_id);
    CHECK(read.metadata.series_instance_uid == patient.series_id);
    CHECK(read.metadata.sop_instance_uid == slice.image_id);
    CHECK(read.metadata.image_position_patient_mm[2] ==
          doctest::Approx(slice.image.metadata.image_position_patient_mm[2]));
    CHECK(read.metadata.window_centers == std::vector<double>{40, 40});
  }
}

TEST_CASE("data: phantom anatomy has air, skull, brain and CSF at plausible HU") {
  const PhantomSlice slice = render_phantom_slice(make_phantom_patient(9, 1, 5, 0.0), 2, 256);
  CHECK(slice.labels == RsnaLabels{});
  CHECK(slice.image.at(0, 0) == -1000.0f);
  size_t bone = 0, brain = 0;
  for (float hu : slice.image.hu) {
    bone += hu > 400;
    brain += hu > 15 && hu < 50;
  }
  CHECK(bone > 1000);
  CHECK(brain > 20000);
}

TEST_CASE("data: a labelled hemorrhage puts blood-density pixels inside the brain") {
  // Find, for each type, a patient whose middle slice shows it, and compare blood-range pixel
  // counts with the same slice rendered without the hemorrhage.
  for (int type = 0; type < any_label_index; ++type) {
    CAPTURE(type);
    bool found = false;
    for (int p = 0; p < 200 && !found; ++p) {
      PhantomPatient patient = make_phantom_patient(77, p, 5, 1.0);
      if (patient.hemorrhages.size() != 1 || static_cast<int>(patient.hemorrhages[0].type) != type)
        continue;
      const PhantomSlice with = render_phantom_slice(patient, 2, 256);
      if (with.labels[type] != 1) continue;
      found = true;
      CHECK(with.labels[any_label_index] == 1);
      patient.hemorrhages.clear();
      const PhantomSlice without = render_phantom_slice(patient, 2, 256);
      size_t blood_with = 0, blood_without = 0;
      for (size_t i = 0; i < with.image.hu.size(); ++i) {
        blood_with += with.image.hu[i] > 60 && with.image.hu[i] < 110;
        blood_without += without.image.hu[i] > 60 && without.image.hu[i] < 110;
      }
      CHECK(blood_with > blood_without + 10);
    }
    CHECK(found);
  }
}

TEST_CASE(
    "data: ihd_synth's writer produces the RSNA layout, seeded, with a balanced-enough label mix") {
  const auto dir = scratch_dir("synthetic_set");
  SyntheticDatasetOptions options;
  options.output_dir = dir / "a";
  options.patients = 12;
  options.slices_per_patient = 4;
  options.image_size = 96;
  options.seed = 21;
  const auto summary = write_synthetic_dataset(options);
  CHECK(summary.images == 48);
  const auto table = read_rsna_labels(options.output_dir / "stage_2_train.csv");
  CHECK(table.by_image.size() == 48);
  CHECK(table.rows == 48 * 6);
  size_t positives = 0;
  for (const auto& [id, labels] : table.by_image) {
    CHECK(std::filesystem::exists(options.output_dir / "stage_2_train" / (id + ".dcm")));
    positives += labels[any_label_index] > 0;
  }
  CHECK(positives == summary.positive_images);
  CHECK(positives > 0);
  CHECK(positives < 48);

  options.output_dir = dir / "b";
  write_synthetic_dataset(options);
  const auto again = read_rsna_labels(options.output_dir / "stage_2_train.csv");
  CHECK(again.by_image == table.by_image);
}

}  // namespace ihd::data
