// Series grouping and slice order (data/series.h): shuffled files sort by position along the
// normal, a tilted gantry and a sagittal series sort right where z would not, a missing slice is
// a counted gap, duplicates (position, SOPInstanceUID) are set apart keeping the first by file
// name, each coarser key is the fallback for a series lacking the finer one, and the geometry read
// from DICOM files written through DCMTK orders the same way.
#include "data/series.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

#include "common/random.h"
#include "data/dicom_reader.h"
#include "data/dicom_writer.h"
#include "data/phantom.h"
#include "data/test_paths.h"

namespace ihd::data {
namespace {

using Vector3 = std::array<double, 3>;

// Slice k of a series: at origin + k x spacing along the normal of (row, column), its first pixel
// moved in-plane by `shift` along the column direction; file names in another order than k.
SliceLocation series_slice(int k, const Vector3& row, const Vector3& column, double spacing_mm,
                           double shift_mm = 0) {
  const Vector3 normal{row[1] * column[2] - row[2] * column[1],
                       row[2] * column[0] - row[0] * column[2],
                       row[0] * column[1] - row[1] * column[0]};
  SliceLocation slice;
  slice.file_name = "ID_" + std::to_string((k * 7) % 11) + ".dcm";
  slice.patient_id = "P";
  slice.study_instance_uid = "1.2.3";
  slice.series_instance_uid = "1.2.3.4";
  slice.sop_instance_uid = "1.2.3.4." + std::to_string(k);
  slice.has_image_position = true;
  for (int i = 0; i < 3; ++i)
    slice.image_position_patient_mm[i] =
        10.0 * (i + 1) + k * spacing_mm * normal[i] + shift_mm * column[i];
  slice.has_image_orientation = true;
  slice.image_orientation_patient = {row[0], row[1], row[2], column[0], column[1], column[2]};
  slice.has_instance_number = true;
  slice.instance_number = k + 1;
  return slice;
}

// Slices 0..count-1 in a seeded shuffled order; returns them and, for each, its k.
std::vector<SliceLocation> shuffled(std::vector<SliceLocation> slices, std::vector<int>& ks,
                                    std::uint64_t seed) {
  ks.resize(slices.size());
  for (size_t i = 0; i < ks.size(); ++i) ks[i] = static_cast<int>(i);
  Random random(seed);
  for (size_t i = ks.size(); i > 1; --i) std::swap(ks[i - 1], ks[random.below(i)]);
  std::vector<SliceLocation> out;
  for (int k : ks) out.push_back(slices[k]);
  return out;
}

// The k of each ordered slice.
std::vector<int> order_of(const SeriesIndex& index, const std::vector<int>& ks, size_t series = 0) {
  std::vector<int> order;
  for (size_t i : index.series.at(series).slices) order.push_back(ks[i]);
  return order;
}

std::vector<int> iota(int count, bool descending = false) {
  std::vector<int> values(count);
  for (int i = 0; i < count; ++i) values[i] = descending ? count - 1 - i : i;
  return values;
}

constexpr Vector3 x_axis{1, 0, 0}, y_axis{0, 1, 0}, z_axis{0, 0, 1};

}  // namespace

TEST_CASE("data: series: shuffled axial files sort by position, with positions and steps") {
  std::vector<SliceLocation> slices;
  for (int k = 0; k < 9; ++k) slices.push_back(series_slice(k, x_axis, y_axis, 5.0));
  std::vector<int> ks;
  const SeriesIndex index = order_series(shuffled(slices, ks, 3));
  REQUIRE(index.series.size() == 1);
  const OrderedSeries& series = index.series[0];
  CHECK(series.ordered_by == SeriesOrderKey::slice_normal);
  CHECK(order_of(index, ks) == iota(9));
  for (size_t k = 0; k < 9; ++k) CHECK(series.positions_mm[k] == doctest::Approx(30 + 5.0 * k));
  CHECK(series.median_step_mm == doctest::Approx(5.0));
  CHECK(series.gaps == 0);
  CHECK(series.duplicates.empty());
  for (size_t i = 0; i < ks.size(); ++i) {
    CHECK(index.places[i].series == 0);
    CHECK(index.places[i].slice_index == static_cast<size_t>(ks[i]));
    CHECK_FALSE(index.places[i].duplicate);
  }
  CHECK(index.report.series == 1);
  CHECK(index.report.slices == 9);
  CHECK(index.report.series_ordered_by[0] == 1);
}

TEST_CASE("data: series: a tilted gantry sorts along its normal where z order would not") {
  // Gantry tilted by 25 degrees; the first pixel moves up and down the column direction by 30 mm
  // from slice to slice, which changes z by more than a slice step.
  const double tilt = 25 * std::numbers::pi / 180;
  const Vector3 column{0, std::cos(tilt), std::sin(tilt)};
  std::vector<SliceLocation> slices;
  for (int k = 0; k < 8; ++k)
    slices.push_back(series_slice(k, x_axis, column, 2.5, k % 2 ? 30.0 : -30.0));
  std::vector<double> z;
  for (const auto& slice : slices) z.push_back(slice.image_position_patient_mm[2]);
  REQUIRE_FALSE(std::is_sorted(z.begin(), z.end()));  // z would sort them wrong
  std::vector<int> ks;
  const SeriesIndex index = order_series(shuffled(slices, ks, 5));
  CHECK(index.series[0].ordered_by == SeriesOrderKey::slice_normal);
  CHECK(order_of(index, ks) == iota(8));
  CHECK(index.series[0].median_step_mm == doctest::Approx(2.5));
  CHECK(index.report.gaps == 0);
  CHECK(index.report.duplicate_position == 0);
}

TEST_CASE("data: series: a sagittal series sorts along x, where every z is the same") {
  // Rows run anterior-posterior (+y), columns head to foot (-z): the normal is -x.
  std::vector<SliceLocation> slices;
  for (int k = 0; k < 6; ++k) slices.push_back(series_slice(k, y_axis, {0, 0, -1}, 1.0));
  for (auto& slice : slices) slice.image_position_patient_mm[2] = 100;
  std::vector<int> ks;
  const SeriesIndex index = order_series(shuffled(slices, ks, 8));
  CHECK(index.series[0].ordered_by == SeriesOrderKey::slice_normal);
  CHECK(order_of(index, ks) == iota(6));
  CHECK(index.series[0].duplicates.empty());

  // The same slices without orientation fall back to z: all at one position, all but one
  // duplicates (this is what sorting by z did).
  for (auto& slice : slices) slice.has_image_orientation = false;
  const SeriesIndex by_z = order_series(slices);
  CHECK(by_z.series[0].ordered_by == SeriesOrderKey::position_z);
  CHECK(by_z.series[0].slices.size() == 1);
  CHECK(by_z.report.duplicate_position == 5);
}

TEST_CASE("data: series: a missing slice is a gap, counted, the series stays whole") {
  std::vector<SliceLocation> slices;
  for (int k : {0, 1, 2, 4, 5, 6, 9}) slices.push_back(series_slice(k, x_axis, y_axis, 5.0));
  const SeriesIndex index = order_series(slices);
  CHECK(index.series[0].slices.size() == 7);
  CHECK(index.series[0].median_step_mm == doctest::Approx(5.0));
  CHECK(index.series[0].gaps == 2);  // 2 -> 4 and 6 -> 9
  CHECK(index.report.gaps == 2);
}

TEST_CASE("data: series: duplicates keep the first by file name in the series, the rest apart") {
  std::vector<SliceLocation> slices;
  for (int k = 0; k < 4; ++k) slices.push_back(series_slice(k, x_axis, y_axis, 5.0));
  slices[0].file_name = "b.dcm";
  slices[1].file_name = "d.dcm";
  slices[2].file_name = "f.dcm";
  slices[3].file_name = "h.dcm";
  SliceLocation same_place = slices[1];  // another image at slice 1's position, within 1e-3 mm
  same_place.file_name = "a.dcm";
  same_place.sop_instance_uid = "other";
  same_place.image_position_patient_mm[2] += 4e-4;
  SliceLocation same_sop = slices[2];  // slice 2's SOPInstanceUID again, elsewhere
  same_sop.file_name = "z.dcm";
  same_sop.image_position_patient_mm[2] += 2.5;
  slices.push_back(same_place);  // input index 4
  slices.push_back(same_sop);    // input index 5

  const SeriesIndex index = order_series(slices);
  const OrderedSeries& series = index.series[0];
  CHECK(series.slices == std::vector<size_t>{0, 4, 2, 3});  // a.dcm precedes d.dcm
  CHECK(series.duplicates == std::vector<size_t>{1, 5});    // d.dcm, z.dcm
  CHECK(index.places[1].duplicate);
  CHECK(index.places[1].slice_index == 1);
  CHECK(index.places[5].duplicate);
  CHECK(index.places[5].slice_index == 2);
  CHECK(index.places[5].position_mm == doctest::Approx(index.places[2].position_mm + 2.5));
  CHECK(index.report.duplicate_position == 1);
  CHECK(index.report.duplicate_sop_instance == 1);
  CHECK(series.gaps == 0);
}

TEST_CASE("data: series: InstanceNumber, then file names, order a series without positions") {
  std::vector<SliceLocation> slices;
  for (int k = 0; k < 7; ++k) slices.push_back(series_slice(k, x_axis, y_axis, 5.0));
  for (auto& slice : slices) slice.has_image_position = false;
  std::vector<int> ks;
  const auto input = shuffled(slices, ks, 11);
  const SeriesIndex index = order_series(input);
  CHECK(index.series[0].ordered_by == SeriesOrderKey::instance_number);
  CHECK(order_of(index, ks) == iota(7));
  CHECK(index.series[0].positions_mm.front() == 1);

  auto unnumbered = input;
  unnumbered[2].has_instance_number = false;
  const SeriesIndex by_name = order_series(unnumbered);
  CHECK(by_name.series[0].ordered_by == SeriesOrderKey::file_name);
  std::vector<std::string> names;
  for (size_t i : by_name.series[0].slices) names.push_back(unnumbered[i].file_name);
  CHECK(std::is_sorted(names.begin(), names.end()));
  CHECK(by_name.series[0].positions_mm == std::vector<double>{0, 1, 2, 3, 4, 5, 6});
  CHECK(by_name.report.series_ordered_by[3] == 1);
}

TEST_CASE("data: series: one slice without a usable orientation sends its series to z") {
  for (const std::array<double, 6> bad :
       {std::array<double, 6>{0, 0, 0, 0, 1, 0}, std::array<double, 6>{1, 0, 0, 1, 0, 0},
        std::array<double, 6>{1, 0, 0, 0.2, 1, 0}}) {
    std::vector<SliceLocation> slices;
    for (int k = 0; k < 5; ++k) slices.push_back(series_slice(k, x_axis, y_axis, 3.0));
    slices[2].image_orientation_patient = bad;
    const SeriesIndex index = order_series(slices);
    CHECK(index.series[0].ordered_by == SeriesOrderKey::position_z);
    CHECK(index.series[0].positions_mm.back() == doctest::Approx(30 + 12.0));
  }
}

TEST_CASE("data: series: grouping by study and series, by patient when both UIDs are empty") {
  std::vector<SliceLocation> slices;
  for (int k = 0; k < 3; ++k) slices.push_back(series_slice(k, x_axis, y_axis, 5.0));
  for (int k = 0; k < 3; ++k) {
    slices.push_back(series_slice(k, x_axis, y_axis, 5.0));
    slices.back().study_instance_uid = "1.9";  // the same series UID in another study
  }
  for (const char* patient : {"P1", "P2", "P1"}) {
    slices.push_back(series_slice(static_cast<int>(slices.size()), x_axis, z_axis, 5.0));
    slices.back().study_instance_uid.clear();
    slices.back().series_instance_uid.clear();
    slices.back().patient_id = patient;
  }
  const SeriesIndex index = order_series(slices);
  REQUIRE(index.series.size() == 4);
  std::vector<size_t> sizes;
  for (const auto& series : index.series) sizes.push_back(series.slices.size());
  CHECK(sizes == std::vector<size_t>{2, 1, 3, 3});  // P1, P2, then studies 1.2.3 and 1.9
  CHECK(index.series[0].patient_id == "P1");
  CHECK(index.places[6].series == index.places[8].series);
  CHECK(index.places[0].series != index.places[3].series);
}

TEST_CASE("data: series: orientation and InstanceNumber read from DICOM order a tilted series") {
  const auto dir = scratch_dir("series_dicom");
  const PhantomPatient patient = make_phantom_patient(3, 0, 5, 0.0);
  const double tilt = 20 * std::numbers::pi / 180;
  const Vector3 column{0, std::cos(tilt), std::sin(tilt)};
  std::vector<SliceLocation> slices;
  for (int k = 0; k < 5; ++k) {
    PhantomSlice slice = render_phantom_slice(patient, k, 32);
    DicomMetadata& meta = slice.image.metadata;
    const SliceLocation expected = series_slice(k, x_axis, column, 4.0, k % 2 ? 25.0 : -25.0);
    meta.image_position_patient_mm = expected.image_position_patient_mm;
    meta.has_image_orientation = true;
    meta.image_orientation_patient = expected.image_orientation_patient;
    meta.has_instance_number = true;
    meta.instance_number = 5 - k;  // deliberately against the geometry
    const auto path = dir / expected.file_name;
    write_ct_dicom(path, slice.image, patient.encoding);
    const DicomMetadata read = read_dicom_metadata(path);
    CHECK(read.has_image_orientation);
    CHECK(read.image_orientation_patient[2] == doctest::Approx(0));
    CHECK(read.image_orientation_patient[5] == doctest::Approx(std::sin(tilt)));
    CHECK(read.has_instance_number);
    CHECK(read.instance_number == 5 - k);
    slices.push_back(slice_location(read, path.filename().string()));
  }
  const SeriesIndex index = order_series(slices);
  CHECK(index.series[0].ordered_by == SeriesOrderKey::slice_normal);
  CHECK(index.series[0].slices == std::vector<size_t>{0, 1, 2, 3, 4});
}

TEST_CASE("data: geometry holding NaN or infinity reads as absent, the slice still reads") {
  const auto dir = scratch_dir("series_nan");
  PhantomSlice slice = render_phantom_slice(make_phantom_patient(3, 0, 1, 0.0), 0, 16);
  DicomMetadata& meta = slice.image.metadata;
  meta.has_image_orientation = meta.has_instance_number = true;
  meta.image_orientation_patient = {1, 0, 0, 0, std::numeric_limits<double>::quiet_NaN(), 0};
  meta.image_position_patient_mm[0] = std::numeric_limits<double>::infinity();
  write_ct_dicom(dir / "a.dcm", slice.image, CtEncoding::signed16_intercept_1024);
  const DicomMetadata read = read_dicom_metadata(dir / "a.dcm");
  CHECK_FALSE(read.has_image_orientation);
  CHECK_FALSE(read.has_image_position);
  CHECK(read.has_instance_number);
  CHECK(read_dicom_hu(dir / "a.dcm").rows == 16);
}

}  // namespace ihd::data
