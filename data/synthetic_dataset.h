// Writes a whole synthetic phantom set in the RSNA layout: DIR/stage_2_train/ID_<image>.dcm (real
// DICOM through DCMTK) and DIR/stage_2_train.csv (six label rows per image). Slices are rendered
// and written in parallel (OpenMP); the result depends only on the options, not on the threads.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>

#include "data/rsna_labels.h"

namespace ihd::data {

struct SyntheticDatasetOptions {
  std::filesystem::path output_dir;
  int patients = 20;
  int slices_per_patient = 10;
  std::uint64_t seed = 1;
  int image_size = 512;
  double positive_patient_probability = 0.65;
};

struct SyntheticDatasetSummary {
  size_t images = 0;
  size_t positive_images = 0;                          // "any" = 1
  std::array<size_t, rsna_label_count> per_subtype{};  // images showing each subtype
};

// Throws Error (io) when the output cannot be written.
SyntheticDatasetSummary write_synthetic_dataset(const SyntheticDatasetOptions& options);

}  // namespace ihd::data
