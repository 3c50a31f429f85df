// The data side of a run: opens what --data names (or makes the synthetic head-CT set when it
// names nothing), picks the label columns the model predicts, and turns a loader Batch into
// tensors on the training device.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "apps/pipeline/train_options.h"
#include "data/batch_loader.h"
#include "data/dicom_reader.h"
#include "data/image_dataset.h"
#include "engine/batch_uploader.h"
#include "engine/tensor.h"

namespace ihd::pipeline {

struct TrainingData {
  std::unique_ptr<data::ImageDataset> dataset;
  std::vector<int> label_columns;        // dataset label indices the model's outputs predict
  std::vector<std::string> label_names;  // one per output
  int headline_output = 0;               // the output whose metrics rank epochs ("any")
  std::vector<size_t> train, validation, test;
  std::string description;
};

// Opens (and prepares or synthesises, if needed) the run's data. Messages go to stdout.
TrainingData open_training_data(const TrainOptions& options);

// The limits on DICOM inputs the options set (--max-image-side, --max-decoded-mb).
data::DicomLimits dicom_limits_for(const TrainOptions& options);

// The loader options of a run; training shuffles and augments, evaluation does neither.
// Training uses whole batches only (a last partial batch is left out of each shuffled epoch, and
// said so); evaluation scores every image.
data::BatchLoaderOptions loader_options(const TrainOptions& options, bool training);

struct BatchTensors {
  Tensor images;   // [n, size, size, channels], normalised as options.normalize says
  Tensor targets;  // [n, outputs]
};
// The batch's normalised images and its label columns, on the uploader's device.
BatchTensors to_tensors(const data::Batch& batch, const std::vector<int>& label_columns,
                        const std::string& normalize, BatchUploader& uploader);
// Normalises NHWC pixels in [0, 1] in place: "unit" leaves them, "imagenet" applies
// torchvision's per-channel mean and standard deviation (3 channels; 1 channel uses the mean of
// the three).
void normalize_pixels(std::vector<float>& pixels, int channels, const std::string& normalize);

}  // namespace ihd::pipeline
