// Keras-layout export and plain DICOM -> PNG conversion.
#include "data/png_export.h"

#include <omp.h>

#include <algorithm>
#include <optional>

#include "common/console.h"
#include "common/file_names.h"
#include "data/dicom_reader.h"
#include "data/png_io.h"
#include "data/slice_preparation.h"

namespace ihd::data {
namespace {

bool looks_like_dicom_name(const std::filesystem::path& path) {
  std::string extension = path.extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(), ::tolower);
  return extension == ".dcm" || extension.empty();
}

std::vector<std::filesystem::path> expand_inputs(const std::vector<std::filesystem::path>& inputs) {
  std::vector<std::filesystem::path> files;
  for (const auto& input : inputs) {
    if (!std::filesystem::is_directory(input)) {
      files.push_back(input);
      continue;
    }
    std::vector<std::filesystem::path> found;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(input))
      if (entry.is_regular_file() && looks_like_dicom_name(entry.path()))
        found.push_back(entry.path());
    std::sort(found.begin(), found.end());
    files.insert(files.end(), found.begin(), found.end());
  }
  return files;
}

// Counts the outcome of this rank's share of one pass (no failure: written), names each skipped
// input, and sums the counts over the ranks.
PngConversionReport summarise(const std::vector<std::optional<Error>>& failures, std::ostream& log,
                              const WorkShare& share) {
  PngConversionReport report;
  report.inputs = failures.size();
  for (const auto& failure : failures) {
    if (!failure) {
      ++report.written;
      continue;
    }
    ++report.skipped_by_kind[failure->kind()];
    write_whole_line(log, std::string("skipped ") + failure->what());
  }
  share.sum({&report.inputs, &report.written});
  share.sum(report.skipped_by_kind);
  return report;
}

}  // namespace

PngConversionReport export_png_tree(const ImageDataset& dataset,
                                    const std::filesystem::path& output_dir, int label_index,
                                    std::ostream& log, const ProgressOutput& output,
                                    const WorkShare& share) {
  for (Split split : {Split::train, Split::validation, Split::test})
    for (const char* name : {negative_class_name, positive_class_name})
      std::filesystem::create_directories(output_dir / std::string(to_string(split)) / name);
  const auto& records = dataset.records();
  const size_t bytes = static_cast<size_t>(dataset.height()) * dataset.width() * dataset.channels();
  const std::vector<size_t> mine = share.owned(records.size());
  std::vector<std::optional<Error>> failures(mine.size());
  Progress progress(output, "exporting PNGs", static_cast<std::int64_t>(mine.size()), "img");
#pragma omp parallel
  {
    std::vector<std::uint8_t> pixels(bytes);
#pragma omp for schedule(dynamic, 8)
    for (long k = 0; k < static_cast<long>(mine.size()); ++k) {
      const size_t i = mine[k];
      const ImageRecord& record = records[i];
      const char* class_name =
          record.labels[label_index] > 0 ? positive_class_name : negative_class_name;
      try {
        const auto folder = output_dir / std::string(to_string(record.split)) / class_name;
        const auto path = child_path(folder, record.id + ".png");
        dataset.read_pixels(i, pixels.data());
        write_png(path, pixels.data(), dataset.height(), dataset.width(), dataset.channels());
      } catch (const std::exception& error) {
        failures[k] = as_file_error(record.id, error);
      }
      progress.add(1);
    }
  }
  progress.finish();
  return summarise(failures, log, share);
}

PngConversionReport convert_dicom_to_png(const std::vector<std::filesystem::path>& inputs,
                                         const std::filesystem::path& output_dir,
                                         const std::vector<Window>& windows, int size,
                                         std::ostream& log, const DicomLimits& limits,
                                         const ProgressOutput& output, const WorkShare& share) {
  std::filesystem::create_directories(output_dir);
  const auto files = expand_inputs(inputs);
  const auto channels = window_channels(windows);
  const std::vector<size_t> mine = share.owned(files.size());
  std::vector<std::optional<Error>> failures(mine.size());
  Progress progress(output, "converting to PNG", static_cast<std::int64_t>(mine.size()), "files");
#pragma omp parallel for schedule(dynamic, 4)
  for (long k = 0; k < static_cast<long>(mine.size()); ++k) {
    const size_t i = mine[k];
    try {
      const HuImage slice = read_dicom_hu(files[i], limits);
      std::vector<const HuImage*> slices(channels.size(), &slice);
      const PreparedImage image = prepare_image(slices, channels, size);
      write_png(child_path(output_dir, files[i].stem().string() + ".png"), image.pixels.data(),
                image.height, image.width, image.channels);
    } catch (const std::exception& error) {
      failures[k] = as_file_error(files[i].string(), error);
    }
    progress.add(1);
  }
  progress.finish();
  return summarise(failures, log, share);
}

}  // namespace ihd::data
