// The cache build: plan (labels, selection, headers, splits, shards), then shards in parallel.
#include "data/rsna_preparation.h"

#include <omp.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "common/atomic_file.h"
#include "common/console.h"
#include "data/dicom_reader.h"
#include "data/prepared_cache.h"
#include "data/rsna_labels.h"
#include "data/series.h"

namespace ihd::data {
namespace {

struct PlannedImage {
  std::string id;
  std::filesystem::path path;
  size_t file = 0;  // index in the folder's file list
  RsnaLabels labels{};
  DicomMetadata header;
  SlicePlace place;
  Split split = Split::train;
  std::map<int, std::filesystem::path> neighbours;  // slice offset -> file (absent: use itself)
};

std::uint64_t fnv1a(const std::string& text) {
  std::uint64_t hash = 1469598103934665603ull;
  for (unsigned char c : text) hash = (hash ^ c) * 1099511628211ull;
  return hash;
}

std::vector<std::filesystem::path> list_dicom_files(const std::filesystem::path& folder) {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(folder))
    if (entry.is_regular_file() && entry.path().extension() == ".dcm")
      files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  return files;
}

// Reads headers in parallel; failures land in errors[i] (nullopt on success).
std::vector<DicomMetadata> read_headers(const std::vector<std::filesystem::path>& files,
                                        const DicomLimits& limits,
                                        std::vector<std::optional<Error>>& errors,
                                        const ProgressOutput& output) {
  std::vector<DicomMetadata> headers(files.size());
  errors.assign(files.size(), std::nullopt);
  Progress progress(output, "reading headers", static_cast<std::int64_t>(files.size()), "files");
#pragma omp parallel for schedule(dynamic, 16)
  for (long i = 0; i < static_cast<long>(files.size()); ++i) {
    try {
      headers[i] = read_dicom_metadata(files[i], limits);
    } catch (const std::exception& error) {
      errors[i] = as_file_error(files[i].string(), error);
    }
    progress.add(1);
  }
  progress.finish();
  return headers;
}

// Every readable file's place in its series (data/series.h), and each file's neighbours at the
// requested offsets along it (none beyond the series' ends: the slice itself stands in).
struct SeriesPlan {
  std::vector<std::optional<SlicePlace>> places;  // by file; nullopt: header unreadable
  std::vector<std::map<int, std::filesystem::path>> neighbours;  // by file
  SeriesReport report;
};

SeriesPlan plan_series(const std::vector<std::filesystem::path>& files,
                       const std::vector<DicomMetadata>& headers,
                       const std::vector<std::optional<Error>>& header_errors,
                       const std::set<int>& offsets) {
  std::vector<SliceLocation> locations;
  std::vector<size_t> file_of_location;
  for (size_t i = 0; i < files.size(); ++i) {
    if (header_errors[i]) continue;
    locations.push_back(slice_location(headers[i], files[i].filename().string()));
    file_of_location.push_back(i);
  }
  const SeriesIndex index = order_series(locations);
  SeriesPlan plan;
  plan.places.resize(files.size());
  plan.neighbours.resize(files.size());
  plan.report = index.report;
  for (size_t k = 0; k < locations.size(); ++k) {
    const SlicePlace& place = index.places[k];
    const size_t file = file_of_location[k];
    plan.places[file] = place;
    const std::vector<size_t>& ordered = index.series[place.series].slices;
    for (int offset : offsets) {
      const long other = static_cast<long>(place.slice_index) + offset;
      if (other >= 0 && other < static_cast<long>(ordered.size()))
        plan.neighbours[file][offset] = files[file_of_location[ordered[other]]];
    }
  }
  return plan;
}

void add_skip(PreparationReport& report, std::ostream& log, const Error& error) {
  ++report.skipped_by_kind[error.kind()];
  write_whole_line(log, std::string("skipped ") + error.what());
}

}  // namespace

size_t PreparationReport::skipped() const {
  size_t total = 0;
  for (const auto& [kind, count] : skipped_by_kind) total += count;
  return total;
}

