// Keras-style PNG class folders as an ImageDataset: ROOT/<split>/<class>/*.png with split folders
// train, validation, test (any may be missing), or ROOT/<class>/*.png (all train).
//
// The positive class is never guessed (alphabetical order would make "normal" positive beside
// "hem"): class folders named 0 and 1, or negative and positive (what ihd_prepare --export-png
// writes), say it themselves; any other names need PngFolderOptions::positive_class, and every
// class but that one is 0. The mapping is printed. With no validation/ (or test/) folder, the
// requested fractions of the training images are held out at random by image (PNG files carry no
// patient), and that is printed too. Every PNG's header is checked when the folders are opened: a
// file that is not a PNG is named, counted and left out. Images are decoded on demand and resized
// (area/bilinear) to the dataset size: image_size, or the first image's size.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <ostream>
#include <string>

#include "data/dataset_selection.h"
#include "data/image_dataset.h"

namespace ihd::data {

struct PngFolderOptions {
  std::string positive_class;  // required unless the folders are 0/1 or negative/positive
  int image_size = 0;          // 0: the first image's size
  int channels = 0;            // 0: the first image's channel count (1 or 3)
  SplitFractions fractions;    // held out of the training images when a split folder is missing
  std::uint64_t seed = 1;      // of that split
};

// Throws Error (bad_image) when no class folder or PNG is found, and when the positive class is
// not known. The class mapping, the split and skipped files go to log.
std::unique_ptr<ImageDataset> open_png_folders(const std::filesystem::path& root,
                                               const PngFolderOptions& options, std::ostream& log);

}  // namespace ihd::data
