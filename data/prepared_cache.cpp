// Cache files: info, record lines, and the memory-mapped reader.
#include "data/prepared_cache.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "common/atomic_file.h"
#include "common/decimal.h"
#include "common/delimited.h"
#include "common/error.h"

namespace ihd::data {
namespace {

bool parse_count(const std::string& text, size_t& value) {
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() && end == text.data() + text.size() && !text.empty();
}

bool parse_finite(const std::string& text, double& value) {
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() && end == text.data() + text.size() && std::isfinite(value);
}

bool parse_split_name(const std::string& text, Split& split) {
  for (Split candidate : {Split::train, Split::validation, Split::test}) {
    if (text == to_string(candidate)) {
      split = candidate;
      return true;
    }
  }
  return false;
}

// One shard file mapped read-only for the life of the dataset.
class MappedFile {
 public:
  explicit MappedFile(const std::filesystem::path& path) {
    const int fd = ::open(path.c_str(), O_RDONLY);
    if (fd < 0) throw Error(ErrorKind::bad_cache, path.string(), "cannot open shard");
    struct stat info {};
    ::fstat(fd, &info);
    size_ = static_cast<size_t>(info.st_size);
    if (size_ > 0) {
      void* mapped = ::mmap(nullptr, size_, PROT_READ, MAP_SHARED, fd, 0);
      if (mapped == MAP_FAILED) {
        ::close(fd);
        throw Error(ErrorKind::bad_cache, path.string(), "cannot map shard");
      }
      data_ = static_cast<const std::uint8_t*>(mapped);
    }
    ::close(fd);
  }
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile() {
    if (data_) ::munmap(const_cast<std::uint8_t*>(data_), size_);
  }
  const std::uint8_t* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  const std::uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

class PreparedCacheDataset final : public ImageDataset {
 public:
  explicit PreparedCacheDataset(const std::filesystem::path& dir)
      : geometry_(read_cache_geometry(dir)) {
    if (geometry_.height == 0)
      throw Error(ErrorKind::bad_cache, dir.string(), "not a prepared cache (no cache_info.txt)");
    const auto manifest = dir / "manifest.tsv";
    if (!std::filesystem::exists(manifest))
      throw Error(ErrorKind::bad_cache, manifest.string(),
                  "cache is unfinished (no manifest.tsv): run ihd_prepare again to resume it");
    cache_records_ = read_cache_records(manifest);
    const size_t record_bytes = bytes_per_record();
    for (const CacheRecord& record : cache_records_) {
      if (!shards_.count(record.shard))
        shards_.emplace(record.shard,
                        std::make_unique<MappedFile>(shard_pixels_path(dir, record.shard)));
      if ((record.slot + 1) * record_bytes > shards_.at(record.shard)->size())
        throw Error(ErrorKind::bad_cache, shard_pixels_path(dir, record.shard).string(),
                    "shard is shorter than its records need");
      records_.push_back({record.id, std::vector<float>(record.labels.begin(), record.labels.end()),
                          record.patient_id, record.split, record.study_id, record.series_id,
                          record.position_mm, record.slice_index});
    }
  }

  const std::vector<ImageRecord>& records() const override { return records_; }
  int height() const override { return geometry_.height; }
  int width() const override { return geometry_.width; }
  int channels() const override { return geometry_.channels; }
  int label_count() const override { return rsna_label_count; }
  std::vector<std::string> label_names() const override {
    return std::vector<std::string>(rsna_subtypes.begin(), rsna_subtypes.end());
  }
  void read_pixels(size_t index, std::uint8_t* out) const override {
    const CacheRecord& record = cache_records_[index];
    const size_t record_bytes = bytes_per_record();
    std::memcpy(out, shards_.at(record.shard)->data() + record.slot * record_bytes, record_bytes);
  }

 private:
  size_t bytes_per_record() const {
    return static_cast<size_t>(geometry_.height) * geometry_.width * geometry_.channels;
  }

