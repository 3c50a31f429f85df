// Series ordering: group, pick each series' key, set duplicates apart, sort, count gaps.
#include "data/series.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>
#include <utility>

namespace ihd::data {
namespace {

using Vector3 = std::array<double, 3>;

double dot(const Vector3& a, const Vector3& b) {
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

// The unit normal row x column of an ImageOrientationPatient; false when it is degenerate.
bool slice_normal(const std::array<double, 6>& orientation, Vector3& normal) {
  const Vector3 row{orientation[0], orientation[1], orientation[2]};
  const Vector3 column{orientation[3], orientation[4], orientation[5]};
  const double row_length = std::sqrt(dot(row, row));
  const double column_length = std::sqrt(dot(column, column));
  if (row_length < 1e-6 || column_length < 1e-6) return false;
  if (std::abs(dot(row, column)) > 0.01 * row_length * column_length) return false;
  const Vector3 cross{row[1] * column[2] - row[2] * column[1],
                      row[2] * column[0] - row[0] * column[2],
                      row[0] * column[1] - row[1] * column[0]};
  const double length = std::sqrt(dot(cross, cross));
  for (int i = 0; i < 3; ++i) normal[i] = cross[i] / length;
  return true;
}

bool has_normal(const SliceLocation& slice) {
  Vector3 ignored;
  return slice.has_image_orientation && slice_normal(slice.image_orientation_patient, ignored);
}

// The best key every member has.
SeriesOrderKey best_key(const std::vector<SliceLocation>& slices,
                        const std::vector<size_t>& members) {
  const auto all = [&](auto&& has) {
    return std::all_of(members.begin(), members.end(), [&](size_t i) { return has(slices[i]); });
  };
  if (all([](const SliceLocation& s) { return s.has_image_position && has_normal(s); }))
    return SeriesOrderKey::slice_normal;
  if (all([](const SliceLocation& s) { return s.has_image_position; }))
    return SeriesOrderKey::position_z;
  if (all([](const SliceLocation& s) { return s.has_instance_number; }))
    return SeriesOrderKey::instance_number;
  return SeriesOrderKey::file_name;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const size_t middle = values.size() / 2;
  return values.size() % 2 ? values[middle] : 0.5 * (values[middle - 1] + values[middle]);
}

// Each member's position along the series' key (members: the series' slices by file name).
void place_members(const std::vector<SliceLocation>& slices, const std::vector<size_t>& members,
                   SeriesOrderKey key, std::vector<SlicePlace>& places) {
  Vector3 normal{0, 0, 1};  // position_z: the z of ImagePositionPatient
  if (key == SeriesOrderKey::slice_normal)
    slice_normal(slices[members.front()].image_orientation_patient, normal);
  for (size_t rank = 0; rank < members.size(); ++rank) {
    const SliceLocation& slice = slices[members[rank]];
    double& position = places[members[rank]].position_mm;
    switch (key) {
      case SeriesOrderKey::slice_normal:
      case SeriesOrderKey::position_z:
        position = dot(slice.image_position_patient_mm, normal);
        break;
      case SeriesOrderKey::instance_number:
        position = static_cast<double>(slice.instance_number);
        break;
      case SeriesOrderKey::file_name:
        position = static_cast<double>(rank);
        break;
    }
  }
}

// The members whose SOPInstanceUID (when not empty) and frame no earlier member by file name has;
// the others go to duplicates as (duplicate, original).
std::vector<size_t> first_of_each_sop_instance(const std::vector<SliceLocation>& slices,
                                               const std::vector<size_t>& members,
                                               std::vector<std::pair<size_t, size_t>>& duplicates) {
  std::map<std::pair<std::string, int>, size_t> original_of_sop_frame;
  std::vector<size_t> firsts;
  for (size_t i : members) {
    const std::string& sop = slices[i].sop_instance_uid;
    if (!sop.empty()) {
      const auto [found, inserted] =
          original_of_sop_frame.emplace(std::pair(sop, slices[i].frame), i);
      if (!inserted) {
        duplicates.emplace_back(i, found->second);
        continue;
      }
    }
    firsts.push_back(i);
  }
  return firsts;
}

// The series' median step and its gaps.
void measure_steps(OrderedSeries& series) {
  std::vector<double> steps;
  for (size_t k = 1; k < series.positions_mm.size(); ++k)
    steps.push_back(series.positions_mm[k] - series.positions_mm[k - 1]);
  if (steps.empty()) return;
  series.median_step_mm = median(steps);
  for (double step : steps) series.gaps += step > gap_step_factor * series.median_step_mm;
}

// Orders one series (members: its slices by file name; name_rank: each input slice's rank in
// file-name order over all slices); fills the members' places.
OrderedSeries order_one_series(const std::vector<SliceLocation>& slices,
                               const std::vector<size_t>& members,
                               const std::vector<size_t>& name_rank, size_t series_number,
                               SeriesReport& report, std::vector<SlicePlace>& places) {
  const SliceLocation& first = slices[members.front()];
  OrderedSeries series;
  series.patient_id = first.patient_id;
  series.study_instance_uid = first.study_instance_uid;
  series.series_instance_uid = first.series_instance_uid;
  series.ordered_by = best_key(slices, members);
  for (size_t i : members) places[i].series = series_number;
  place_members(slices, members, series.ordered_by, places);

  std::vector<std::pair<size_t, size_t>> sop_duplicates;
  std::vector<size_t> candidates = first_of_each_sop_instance(slices, members, sop_duplicates);
  report.duplicate_sop_instance += sop_duplicates.size();

  // Along the key; a run of positions each within the tolerance of the last keeps its first by
  // file name.
  std::sort(candidates.begin(), candidates.end(), [&](size_t a, size_t b) {
    return std::make_pair(places[a].position_mm, name_rank[a]) <
           std::make_pair(places[b].position_mm, name_rank[b]);
  });
  for (size_t begin = 0; begin < candidates.size();) {
    size_t end = begin + 1;
    while (end < candidates.size() &&
           places[candidates[end]].position_mm - places[candidates[end - 1]].position_mm <=
               duplicate_position_tolerance_mm)
      ++end;
    const auto kept = std::min_element(
        candidates.begin() + static_cast<long>(begin), candidates.begin() + static_cast<long>(end),
        [&](size_t a, size_t b) { return name_rank[a] < name_rank[b]; });
    const size_t slice_index = series.slices.size();
    series.slices.push_back(*kept);
    series.positions_mm.push_back(places[*kept].position_mm);
    for (size_t k = begin; k < end; ++k) {
      places[candidates[k]].slice_index = slice_index;
      if (candidates[k] == *kept) continue;
      places[candidates[k]].duplicate = true;
      series.duplicates.push_back(candidates[k]);
      ++report.duplicate_position;
    }
    begin = end;
  }
  for (const auto& [duplicate, original] : sop_duplicates) {
    places[duplicate].slice_index = places[original].slice_index;
    places[duplicate].duplicate = true;
    series.duplicates.push_back(duplicate);
  }
  std::sort(series.duplicates.begin(), series.duplicates.end(),
            [&](size_t a, size_t b) { return name_rank[a] < name_rank[b]; });

  measure_steps(series);
  report.gaps += series.gaps;
  ++report.series_ordered_by[static_cast<int>(series.ordered_by)];
  return series;
}

}  // namespace

SliceLocation slice_location(const DicomMetadata& header, std::string file_name) {
  SliceLocation slice;
  slice.file_name = std::move(file_name);
  slice.frame = header.frame;
  slice.patient_id = header.patient_id;
  slice.study_instance_uid = header.study_instance_uid;
  slice.series_instance_uid = header.series_instance_uid;
  slice.sop_instance_uid = header.sop_instance_uid;
  slice.has_image_position = header.has_image_position;
  slice.image_position_patient_mm = header.image_position_patient_mm;
  slice.has_image_orientation = header.has_image_orientation;
  slice.image_orientation_patient = header.image_orientation_patient;
  slice.has_instance_number = header.has_instance_number;
  slice.instance_number = header.instance_number;
  return slice;
}

std::string_view to_string(SeriesOrderKey key) {
  switch (key) {
    case SeriesOrderKey::slice_normal:
      return "slice_normal";
    case SeriesOrderKey::position_z:
      return "position_z";
    case SeriesOrderKey::instance_number:
      return "instance_number";
    case SeriesOrderKey::file_name:
      return "file_name";
  }
  return "unknown";
}

SeriesIndex order_series(const std::vector<SliceLocation>& slices) {
  std::vector<size_t> by_name(slices.size());
  for (size_t i = 0; i < by_name.size(); ++i) by_name[i] = i;
  std::sort(by_name.begin(), by_name.end(), [&](size_t a, size_t b) {
    return std::tie(slices[a].file_name, slices[a].frame, a) <
           std::tie(slices[b].file_name, slices[b].frame, b);
  });
  std::vector<size_t> name_rank(slices.size());
  for (size_t rank = 0; rank < by_name.size(); ++rank) name_rank[by_name[rank]] = rank;

  // (study, series, patient when both UIDs are empty) -> members in file-name order.
  std::map<std::tuple<std::string, std::string, std::string>, std::vector<size_t>> groups;
  for (size_t i : by_name) {
    const SliceLocation& s = slices[i];
    const bool identified = !s.study_instance_uid.empty() || !s.series_instance_uid.empty();
    groups[{s.study_instance_uid, s.series_instance_uid, identified ? "" : s.patient_id}].push_back(
        i);
  }
  SeriesIndex index;
  index.places.resize(slices.size());
  index.report.slices = slices.size();
  for (const auto& [key, members] : groups)
    index.series.push_back(order_one_series(slices, members, name_rank, index.series.size(),
                                            index.report, index.places));
  index.report.series = index.series.size();
  return index;
}

}  // namespace ihd::data
