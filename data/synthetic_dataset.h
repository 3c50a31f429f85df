// Writes a whole synthetic phantom set in the RSNA layout: DIR/stage_2_train/ID_<image>.dcm (real
// DICOM through DCMTK, one series per patient with ImagePositionPatient, ImageOrientationPatient
// and InstanceNumber), DIR/stage_2_train.csv (six label rows per image) and
// DIR/series_labels.csv (per-series ground truth, data/series_labels.h). Slices are rendered and
// written in parallel (OpenMP), their progress shown where options.progress says; the result
// depends only on the options, not on the threads.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>

#include "common/progress.h"
#include "data/rsna_labels.h"

namespace ihd::data {

struct SyntheticDatasetOptions {
  std::filesystem::path output_dir;
  int patients = 20;
  int slices_per_patient = 10;
  std::uint64_t seed = 1;
  int image_size = 512;
  double positive_patient_probability = 0.65;
  // The chance that a hemorrhage of 3 or more slices has faint end slices (data/phantom.h). 0, the
  // default, writes the same pixels and labels as before faint ends existed.
  double faint_end_probability = 0;
  ProgressOutput progress;  // where the progress of the slices written goes (default: nowhere)
};

struct SyntheticDatasetSummary {
  size_t images = 0;
  size_t positive_images = 0;                          // "any" = 1
  size_t faint_positive_images = 0;                    // positive only through faint end slices
  std::array<size_t, rsna_label_count> per_subtype{};  // images showing each subtype
  size_t series = 0;
  size_t positive_series = 0;
};

// Throws Error (io) when the output cannot be written.
SyntheticDatasetSummary write_synthetic_dataset(const SyntheticDatasetOptions& options);

}  // namespace ihd::data
