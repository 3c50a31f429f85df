// Series and slice order: which slices form one CT series, and where each lies along it.
//
// Grouping: slices belong to the same series when they share StudyInstanceUID and
// SeriesInstanceUID; when both are empty, PatientID stands for the series (all of a patient's
// unidentified slices form one series).
//
// Order: along the series' slice normal, so that a tilted gantry or a sagittal or coronal series
// sorts right. Each series uses the best key that every one of its slices has:
//   slice_normal     position = dot(ImagePositionPatient, row x column) with the row and column
//                    directions of ImageOrientationPatient (mm); the normal is that of the series'
//                    first slice by file name
//   position_z       the z of ImagePositionPatient (mm), when a slice lacks ImageOrientationPatient
//                    or its directions are degenerate (a zero vector, or not perpendicular within
//                    0.01 of a unit dot product)
//   instance_number  InstanceNumber (unitless), when a slice lacks ImagePositionPatient
//   file_name        the rank in file-name order, when a slice lacks InstanceNumber too
// A key is never mixed within a series: one slice without orientation sends its whole series to
// position_z.
//
// Multi-frame files: each frame is a slice (SliceLocation::frame); frames of one file share its
// file name and SOPInstanceUID, and are told apart by their frame number.
//
// Duplicates: a slice whose SOPInstanceUID (non-empty) and frame another slice of its series has,
// or whose position lies within 1e-3 of another's, is a duplicate: the first by file name stays
// in the ordered series, the others are listed apart (their data is not dropped: a duplicate
// keeps its labels and pixels, it is only not a step of the series). Gaps: a step between
// consecutive ordered slices longer than 1.5 times the series' median step is a gap, counted (the
// series is kept whole).
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "data/dicom_reader.h"

namespace ihd::data {

// What ordering needs of one slice's header.
struct SliceLocation {
  std::string file_name;  // breaks ties and is the last-resort order (then the frame)
  int frame = 0;          // the frame of a multi-frame file (0-based)
  std::string patient_id;
  std::string study_instance_uid;
  std::string series_instance_uid;
  std::string sop_instance_uid;
  bool has_image_position = false;
  std::array<double, 3> image_position_patient_mm{};
  bool has_image_orientation = false;
  std::array<double, 6> image_orientation_patient{};
  bool has_instance_number = false;
  long instance_number = 0;
};

// The location of the slice `header` describes (a frame's header: data::metadata_of_frame).
SliceLocation slice_location(const DicomMetadata& header, std::string file_name);

enum class SeriesOrderKey : int { slice_normal = 0, position_z, instance_number, file_name };
inline constexpr int series_order_key_count = 4;
std::string_view to_string(SeriesOrderKey key);

inline constexpr double duplicate_position_tolerance_mm = 1e-3;
inline constexpr double gap_step_factor = 1.5;  // a step above this times the median is a gap

struct OrderedSeries {
  std::string patient_id;  // of the series' first slice by file name
  std::string study_instance_uid;
  std::string series_instance_uid;
  SeriesOrderKey ordered_by = SeriesOrderKey::slice_normal;
  std::vector<size_t> slices;        // indices into the input, in order along the normal
  std::vector<double> positions_mm;  // of slices[k]: increasing (units: see ordered_by)
  std::vector<size_t> duplicates;    // indices into the input, left out of `slices`
  double median_step_mm = 0;         // 0 for a series of one slice
  size_t gaps = 0;
};

// Where one input slice ended up.
struct SlicePlace {
  size_t series = 0;       // index into SeriesIndex::series
  size_t slice_index = 0;  // its rank in the ordered series; a duplicate has its original's
  double position_mm = 0;  // its own position (a duplicate's lies at or near its original's)
  bool duplicate = false;
};

struct SeriesReport {
  size_t series = 0;
  size_t slices = 0;                  // input slices
  size_t duplicate_sop_instance = 0;  // duplicates by SOPInstanceUID
  size_t duplicate_position = 0;      // duplicates by position (the other duplicates)
  size_t gaps = 0;                    // over all series
  std::array<size_t, series_order_key_count> series_ordered_by{};  // by SeriesOrderKey
};

struct SeriesIndex {
  std::vector<OrderedSeries> series;  // sorted by study, series, then patient
  std::vector<SlicePlace> places;     // one per input slice, in input order
  SeriesReport report;
};

// Groups and orders the slices. The result depends on the headers and file names only (and on the
// input order only between slices with the same file name).
SeriesIndex order_series(const std::vector<SliceLocation>& slices);

}  // namespace ihd::data