PreparationReport prepare_rsna_cache(const std::filesystem::path& rsna_root,
                                     const std::filesystem::path& cache_dir,
                                     const PreparationOptions& options, std::ostream& log) {
  const WorkShare& share = options.share;
  const auto image_dir = rsna_root / "stage_2_train";
  const auto csv_path = rsna_root / "stage_2_train.csv";
  if (!std::filesystem::is_directory(image_dir))
    throw Error(ErrorKind::unreadable, image_dir.string(), "no stage_2_train folder");
  PreparationReport report;
  const RsnaLabelTable table = read_rsna_labels(csv_path);
  report.csv_duplicate_rows = table.duplicate_rows;
  report.csv_conflicting_rows = table.conflicting_rows;
  report.csv_malformed_rows = table.malformed_rows;
  report.csv_bad_label_rows = table.bad_label_rows;
  report.csv_excluded_images = table.excluded_images;
  for (const std::string& problem : table.first_problems) log << "labels: " << problem << '\n';

  // 1. Join files with labels.
  const auto files = list_dicom_files(image_dir);
  report.dicom_files = files.size();
  std::vector<PlannedImage> labelled;
  std::set<std::string> file_ids;
  for (size_t i = 0; i < files.size(); ++i) {
    const std::string id = files[i].stem().string();
    file_ids.insert(id);
    const auto found = table.by_image.find(id);
    if (found == table.by_image.end()) {
      ++report.unlabelled;
      continue;
    }
    PlannedImage image;
    image.id = id;
    image.path = files[i];
    image.file = i;
    image.labels = found->second;
    labelled.push_back(std::move(image));
  }
  report.labelled = labelled.size();
  for (const auto& [id, labels] : table.by_image) report.labels_without_file += !file_ids.count(id);

  // 2. Balance, shuffle, limit.
  std::vector<bool> is_positive(labelled.size());
  for (size_t i = 0; i < labelled.size(); ++i)
    is_positive[i] = labelled[i].labels[any_label_index] > 0;
  std::vector<size_t> chosen;
  if (options.balance) {
    chosen = balance_by_undersampling(is_positive, options.seed);
  } else {
    chosen.resize(labelled.size());
    for (size_t i = 0; i < chosen.size(); ++i) chosen[i] = i;
    deterministic_shuffle(chosen, options.seed);
  }
  if (options.limit) chosen = limit_balanced(chosen, is_positive, options.limit);

  // 3. Headers of every file (the series order needs all of a series' slices, chosen or not);
  // bad chosen files leave the plan here.
  std::vector<std::optional<Error>> header_errors;
  const auto headers = read_headers(files, options.dicom_limits, header_errors, options.progress);
  std::set<int> offsets;
  for (const ChannelSpec& channel : options.channels)
    if (channel.slice_offset != 0) offsets.insert(channel.slice_offset);
  const SeriesPlan series = plan_series(files, headers, header_errors, offsets);
  report.series = series.report;
  std::vector<PlannedImage> plan;
  for (size_t k : chosen) {
    const size_t file = labelled[k].file;
    if (header_errors[file]) {
      // Every rank's plan leaves it out; rank 0 reports it.
      if (share.is_first()) add_skip(report, log, *header_errors[file]);
      continue;
    }
    PlannedImage image = labelled[k];
    image.header = headers[file];
    image.place = *series.places[file];
    image.neighbours = series.neighbours[file];
    plan.push_back(std::move(image));
  }
  report.selected = chosen.size();

  // 4. Splits, drawn over every labelled image with a header, so that any selection of this
  // folder (balanced or not, limited or not) puts each patient in the same split: the sequence
  // stage embeds every slice of a series while the slice stage trained on a balanced subset.
  std::vector<std::string> groups;
  std::vector<size_t> labelled_with_header;
  for (size_t i = 0; i < labelled.size(); ++i) {
    const size_t file = labelled[i].file;
    if (header_errors[file]) continue;
    labelled_with_header.push_back(i);
    groups.push_back(options.split_by_patient ? headers[file].patient_id : labelled[i].id);
  }
  const auto splits = split_by_group(groups, options.fractions, options.seed + 2);
  std::map<std::string, Split> split_of_image;
  for (size_t k = 0; k < labelled_with_header.size(); ++k)
    split_of_image[labelled[labelled_with_header[k]].id] = splits[k];
  for (PlannedImage& image : plan) image.split = split_of_image.at(image.id);

  // 5. Cache geometry and fingerprint; refuse to mix with a cache built differently. Rank 0
  // writes them before any rank writes a shard, so that no shard is ever left without them.
  const size_t records_per_shard = std::max<size_t>(1, options.records_per_shard);
  std::ostringstream fingerprint_text;
  fingerprint_text << describe_channels(options.channels) << '|' << options.image_size << '|'
                   << records_per_shard;
  for (const auto& image : plan)
    fingerprint_text << '|' << image.id << ':' << to_string(image.split);
  CacheGeometry geometry;
  geometry.height = geometry.width = options.image_size;
  geometry.channels = static_cast<int>(options.channels.size());
  geometry.records_per_shard = records_per_shard;
  geometry.channel_description = describe_channels(options.channels);
  geometry.fingerprint = std::to_string(fnv1a(fingerprint_text.str()));
  const CacheGeometry existing = read_cache_geometry(cache_dir);
  if (existing.height != 0 && existing.fingerprint != geometry.fingerprint)
    throw Error(
        ErrorKind::bad_cache, cache_dir.string(),
        "holds a cache built from other inputs or options; remove it or choose another folder");
  if (options.image_size == 0 && !plan.empty()) {
    geometry.height = plan[0].header.rows;
    geometry.width = plan[0].header.columns;
  }
  if (share.is_first()) {
    std::error_code error;
    std::filesystem::create_directories(cache_dir, error);
    if (error) throw Error(ErrorKind::io, cache_dir.string(), "cannot create cache folder");
    write_cache_geometry(cache_dir, geometry);
  }
  share.barrier();

  // 6. Shards: decode + window + resize in parallel, write atomically, skip finished ones. Each
  // rank writes its share of the shards (data/work_share.h) and counts what they hold.
  const size_t record_bytes =
      static_cast<size_t>(geometry.height) * geometry.width * geometry.channels;
  report.shards_total = (plan.size() + records_per_shard - 1) / records_per_shard;
  const auto shard_is_written = [&](size_t shard) {
    return std::filesystem::exists(shard_records_path(cache_dir, shard)) &&
           std::filesystem::exists(shard_pixels_path(cache_dir, shard));
  };
  const auto slices_in = [&](size_t shard) {
    return static_cast<std::int64_t>(std::min(plan.size(), (shard + 1) * records_per_shard) -
                                     shard * records_per_shard);
  };
  const std::vector<size_t> my_shards = share.owned(report.shards_total);
  std::int64_t my_slices = 0;
  std::int64_t slices_written_before = 0;  // by an earlier run, in the shards it finished
  for (size_t shard : my_shards) {
    my_slices += slices_in(shard);
    if (shard_is_written(shard)) slices_written_before += slices_in(shard);
  }
  Progress progress(options.progress,
                    "writing " + std::to_string(my_shards.size()) +
                        (my_shards.size() == 1 ? " shard" : " shards"),
                    my_slices, "slices", slices_written_before);
  const auto count_written = [&](const std::vector<CacheRecord>& records) {
    for (const CacheRecord& record : records) {
      ++report.written;
      report.positives_written += record.labels[any_label_index] > 0;
      ++report.written_per_split[static_cast<int>(record.split)];
    }
  };
  for (size_t shard : my_shards) {
    const auto records_path = shard_records_path(cache_dir, shard);
    if (shard_is_written(shard)) {
      ++report.shards_reused;
      count_written(read_cache_records(records_path));
      continue;
    }
    const size_t begin = shard * records_per_shard;
    const size_t end = std::min(plan.size(), begin + records_per_shard);
    std::vector<std::vector<std::uint8_t>> pixels(end - begin);
    std::vector<std::optional<Error>> failures(end - begin);
#pragma omp parallel for schedule(dynamic, 1)
    for (long n = static_cast<long>(begin); n < static_cast<long>(end); ++n) {
      const PlannedImage& image = plan[n];
      try {
        const HuImage current = read_dicom_hu(image.path, options.dicom_limits);
        std::map<int, HuImage> others;
        for (const auto& [offset, path] : image.neighbours) {
          try {
            others.emplace(offset, read_dicom_hu(path, options.dicom_limits));
          } catch (const std::exception&) {
            // An unreadable neighbour is replaced by the slice itself.
          }
        }
        std::vector<const HuImage*> slices;
        for (const ChannelSpec& channel : options.channels) {
          const auto found = others.find(channel.slice_offset);
          slices.push_back(found == others.end() ? &current : &found->second);
        }
        PreparedImage prepared = prepare_image(slices, options.channels, options.image_size);
        if (prepared.pixels.size() != record_bytes)
          throw Error(ErrorKind::unsupported_pixel_format, image.path.string(),
                      "size " + std::to_string(prepared.width) + "x" +
                          std::to_string(prepared.height) +
                          " differs from the cache's (use --size > 0)");
        pixels[n - begin] = std::move(prepared.pixels);
      } catch (const Error& failure) {
        failures[n - begin] = failure;
      } catch (const std::exception& failure) {
        failures[n - begin] = Error(ErrorKind::unreadable, image.path.string(), failure.what());
      }
      progress.add(1);
    }
    std::vector<unsigned char> shard_bytes;
    std::ostringstream shard_lines;
    shard_lines << cache_record_header() << '\n';
    std::vector<CacheRecord> shard_records;
    if (std::any_of(failures.begin(), failures.end(), [](const auto& f) { return f.has_value(); }))
      progress.erase();  // the skipped files' lines take the terminal's line
    for (size_t n = begin; n < end; ++n) {
      if (failures[n - begin]) {
        add_skip(report, log, *failures[n - begin]);
        continue;
      }
      const PlannedImage& image = plan[n];
      CacheRecord record{image.id,
                         shard,
                         shard_records.size(),
                         image.split,
                         image.header.patient_id,
                         image.header.study_instance_uid,
                         image.header.series_instance_uid,
                         image.place.position_mm,
                         image.place.slice_index,
                         image.labels};
      shard_bytes.insert(shard_bytes.end(), pixels[n - begin].begin(), pixels[n - begin].end());
      shard_lines << format_cache_record(record) << '\n';
      shard_records.push_back(std::move(record));
    }
    write_file_atomically(shard_pixels_path(cache_dir, shard), shard_bytes);
    write_file_atomically(records_path, shard_lines.str());
    count_written(shard_records);
  }
  progress.finish();
  share.sum({&report.written, &report.positives_written, &report.written_per_split[0],
             &report.written_per_split[1], &report.written_per_split[2], &report.shards_reused});
  share.sum(report.skipped_by_kind);

  // 7. The manifest, every shard's records in shard order, once every shard is written: rank 0
  // writes it while the others wait, so that all of them return with the cache finished.
  share.barrier();
  if (share.is_first()) {
    std::ostringstream manifest_text;
    manifest_text << cache_record_header() << '\n';
    for (size_t shard = 0; shard < report.shards_total; ++shard) {
      for (const CacheRecord& record : read_cache_records(shard_records_path(cache_dir, shard)))
        manifest_text << format_cache_record(record) << '\n';
    }
    write_file_atomically(cache_dir / "manifest.tsv", manifest_text.str());
  }
  share.barrier();
  return report;
}

