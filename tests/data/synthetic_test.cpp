// The synthetic phantom set: DICOM written through DCMTK reads back to the same HU in every
// storage encoding (the RSNA wrong-intercept one included), the RSNA layout and CSV are complete,
// labels match drawn blood, faint bleed ends are fainter than the middle and still labelled,
// series_labels.csv is the maximum over each series' slices, and generation is seeded down to the
// byte.
#include <doctest/doctest.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "common/error.h"
#include "data/dicom_reader.h"
#include "data/dicom_writer.h"
#include "data/phantom.h"
#include "data/rsna_labels.h"
#include "data/series_labels.h"
#include "data/synthetic_dataset.h"
#include "data/test_paths.h"

namespace ihd::data {
namespace {

// How a hemorrhage changes one slice: the pixels it alters (same noise with and without it, so
// only the bleed differs) and their mean absolute change in HU.
struct BleedChange {
  size_t pixels = 0;
  double mean_abs_hu = 0;
};

BleedChange bleed_change(const PhantomPatient& patient, int slice_index, int size) {
  PhantomPatient without = patient;
  without.hemorrhages.clear();
  const PhantomSlice a = render_phantom_slice(patient, slice_index, size);
  const PhantomSlice b = render_phantom_slice(without, slice_index, size);
  BleedChange change;
  double total = 0;
  for (size_t i = 0; i < a.image.hu.size(); ++i) {
    const double difference = std::abs(a.image.hu[i] - b.image.hu[i]);
    if (difference == 0) continue;
    ++change.pixels;
    total += difference;
  }
  if (change.pixels) change.mean_abs_hu = total / static_cast<double>(change.pixels);
  return change;
}

std::string file_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

// Every file under a folder (relative path -> bytes).
std::map<std::string, std::string> folder_bytes(const std::filesystem::path& folder) {
  std::map<std::string, std::string> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(folder))
    if (entry.is_regular_file())
      files[std::filesystem::relative(entry.path(), folder).string()] = file_bytes(entry.path());
  return files;
}

}  // namespace

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
    CHECK(read.metadata.has_image_orientation);
    CHECK(read.metadata.image_orientation_patient == std::array<double, 6>{1, 0, 0, 0, 1, 0});
    CHECK(read.metadata.has_instance_number);
    CHECK(read.metadata.instance_number == 3);
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

TEST_CASE("data: faint bleed ends are fainter than the middle, partial, and still labelled") {
  // For each type, a patient whose single hemorrhage spans 3 or more of 7 slices with faint ends.
  constexpr int slices = 7, size = 256;
  for (int type = 0; type < any_label_index; ++type) {
    CAPTURE(type);
    bool found = false;
    for (int p = 0; p < 400 && !found; ++p) {
      const PhantomPatient patient = make_phantom_patient(31, p, slices, 1.0, 1.0);
      if (patient.hemorrhages.size() != 1) continue;
      const PhantomHemorrhage& h = patient.hemorrhages[0];
      if (static_cast<int>(h.type) != type || h.last_slice - h.first_slice < 2) continue;
      found = true;
      CHECK(h.end_contrast >= 0.12);
      CHECK(h.end_contrast <= 0.3);
      CHECK(hemorrhage_contrast(h, h.first_slice) == h.end_contrast);
      CHECK(hemorrhage_contrast(h, h.first_slice + 1) == 1);
      const int middle = (h.first_slice + h.last_slice) / 2;
      const PhantomSlice middle_slice = render_phantom_slice(patient, middle, size);
      REQUIRE(middle_slice.labels[type] == 1);
      CHECK_FALSE(middle_slice.only_faint_blood);
      const BleedChange full = bleed_change(patient, middle, size);
      for (int end : {h.first_slice, h.last_slice}) {
        CAPTURE(end);
        const PhantomSlice end_slice = render_phantom_slice(patient, end, size);
        const BleedChange faint = bleed_change(patient, end, size);
        if (end_slice.labels[type] == 0) {
          CHECK(faint.pixels == 0);  // too little blood there: not drawn at all
          continue;
        }
        CHECK(end_slice.labels[any_label_index] == 1);
        CHECK(end_slice.only_faint_blood);
        CHECK(faint.pixels > 0);
        CHECK(faint.pixels <= full.pixels);
        CHECK(faint.mean_abs_hu < 0.4 * full.mean_abs_hu);
        CHECK(faint.mean_abs_hu < 25);
      }
    }
    CHECK(found);
  }
}

