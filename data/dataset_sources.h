// One entry point for training: open whatever folder the user points at as an ImageDataset.
//   a prepared cache (cache_info.txt + manifest.tsv)        -> opened directly
//   an RSNA-layout folder (stage_2_train/ + stage_2_train.csv) -> prepared into cache_dir first
//                                                            (resumed if already there)
//   PNG class folders (Keras layout)                         -> decoded on demand
#pragma once

#include <filesystem>
#include <memory>
#include <ostream>

#include "data/image_dataset.h"
#include "data/png_folder_dataset.h"
#include "data/rsna_preparation.h"

namespace ihd::data {

struct DatasetSourceOptions {
  std::filesystem::path cache_dir;  // where an RSNA folder is prepared; required for that case
  PreparationOptions preparation;   // how an RSNA folder is prepared
  PngFolderOptions png;             // how PNG folders are read
};

// Throws Error when the folder is none of the three or cannot be opened. Preparation
// messages (skipped files, summary) go to log.
std::unique_ptr<ImageDataset> open_dataset(const std::filesystem::path& source,
                                           const DatasetSourceOptions& options, std::ostream& log);

}  // namespace ihd::data
