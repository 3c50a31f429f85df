// Keras-style PNG class folders as an ImageDataset: ROOT/<split>/<class>/*.png with split folders
// train, validation, test (any may be missing), or ROOT/<class>/*.png (all train). Classes are
// sorted alphabetically; with two classes the label is the class index (0/1), like Keras's
// class_mode="binary"; or the named positive class is 1 and every other class 0. Images are decoded
// on demand and resized (area/bilinear) to the dataset size: image_size, or the first image's size.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "data/image_dataset.h"

namespace ihd::data {

struct PngFolderOptions {
  std::string positive_class;  // empty: alphabetical order (exactly two classes needed)
  int image_size = 0;          // 0: the first image's size
  int channels = 0;            // 0: the first image's channel count (1 or 3)
};

// Throws Error (bad_image) when no class folder or PNG is found.
std::unique_ptr<ImageDataset> open_png_folders(const std::filesystem::path& root,
                                               const PngFolderOptions& options = {});

}  // namespace ihd::data