TEST_CASE("data: faint ends change only the HU of end slices' blood, probability 0 draws none") {
  for (int p = 0; p < 40; ++p) {
    CAPTURE(p);
    const PhantomPatient dense = make_phantom_patient(8, p, 6, 1.0, 0.0);
    const PhantomPatient faint = make_phantom_patient(8, p, 6, 1.0, 1.0);
    REQUIRE(dense.hemorrhages.size() == faint.hemorrhages.size());
    for (size_t k = 0; k < dense.hemorrhages.size(); ++k) {
      CHECK(dense.hemorrhages[k].end_contrast == 1);
      CHECK(dense.hemorrhages[k].first_slice == faint.hemorrhages[k].first_slice);
      CHECK(dense.hemorrhages[k].blood_hu == faint.hemorrhages[k].blood_hu);
    }
    for (int slice = 0; slice < 6; ++slice) {
      bool at_a_faint_end = false;
      for (const auto& h : faint.hemorrhages)
        at_a_faint_end = at_a_faint_end || hemorrhage_contrast(h, slice) < 1;
      const PhantomSlice a = render_phantom_slice(dense, slice, 64);
      const PhantomSlice b = render_phantom_slice(faint, slice, 64);
      CHECK(a.labels == b.labels);  // the same blood, however faint
      if (!at_a_faint_end) CHECK(a.image.hu == b.image.hu);
    }
  }
}

TEST_CASE("data: series_labels.csv holds each series' maximum over its slices") {
  const auto dir = scratch_dir("synthetic_series_labels");
  SyntheticDatasetOptions options;
  options.output_dir = dir;
  options.patients = 10;
  options.slices_per_patient = 5;
  options.image_size = 48;
  options.seed = 12;
  options.faint_end_probability = 1;
  const auto summary = write_synthetic_dataset(options);
  const auto slices = read_rsna_labels(dir / "stage_2_train.csv");
  std::map<std::pair<std::string, std::string>, RsnaLabels> expected;
  for (const auto& [id, labels] : slices.by_image) {
    const DicomMetadata header = read_dicom_metadata(dir / "stage_2_train" / (id + ".dcm"));
    RsnaLabels& series = expected[{header.study_instance_uid, header.series_instance_uid}];
    for (int i = 0; i < rsna_label_count; ++i) series[i] = std::max(series[i], labels[i]);
  }
  const auto table = read_series_labels(dir / "series_labels.csv");
  CHECK(table.size() == 10);
  CHECK(table == expected);
  CHECK(summary.series == 10);
  size_t positive_series = 0;
  for (const auto& [key, labels] : table) positive_series += labels[any_label_index] > 0;
  CHECK(summary.positive_series == positive_series);
  CHECK(positive_series > 0);
  CHECK(summary.faint_positive_images > 0);
  CHECK(summary.faint_positive_images < summary.positive_images);
}

TEST_CASE("data: a damaged series_labels.csv is a bad_csv error naming the line") {
  const auto dir = scratch_dir("series_labels_damaged");
  write_series_labels(dir / "good.csv", {{"S1", "A", {0, 0, 0, 0, 1, 1}}});
  const std::string header =
      "study,series,epidural,intraparenchymal,intraventricular,"
      "subarachnoid,subdural,any\n";
  for (const std::string& body :
       {std::string("S1,A,0,0,0,0,1\n"), std::string("S1,A,0,0,0,0,1,2\n"),
        std::string("S1,A,0,0,0,0,0,0\nS1,A,0,0,0,0,0,0\n")}) {
    CAPTURE(body);
    std::ofstream(dir / "bad.csv") << header << body;
    try {
      read_series_labels(dir / "bad.csv");
      FAIL("accepted");
    } catch (const Error& error) {
      CHECK(error.kind() == ErrorKind::bad_csv);
      CHECK(error.reason().find("line ") == 0);
    }
  }
  CHECK(file_bytes(dir / "good.csv") == header + "S1,A,0,0,0,0,1,1\n");
}

TEST_CASE("data: the synthetic set is the same bytes for the same seed, whatever the threads") {
  const auto dir = scratch_dir("synthetic_bytes");
  SyntheticDatasetOptions options;
  options.patients = 6;
  options.slices_per_patient = 4;
  options.image_size = 48;
  options.seed = 5;
  options.faint_end_probability = 0.5;
  options.output_dir = dir / "a";
  write_synthetic_dataset(options);
  const int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  options.output_dir = dir / "b";
  write_synthetic_dataset(options);
  omp_set_num_threads(threads);
  const auto a = folder_bytes(dir / "a");
  CHECK(a.size() == 24 + 2);
  CHECK(a.count("series_labels.csv") == 1);
  CHECK(a == folder_bytes(dir / "b"));
  options.seed = 6;
  options.output_dir = dir / "c";
  write_synthetic_dataset(options);
  CHECK(folder_bytes(dir / "c") != a);
}

}  // namespace ihd::data
