// Cache files: info, record lines, and the memory-mapped reader.
#include "data/prepared_cache.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "common/atomic_file.h"
#include "common/error.h"

namespace ihd::data {
namespace {

std::vector<std::string> split_tabs(const std::string& line) {
  std::vector<std::string> fields;
  size_t start = 0;
  while (true) {
    const auto tab = line.find('\t', start);
    fields.push_back(line.substr(start, tab - start));
    if (tab == std::string::npos) break;
    start = tab + 1;
  }
  return fields;
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
                          record.patient_id, record.split});
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
  std::ifstream in(cache_dir / "cache_info.txt");
  if (!in) return geometry;
  std::map<std::string, std::string> values;
  std::string line;
  while (std::getline(in, line)) {
    const auto equals = line.find('=');
    if (equals != std::string::npos) values[line.substr(0, equals)] = line.substr(equals + 1);
  }
  if (values["format"] != cache_format_version)
    throw Error(ErrorKind::bad_cache, (cache_dir / "cache_info.txt").string(),
                "unknown cache format '" + values["format"] + "'");
  try {
    geometry.height = std::stoi(values.at("height"));
    geometry.width = std::stoi(values.at("width"));
    geometry.channels = std::stoi(values.at("channels"));
    geometry.records_per_shard = std::stoul(values.at("records_per_shard"));
    geometry.channel_description = values.at("channel_spec");
    geometry.fingerprint = values.at("fingerprint");
  } catch (const std::exception&) {
    throw Error(ErrorKind::bad_cache, (cache_dir / "cache_info.txt").string(),
                "malformed cache_info.txt");
  }
  return geometry;
}

void write_cache_geometry(const std::filesystem::path& cache_dir, const CacheGeometry& geometry) {
  std::ostringstream out;
  out << "format=" << cache_format_version << "\nheight=" << geometry.height
      << "\nwidth=" << geometry.width << "\nchannels=" << geometry.channels
      << "\nrecords_per_shard=" << geometry.records_per_shard
      << "\nchannel_spec=" << geometry.channel_description
      << "\nfingerprint=" << geometry.fingerprint << "\n";
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

std::string cache_record_header() {
  std::string header = "id\tshard\tslot\tsplit\tpatient\tstudy\tseries\tposition_z_mm";
  for (auto subtype : rsna_subtypes) {
    header += '\t';
    header += subtype;
  }
  return header;
}

std::string format_cache_record(const CacheRecord& r) {
  std::ostringstream line;
  line.precision(10);
  line << r.id << '\t' << r.shard << '\t' << r.slot << '\t' << to_string(r.split) << '\t'
       << r.patient_id << '\t' << r.study_id << '\t' << r.series_id << '\t' << r.position_z_mm;
  for (float label : r.labels) line << '\t' << label;
  return line.str();
}

std::vector<CacheRecord> read_cache_records(const std::filesystem::path& tsv_path) {
  std::ifstream in(tsv_path);
  if (!in) throw Error(ErrorKind::bad_cache, tsv_path.string(), "cannot open");
  std::string line;
  std::getline(in, line);
  if (line != cache_record_header())
    throw Error(ErrorKind::bad_cache, tsv_path.string(), "unexpected header");
  std::vector<CacheRecord> records;
  size_t line_number = 1;
  while (std::getline(in, line)) {
    ++line_number;
    if (line.empty()) continue;
    const auto fields = split_tabs(line);
    if (fields.size() != 8 + rsna_label_count)
      throw Error(ErrorKind::bad_cache, tsv_path.string(),
                  "line " + std::to_string(line_number) + " has " + std::to_string(fields.size()) +
                      " fields");
    CacheRecord r;
    try {
      r.id = fields[0];
      r.shard = std::stoul(fields[1]);
      r.slot = std::stoul(fields[2]);
      r.split = parse_split(fields[3]);
      r.patient_id = fields[4];
      r.study_id = fields[5];
      r.series_id = fields[6];
      r.position_z_mm = std::stod(fields[7]);
      for (int i = 0; i < rsna_label_count; ++i) r.labels[i] = std::stof(fields[8 + i]);
    } catch (const std::exception&) {
      throw Error(ErrorKind::bad_cache, tsv_path.string(),
                  "line " + std::to_string(line_number) + " is malformed");
    }
    records.push_back(std::move(r));
  }
  return records;
}

std::unique_ptr<ImageDataset> open_prepared_cache(const std::filesystem::path& cache_dir) {
  return std::make_unique<PreparedCacheDataset>(cache_dir);
}

}  // namespace ihd::data
