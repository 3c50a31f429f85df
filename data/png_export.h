// PNG output: (1) a prepared dataset exported in the layout the seed's Keras code read,
// OUT/<split>/<class>/<id>.png with classes "negative" and "positive" (alphabetical order gives
// Keras labels 0 and 1; positive = the chosen label, "any" by default); (2) the plain conversion
// of DICOM files or folders to one 8-bit PNG per decodable file (grey for one window, RGB for
// three), named after the input file's stem, every skipped file named with its reason. Both show
// their progress (common/progress.h) where `progress` says (by default nowhere). Shared by the
// ranks of a job (data/work_share.h), each writes its share of the PNGs, names the inputs it
// skipped, and returns the counts of the whole job (on every rank).
#pragma once

#include <filesystem>
#include <map>
#include <ostream>
#include <vector>

#include "common/error.h"
#include "common/progress.h"
#include "data/dicom_reader.h"
#include "data/image_dataset.h"
#include "data/windowing.h"
#include "data/work_share.h"

namespace ihd::data {

inline constexpr const char* negative_class_name = "negative";
inline constexpr const char* positive_class_name = "positive";

struct PngConversionReport {
  size_t inputs = 0;
  size_t written = 0;
  std::map<ErrorKind, size_t> skipped_by_kind;
};

// Writes every record of dataset; label_index picks the label deciding the class. Parallel
// (OpenMP). A record whose ID is not a safe file name (common/file_names.h) or whose PNG cannot
// be written is skipped, named in log with the reason and counted; nothing is ever written
// outside output_dir.
PngConversionReport export_png_tree(const ImageDataset& dataset,
                                    const std::filesystem::path& output_dir, int label_index,
                                    std::ostream& log, const ProgressOutput& progress = {},
                                    const WorkShare& share = {});

// inputs: files (taken as they are) or folders (searched recursively for *.dcm and files without
// an extension). size 0 keeps the native size. Skipped files go to log, one line each; files over
// `limits` are skipped (too_large).
PngConversionReport convert_dicom_to_png(const std::vector<std::filesystem::path>& inputs,
                                         const std::filesystem::path& output_dir,
                                         const std::vector<Window>& windows, int size,
                                         std::ostream& log, const DicomLimits& limits = {},
                                         const ProgressOutput& progress = {},
                                         const WorkShare& share = {});

}  // namespace ihd::data
