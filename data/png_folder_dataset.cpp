// Class-folder discovery and on-demand PNG decoding.
#include "data/png_folder_dataset.h"

#include <algorithm>
#include <cstring>
#include <set>

#include "common/error.h"
#include "data/png_io.h"
#include "data/resize.h"

namespace ihd::data {
namespace {

std::vector<std::filesystem::path> sorted_subfolders(const std::filesystem::path& folder) {
  std::vector<std::filesystem::path> folders;
  for (const auto& entry : std::filesystem::directory_iterator(folder))
    if (entry.is_directory()) folders.push_back(entry.path());
  std::sort(folders.begin(), folders.end());
  return folders;
}

class PngFolderDataset final : public ImageDataset {
 public:
  PngFolderDataset(const std::filesystem::path& root, const PngFolderOptions& options) {
    if (!std::filesystem::is_directory(root))
      throw Error(ErrorKind::bad_image, root.string(), "not a folder");
    std::vector<std::pair<Split, std::filesystem::path>> split_folders;
    for (Split split : {Split::train, Split::validation, Split::test})
      if (std::filesystem::is_directory(root / std::string(to_string(split))))
        split_folders.push_back({split, root / std::string(to_string(split))});
    if (split_folders.empty()) split_folders.push_back({Split::train, root});

    std::set<std::string> class_names;
    for (const auto& [split, folder] : split_folders)
      for (const auto& class_folder : sorted_subfolders(folder))
        class_names.insert(class_folder.filename().string());
    const std::vector<std::string> classes(class_names.begin(), class_names.end());
    if (options.positive_class.empty() && classes.size() != 2)
      throw Error(ErrorKind::bad_image, root.string(),
                  "expected exactly two class folders, found " + std::to_string(classes.size()) +
                      " (or name the positive class)");
    positive_class_ = options.positive_class.empty() ? classes[1] : options.positive_class;
    if (!class_names.count(positive_class_))
      throw Error(ErrorKind::bad_image, root.string(), "no class folder '" + positive_class_ + "'");

    for (const auto& [split, folder] : split_folders) {
      for (const auto& class_folder : sorted_subfolders(folder)) {
        const float label = class_folder.filename() == positive_class_ ? 1.0f : 0.0f;
        std::vector<std::filesystem::path> files;
        for (const auto& entry : std::filesystem::directory_iterator(class_folder))
          if (entry.is_regular_file() && entry.path().extension() == ".png")
            files.push_back(entry.path());
        std::sort(files.begin(), files.end());
        for (const auto& file : files) {
          records_.push_back({file.stem().string(), {label}, "", split});
          files_.push_back(file);
        }
      }
    }
    if (files_.empty()) throw Error(ErrorKind::bad_image, root.string(), "no PNG files found");
    const PngImage first = read_png(files_[0], options.channels);
    height_ = options.image_size ? options.image_size : first.height;
    width_ = options.image_size ? options.image_size : first.width;
    channels_ = first.channels;
    if (channels_ != 1 && channels_ != 3)
      throw Error(ErrorKind::bad_image, files_[0].string(), "need grey or RGB PNGs");
  }

  const std::vector<ImageRecord>& records() const override { return records_; }
  int height() const override { return height_; }
  int width() const override { return width_; }
  int channels() const override { return channels_; }
  int label_count() const override { return 1; }
  std::vector<std::string> label_names() const override { return {positive_class_}; }
  void read_pixels(size_t index, std::uint8_t* out) const override {
    const PngImage image = read_png(files_[index], channels_);
    if (image.height == height_ && image.width == width_)
      std::memcpy(out, image.pixels.data(), image.pixels.size());
    else
      resize_image_u8(image.pixels.data(), image.height, image.width, channels_, out, height_,
                      width_);
  }

 private:
  std::vector<ImageRecord> records_;
  std::vector<std::filesystem::path> files_;
  std::string positive_class_;
  int height_ = 0, width_ = 0, channels_ = 0;
};

}  // namespace

std::unique_ptr<ImageDataset> open_png_folders(const std::filesystem::path& root,
                                               const PngFolderOptions& options) {
  return std::make_unique<PngFolderDataset>(root, options);
}

}  // namespace ihd::data
