// ImageDataset: what the batch loader reads from. A list of records (image ID, labels, patient,
// split) and, for each, 8-bit pixels at one size (HWC). Implementations: the prepared shard cache
// (prepared_cache.h) and Keras-style PNG class folders (png_folder_dataset.h); an RSNA-layout
// DICOM folder is prepared into a cache first (open_dataset in dataset_sources.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/dataset_selection.h"

namespace ihd::data {

struct ImageRecord {
  std::string id;             // "ID_<image>" for RSNA files, the file stem for PNGs
  std::vector<float> labels;  // label_count() values, 0 or 1
  std::string patient_id;     // empty when unknown
  Split split = Split::train;
  // The slice's place in its CT series (data/series.h), from a prepared cache; empty and 0 for
  // PNG folders, which know no series.
  std::string study_id;
  std::string series_id;
  double position_mm = 0;  // along the series' slice normal
  size_t slice_index = 0;  // rank in the series (0 = lowest)
};

class ImageDataset {
 public:
  virtual ~ImageDataset() = default;

  virtual const std::vector<ImageRecord>& records() const = 0;
  virtual int height() const = 0;
  virtual int width() const = 0;
  virtual int channels() const = 0;
  // 6 for RSNA labels (rsna_subtypes order), 1 for binary PNG class folders.
  virtual int label_count() const = 0;
  // Names of the labels ("epidural", ..., "any"; or the positive class's name).
  virtual std::vector<std::string> label_names() const = 0;
  // Copies record index's pixels (height x width x channels bytes) into out. Thread-safe.
  // Throws Error when the underlying file cannot be read.
  virtual void read_pixels(size_t index, std::uint8_t* out) const = 0;

  // Indices of the records in one split, in record order.
  std::vector<size_t> indices_of(Split split) const {
    std::vector<size_t> indices;
    for (size_t i = 0; i < records().size(); ++i)
      if (records()[i].split == split) indices.push_back(i);
    return indices;
  }
};

}  // namespace ihd::data
