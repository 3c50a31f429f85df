// Class-folder discovery and on-demand PNG decoding.
#include "data/png_folder_dataset.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <set>

#include "common/console.h"
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

// The class whose images show hemorrhage: named by the folders themselves, or by the user.
std::string positive_class_of(const std::set<std::string>& classes, const std::string& named,
                              const std::filesystem::path& root) {
  const auto names = [&] {
    std::string list;
    for (const std::string& name : classes) list += (list.empty() ? "'" : ", '") + name + "'";
    return list;
  };
  if (!named.empty()) {
    if (!classes.count(named))
      throw Error(ErrorKind::bad_image, root.string(),
                  "no class folder '" + named + "' (the class folders are " + names() + ")");
    return named;
  }
  for (const auto& [negative, positive] : {std::pair{"0", "1"}, {"negative", "positive"}})
    if (classes == std::set<std::string>{negative, positive}) return positive;
  throw Error(ErrorKind::bad_image, root.string(),
              "class folders " + names() +
                  ": name the one whose images show hemorrhage with --positive-class (or name "
                  "the folders 0 and 1)");
}

class PngFolderDataset final : public ImageDataset {
 public:
  PngFolderDataset(const std::filesystem::path& root, const PngFolderOptions& options,
                   std::ostream& log) {
    if (!std::filesystem::is_directory(root))
      throw Error(ErrorKind::bad_image, root.string(), "not a folder");
    std::vector<std::pair<Split, std::filesystem::path>> split_folders;
    for (Split split : {Split::train, Split::validation, Split::test})
      if (std::filesystem::is_directory(root / std::string(to_string(split))))
        split_folders.push_back({split, root / std::string(to_string(split))});
    if (split_folders.empty()) split_folders.push_back({Split::train, root});

    std::set<std::string> classes;
    for (const auto& [split, folder] : split_folders)
      for (const auto& class_folder : sorted_subfolders(folder))
        classes.insert(class_folder.filename().string());
    if (classes.size() < 2)
      throw Error(ErrorKind::bad_image, root.string(),
                  "expected at least two class folders, found " + std::to_string(classes.size()));
    positive_class_ = positive_class_of(classes, options.positive_class, root);
    log << "PNG class folders: '" << positive_class_ << "' is positive (label 1), the others ";
    for (const std::string& name : classes)
      if (name != positive_class_) log << "'" << name << "' ";
    log << "negative (label 0)\n";

    size_t skipped = 0;
    for (const auto& [split, folder] : split_folders) {
      for (const auto& class_folder : sorted_subfolders(folder)) {
        const float label = class_folder.filename() == positive_class_ ? 1.0f : 0.0f;
        std::vector<std::filesystem::path> files;
        for (const auto& entry : std::filesystem::directory_iterator(class_folder))
          if (entry.is_regular_file() && entry.path().extension() == ".png")
            files.push_back(entry.path());
        std::sort(files.begin(), files.end());
        for (const auto& file : files) {
          try {
            read_png_header(file);
          } catch (const Error& error) {
            write_whole_line(log, std::string("skipped ") + error.what());
            ++skipped;
            continue;
          }
          ImageRecord record;  // no patient, study or series: a PNG does not say
          record.id = file.stem().string();
          record.labels = {label};
          record.split = split;
          records_.push_back(std::move(record));
          files_.push_back(file);
        }
      }
    }
    if (skipped > 0) log << "PNG class folders: " << skipped << " file(s) skipped\n";
    if (files_.empty()) throw Error(ErrorKind::bad_image, root.string(), "no PNG files found");
    hold_out_missing_splits(split_folders, options, log);
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
  // Without a validation/ (or test/) folder, the requested fractions of the training images are
  // held out at random by image.
  void hold_out_missing_splits(
      const std::vector<std::pair<Split, std::filesystem::path>>& split_folders,
      const PngFolderOptions& options, std::ostream& log) {
    const auto has_folder = [&](Split split) {
      return std::any_of(split_folders.begin(), split_folders.end(),
                         [&](const auto& entry) { return entry.first == split; });
    };
    SplitFractions fractions;
    fractions.validation = has_folder(Split::validation) ? 0 : options.fractions.validation;
    fractions.test = has_folder(Split::test) ? 0 : options.fractions.test;
    if (fractions.validation <= 0 && fractions.test <= 0) return;
    std::vector<size_t> train;
    std::vector<std::string> images;
    for (size_t i = 0; i < records_.size(); ++i) {
      if (records_[i].split != Split::train) continue;
      train.push_back(i);
      images.push_back(files_[i].string());
    }
    const std::vector<Split> splits = split_by_group(images, fractions, options.seed);
    std::array<size_t, 3> counts{};
    for (size_t k = 0; k < train.size(); ++k) {
      records_[train[k]].split = splits[k];
      ++counts[static_cast<size_t>(splits[k])];
    }
    log << "PNG class folders: no " << (fractions.validation > 0 ? "validation/" : "")
        << (fractions.validation > 0 && fractions.test > 0 ? " or " : "")
        << (fractions.test > 0 ? "test/" : "") << " folder: held out " << counts[1]
        << " validation and " << counts[2] << " test images of " << train.size()
        << " at random by image (PNG files carry no patient)\n";
  }

  std::vector<ImageRecord> records_;
  std::vector<std::filesystem::path> files_;
  std::string positive_class_;
  int height_ = 0, width_ = 0, channels_ = 0;
};

}  // namespace

std::unique_ptr<ImageDataset> open_png_folders(const std::filesystem::path& root,
                                               const PngFolderOptions& options, std::ostream& log) {
  return std::make_unique<PngFolderDataset>(root, options, log);
}

}  // namespace ihd::data