  CacheGeometry geometry_;
  std::vector<CacheRecord> cache_records_;
  std::vector<ImageRecord> records_;
  std::map<size_t, std::unique_ptr<MappedFile>> shards_;
};

}  // namespace

CacheGeometry read_cache_geometry(const std::filesystem::path& cache_dir) {
  CacheGeometry geometry;
  const std::filesystem::path info = cache_dir / "cache_info.txt";
  if (!std::filesystem::exists(info)) return geometry;
  const std::string path = info.string();
  std::map<std::string, std::string> values;
  RecordReader reader(info, TextFormat::tsv, ErrorKind::bad_cache, 64 * 1024);
  for (std::vector<std::string> fields; reader.next(fields);) {
    const auto equals = fields[0].find('=');
    if (fields.size() == 1 && equals != std::string::npos)
      values[fields[0].substr(0, equals)] = fields[0].substr(equals + 1);
  }
  if (values["format"] != cache_format_version)
    throw Error(ErrorKind::bad_cache, path,
                "cache format '" + values["format"] + "' is not the one this ihd reads (" +
                    cache_format_version +
                    ": each slice's position and index along its series); remove the cache "
                    "folder and prepare it again");
  try {
    geometry.height = std::stoi(values.at("height"));
    geometry.width = std::stoi(values.at("width"));
    geometry.channels = std::stoi(values.at("channels"));
    geometry.records_per_shard = std::stoul(values.at("records_per_shard"));
    geometry.channel_description = values.at("channel_spec");
    geometry.fingerprint = values.at("fingerprint");
  } catch (const std::exception&) {
    throw Error(ErrorKind::bad_cache, path, "malformed cache_info.txt");
  }
  // Sizes a cache of ours can have; anything else is damage, and would size allocations.
  if (geometry.height < 1 || geometry.height > kMaxCacheImageSide || geometry.width < 1 ||
      geometry.width > kMaxCacheImageSide || geometry.channels < 1 || geometry.channels > 16 ||
      geometry.records_per_shard < 1 || geometry.records_per_shard > (size_t{1} << 20))
    throw Error(ErrorKind::bad_cache, path,
                "image size, channels or shard size out of range (" +
                    std::to_string(geometry.height) + " x " + std::to_string(geometry.width) +
                    " x " + std::to_string(geometry.channels) + ", " +
                    std::to_string(geometry.records_per_shard) + " per shard)");
  return geometry;
}

void write_cache_geometry(const std::filesystem::path& cache_dir, const CacheGeometry& geometry) {
  std::ostringstream out;
  out << "format=" << cache_format_version << "\nheight=" << geometry.height
      << "\nwidth=" << geometry.width << "\nchannels=" << geometry.channels
      << "\nrecords_per_shard=" << geometry.records_per_shard
      << "\nchannel_spec=" << tsv_field(geometry.channel_description)
      << "\nfingerprint=" << tsv_field(geometry.fingerprint) << "\n";
  write_file_atomically(cache_dir / "cache_info.txt", out.str());
}

std::filesystem::path shard_pixels_path(const std::filesystem::path& cache_dir, size_t shard) {
  char name[32];
  std::snprintf(name, sizeof name, "shard_%05zu.bin", shard);
  return cache_dir / name;
}

std::filesystem::path shard_records_path(const std::filesystem::path& cache_dir, size_t shard) {
  char name[32];
  std::snprintf(name, sizeof name, "shard_%05zu.tsv", shard);
  return cache_dir / name;
}

std::vector<std::string> cache_record_columns() {
  std::vector<std::string> columns = {"id",    "shard",  "slot",        "split",      "patient",
                                      "study", "series", "position_mm", "slice_index"};
  for (auto subtype : rsna_subtypes) columns.emplace_back(subtype);
  return columns;
}

std::string cache_record_header() {
  return join_record(cache_record_columns(), TextFormat::tsv);
}

std::string format_cache_record(const CacheRecord& r) {
  std::vector<std::string> fields = {r.id,
                                     std::to_string(r.shard),
                                     std::to_string(r.slot),
                                     std::string(to_string(r.split)),
                                     r.patient_id,
                                     r.study_id,
                                     r.series_id,
                                     shortest_decimal(r.position_mm),
                                     std::to_string(r.slice_index)};
  for (float label : r.labels) fields.push_back(label > 0 ? "1" : "0");
  return join_record(fields, TextFormat::tsv);
}

std::vector<CacheRecord> read_cache_records(const std::filesystem::path& tsv_path) {
  RecordReader reader(tsv_path, TextFormat::tsv, ErrorKind::bad_cache);
  std::vector<std::string> fields;
  if (!reader.next(fields) || fields != cache_record_columns())
    throw Error(ErrorKind::bad_cache, tsv_path.string(), "unexpected header");
  std::vector<CacheRecord> records;
  while (reader.next(fields)) {
    const std::string line = "line " + std::to_string(reader.line_number());
    const size_t columns = cache_record_columns().size();
    if (fields.size() != columns)
      throw Error(ErrorKind::bad_cache, tsv_path.string(),
                  line + " has " + std::to_string(fields.size()) + " fields, expected " +
                      std::to_string(columns));
    CacheRecord r;
    r.id = fields[0];
    r.patient_id = fields[4];
    r.study_id = fields[5];
    r.series_id = fields[6];
    const bool numbers_ok = parse_count(fields[1], r.shard) && parse_count(fields[2], r.slot) &&
                            parse_split_name(fields[3], r.split) &&
                            parse_finite(fields[7], r.position_mm) &&
                            parse_count(fields[8], r.slice_index);
    bool labels_ok = true;
    for (int i = 0; i < rsna_label_count; ++i) {
      const std::string& label = fields[columns - rsna_label_count + i];
      labels_ok = labels_ok && (label == "0" || label == "1");
      r.labels[i] = label == "1" ? 1.0f : 0.0f;
    }
    if (!numbers_ok || !labels_ok)
      throw Error(ErrorKind::bad_cache, tsv_path.string(), line + " is malformed");
    records.push_back(std::move(r));
  }
  return records;
}

std::unique_ptr<ImageDataset> open_prepared_cache(const std::filesystem::path& cache_dir) {
  return std::make_unique<PreparedCacheDataset>(cache_dir);
}

}  // namespace ihd::data
