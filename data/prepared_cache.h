// The preprocessed cache: training never decodes DICOM. A cache folder holds
//   cache_info.txt           format, image size, channels (slice offset @ window), fingerprint
//   shard_00000.bin ...      records_per_shard images of height x width x channels uint8 (HWC)
//   shard_00000.tsv ...      one line per record in that shard (written after the .bin: a shard
//                            whose .tsv exists is finished)
//   manifest.tsv             all records: id, shard, slot, split, patient, study, series,
//                            position_mm, slice_index, the six RSNA labels (0 or 1)
// position_mm and slice_index place a slice in its series as data/series.h orders the whole
// source folder (every file, not only the records chosen for the cache): position_mm along the
// slice normal (mm; the InstanceNumber or file-name rank for a series without positions) and
// slice_index its rank (0 = lowest; a duplicate slice has its original's), so a record's
// neighbours are the records of its study and series with slice_index one less or one more, when
// the cache holds them.
// Record files are TSV with backslash escapes (common/delimited.h): an ID from a DICOM header
// holding a TAB or a newline stays inside its field.
// Every file is written atomically (temporary + rename), so an interrupted build leaves only
// whole shards behind and a rerun with the same options skips them (resumable).
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "data/image_dataset.h"
#include "data/rsna_labels.h"

namespace ihd::data {

// ihd-cache-3 added slice_index and made position_mm the position along the slice normal (it was
// the z of ImagePositionPatient); an older cache is refused with a message to prepare it again.
inline constexpr const char* cache_format_version = "ihd-cache-3";
// The largest height or width a cache accepts (DICOM images are capped at the same size).
inline constexpr int kMaxCacheImageSide = 8192;

struct CacheGeometry {
  int height = 0;
  int width = 0;
  int channels = 0;
  size_t records_per_shard = 0;
  std::string channel_description;  // describe_channels(...)
  std::string fingerprint;          // options + input list; a resumed build must match it
};

// One record of the cache as the manifest lists it.
struct CacheRecord {
  std::string id;
  size_t shard = 0;
  size_t slot = 0;
  Split split = Split::train;
  std::string patient_id;
  std::string study_id;
  std::string series_id;
  double position_mm = 0;  // along the series' slice normal (see above)
  size_t slice_index = 0;
  RsnaLabels labels{};
};

// Reads cache_info.txt, or returns nullopt-like empty geometry (height 0) when absent.
CacheGeometry read_cache_geometry(const std::filesystem::path& cache_dir);
void write_cache_geometry(const std::filesystem::path& cache_dir, const CacheGeometry& geometry);

std::filesystem::path shard_pixels_path(const std::filesystem::path& cache_dir, size_t shard);
std::filesystem::path shard_records_path(const std::filesystem::path& cache_dir, size_t shard);

// Record lines (manifest and shard .tsv files share the format, with a header line).
std::string cache_record_header();
std::string format_cache_record(const CacheRecord& record);
std::vector<CacheRecord> read_cache_records(const std::filesystem::path& tsv_path);

// Opens a finished cache (manifest.tsv present) as an ImageDataset with the six RSNA labels.
// Shards are memory-mapped. Throws Error (bad_cache).
std::unique_ptr<ImageDataset> open_prepared_cache(const std::filesystem::path& cache_dir);

}  // namespace ihd::data