void print_preparation_report(const PreparationReport& r, std::ostream& out) {
  // Each line at most 79 characters with RSNA's counts, for an 80-column terminal.
  out << "summary: " << r.dicom_files << " DICOM files: " << r.labelled << " labelled, "
      << r.unlabelled << " unlabelled\n"
      << "  labelled images without a file: " << r.labels_without_file << "\n"
      << "  CSV rows: " << r.csv_duplicate_rows << " duplicate, " << r.csv_conflicting_rows
      << " conflicting, " << r.csv_malformed_rows << " malformed,\n"
      << "    " << r.csv_bad_label_rows << " with a label other than 0 or 1 ("
      << r.csv_excluded_images << " images left out)\n"
      << "  selected " << r.selected << ", written " << r.written << " (" << r.positives_written
      << " with hemorrhage)\n"
      << "    train " << r.written_per_split[0] << ", validation " << r.written_per_split[1]
      << ", test " << r.written_per_split[2] << "\n"
      << "  series " << r.series.series << ", ordered by slice normal "
      << r.series.series_ordered_by[0] << ", by z " << r.series.series_ordered_by[1] << ",\n"
      << "    by InstanceNumber " << r.series.series_ordered_by[2] << ", by file name "
      << r.series.series_ordered_by[3] << "\n"
      << "  duplicate slices: " << r.series.duplicate_sop_instance << " by SOPInstanceUID, "
      << r.series.duplicate_position << " by position; gaps " << r.series.gaps << "\n"
      << "  shards " << r.shards_total << " (" << r.shards_reused
      << " reused from an earlier run)\n"
      << "  skipped " << r.skipped();
  for (const auto& [kind, count] : r.skipped_by_kind)
    out << ", " << to_string(kind) << " " << count;
  out << '\n';
}

}  // namespace ihd::data
