// The prepared cache and the batch loader on a small synthetic RSNA folder: cache contents equal
// direct preparation, records carry their study, series and place along the series, adjacent-slice
// channels follow the slice normal of a tilted series, an older cache format is refused, resuming
// reuses finished shards, bad files are skipped and counted, PNG export/reading round-trips, and
// the loader is deterministic across thread counts and resumes mid-epoch via start_batch.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <numbers>
#include <set>
#include <sstream>

#include "common/atomic_file.h"
#include "common/error.h"
#include "data/batch_loader.h"
#include "data/dataset_sources.h"
#include "data/dicom_reader.h"
#include "data/dicom_writer.h"
#include "data/phantom.h"
#include "data/png_export.h"
#include "data/png_folder_dataset.h"
#include "data/png_io.h"
#include "data/prepared_cache.h"
#include "data/rsna_preparation.h"
#include "data/synthetic_dataset.h"
#include "data/test_paths.h"

namespace ihd::data {
namespace {

// A synthetic RSNA folder shared by the tests here (built once per test binary run).
const std::filesystem::path& synthetic_rsna_folder() {
  static const std::filesystem::path folder = [] {
    const auto dir = scratch_dir("cache_source");
    SyntheticDatasetOptions options;
    options.output_dir = dir;
    options.patients = 10;
    options.slices_per_patient = 4;
    options.image_size = 64;
    options.seed = 4;
    write_synthetic_dataset(options);
    return dir;
  }();
  return folder;
}

PreparationOptions small_preparation() {
  PreparationOptions options;
  options.image_size = 32;
  options.balance = false;
  options.records_per_shard = 7;
  options.seed = 9;
  return options;
}

std::vector<Batch> whole_epoch(BatchLoader& loader, int epoch, size_t start_batch = 0) {
  std::vector<Batch> batches;
  loader.begin_epoch(epoch, start_batch);
  Batch batch;
  while (loader.next(batch)) batches.push_back(batch);
  return batches;
}

}  // namespace

TEST_CASE("data: manifest records keep header strings with TABs, newlines and backslashes intact") {
  const auto dir = scratch_dir("manifest_strings");
  // A PatientID that tries to end its record and inject another one, all labels 1.
  const std::string injected = "P1\nID_evil\t0\t0\ttrain\tP\tS\tS\t0\t0\t1\t1\t1\t1\t1\t1";
  CacheRecord record{"ID_a",
                     0,
                     3,
                     Split::validation,
                     injected,
                     "study\twith\ttabs",
                     "series\\with\\backslashes",
                     -12.5,
                     17,
                     RsnaLabels{0, 0, 0, 0, 1, 1}};
  std::ofstream(dir / "manifest.tsv") << cache_record_header() << '\n'
                                      << format_cache_record(record) << '\n';
  const auto records = read_cache_records(dir / "manifest.tsv");
  REQUIRE(records.size() == 1);
  CHECK(records[0].id == "ID_a");
  CHECK(records[0].slot == 3);
  CHECK(records[0].split == Split::validation);
  CHECK(records[0].patient_id == injected);
  CHECK(records[0].study_id == record.study_id);
  CHECK(records[0].series_id == record.series_id);
  CHECK(records[0].position_mm == -12.5);
  CHECK(records[0].slice_index == 17);
  CHECK(records[0].labels == record.labels);
}

TEST_CASE("data: a damaged manifest line is a bad_cache error naming the file and line") {
  const auto dir = scratch_dir("manifest_damaged");
  CacheRecord record{"ID_a", 0, 0, Split::train, "P", "S", "S", 0, 0, RsnaLabels{}};
  const std::string good = format_cache_record(record);
  for (const std::string& line : {good + "\textra",
                                  std::string("ID_a\tx\t0\ttrain\tP\tS\tS\t0\t0"
                                              "\t0\t0\t0\t0\t0\t0"),
                                  std::string("ID_a\t0\t0\ttrain\tP\tS\tS\t0\t-1"
                                              "\t0\t0\t0\t0\t0\t0"),
                                  good.substr(0, good.size() - 1) + "0.5"}) {
    CAPTURE(line);
    std::ofstream(dir / "manifest.tsv") << cache_record_header() << '\n' << line << '\n';
    try {
      read_cache_records(dir / "manifest.tsv");
      FAIL("accepted");
    } catch (const Error& error) {
      CHECK(error.kind() == ErrorKind::bad_cache);
      CHECK(std::string(error.what()).find("manifest.tsv: line 2") != std::string::npos);
    }
  }
}

TEST_CASE("data: cache pixels equal direct preparation of the same DICOM files") {
  const auto cache_dir = scratch_dir("cache_direct");
  std::ostringstream log;
  const auto report =
      prepare_rsna_cache(synthetic_rsna_folder(), cache_dir, small_preparation(), log);
  CHECK(report.written == 40);
  CHECK(report.shards_total == 6);
  CHECK(report.skipped() == 0);
  const auto cache = open_prepared_cache(cache_dir);
  REQUIRE(cache->records().size() == 40);
  CHECK(cache->height() == 32);
  CHECK(cache->channels() == 3);
  const auto channels = window_channels(default_windows());
  std::vector<std::uint8_t> pixels(32 * 32 * 3);
  for (size_t i = 0; i < cache->records().size(); i += 5) {
    const auto& record = cache->records()[i];
    CAPTURE(record.id);
    const HuImage slice =
        read_dicom_hu(synthetic_rsna_folder() / "stage_2_train" / (record.id + ".dcm"));
    const HuImage* slices[] = {&slice, &slice, &slice};
    const PreparedImage direct = prepare_image(slices, channels, 32);
    cache->read_pixels(i, pixels.data());
    CHECK(pixels == direct.pixels);
    CHECK(record.labels.size() == 6);
  }
}

TEST_CASE("data: cache records carry study, series, position along the normal and slice index") {
  const auto cache_dir = scratch_dir("cache_series");
  std::ostringstream log;
  const auto report =
      prepare_rsna_cache(synthetic_rsna_folder(), cache_dir, small_preparation(), log);
  CHECK(report.series.series == 10);
  CHECK(report.series.series_ordered_by[static_cast<int>(SeriesOrderKey::slice_normal)] == 10);
  CHECK(report.series.gaps == 0);
  const auto cache = open_prepared_cache(cache_dir);
  REQUIRE(cache->records().size() == 40);
  for (const ImageRecord& record : cache->records()) {
    CAPTURE(record.id);
    const DicomMetadata header =
        read_dicom_metadata(synthetic_rsna_folder() / "stage_2_train" / (record.id + ".dcm"));
    CHECK(record.study_id == header.study_instance_uid);
    CHECK(record.series_id == header.series_instance_uid);
    CHECK(record.position_mm == header.image_position_patient_mm[2]);  // axial: the normal is z
    CHECK(record.slice_index == static_cast<size_t>(header.instance_number - 1));
  }
}

TEST_CASE("data: adjacent-slice channels read the neighbours along a tilted series' normal") {
  // Five slices of a gantry tilted by 20 degrees, 4 mm apart, whose first pixel moves 25 mm up and
  // down the column direction from slice to slice: sorted by z they would interleave.
  const auto dir = scratch_dir("rsna_tilted");
  std::filesystem::create_directories(dir / "stage_2_train");
  const PhantomPatient patient = make_phantom_patient(6, 0, 5, 0.0);
  const double tilt = 20 * std::numbers::pi / 180;
  const std::array<double, 3> column{0, std::cos(tilt), std::sin(tilt)};
  const std::array<double, 3> normal{0, -std::sin(tilt), std::cos(tilt)};
  std::vector<std::pair<std::string, RsnaLabels>> rows;
  std::map<std::string, int> slice_of_id;
  std::vector<double> z;
  for (int k = 0; k < 5; ++k) {
    PhantomSlice slice = render_phantom_slice(patient, k, 32);
    DicomMetadata& meta = slice.image.metadata;
    const double shift = k % 2 ? 25.0 : -25.0;
    for (int i = 0; i < 3; ++i)
      meta.image_position_patient_mm[i] = 4.0 * k * normal[i] + shift * column[i];
    meta.image_orientation_patient = {1, 0, 0, column[0], column[1], column[2]};
    meta.has_instance_number = false;
    z.push_back(meta.image_position_patient_mm[2]);
    write_ct_dicom(dir / "stage_2_train" / (slice.image_id + ".dcm"), slice.image,
                   patient.encoding);
    rows.push_back({slice.image_id, slice.labels});
    slice_of_id[slice.image_id] = k;
  }
  REQUIRE_FALSE(std::is_sorted(z.begin(), z.end()));
  write_rsna_labels(dir / "stage_2_train.csv", rows);

  PreparationOptions options = small_preparation();
  options.channels = adjacent_slice_channels(brain_window);
  std::ostringstream log;
  prepare_rsna_cache(dir, dir / "cache", options, log);
  const auto cache = open_prepared_cache(dir / "cache");
  REQUIRE(cache->records().size() == 5);
  std::map<size_t, std::vector<std::uint8_t>> pixels_at;  // slice index -> HWC pixels
  for (size_t i = 0; i < 5; ++i) {
    const ImageRecord& record = cache->records()[i];
    CHECK(record.slice_index == static_cast<size_t>(slice_of_id.at(record.id)));
    CHECK(record.position_mm == doctest::Approx(4.0 * record.slice_index));
    std::vector<std::uint8_t> pixels(32 * 32 * 3);
    cache->read_pixels(i, pixels.data());
    pixels_at[record.slice_index] = pixels;
  }
  // Channel 0 is the previous slice, 1 the slice, 2 the next, all through one window: the
  // previous channel of slice k is the middle channel of slice k - 1 (at the ends, the slice).
  const auto channel = [&](size_t k, int c) {
    std::vector<std::uint8_t> plane;
    for (size_t p = 0; p < 32 * 32; ++p) plane.push_back(pixels_at.at(k)[p * 3 + c]);
    return plane;
  };
  for (size_t k = 0; k < 5; ++k) {
    CAPTURE(k);
    CHECK(channel(k, 0) == channel(k == 0 ? 0 : k - 1, 1));
    CHECK(channel(k, 2) == channel(k == 4 ? 4 : k + 1, 1));
  }
}

TEST_CASE("data: a cache of an older format is refused with a message to prepare it again") {
  const auto cache_dir = scratch_dir("cache_old_format");
  std::ostringstream log;
  prepare_rsna_cache(synthetic_rsna_folder(), cache_dir, small_preparation(), log);
  std::ifstream in(cache_dir / "cache_info.txt");
  std::string info((std::istreambuf_iterator<char>(in)), {});
  info.replace(info.find(cache_format_version), std::string(cache_format_version).size(),
               "ihd-cache-2");
  write_file_atomically(cache_dir / "cache_info.txt", info);
  try {
    open_prepared_cache(cache_dir);
    FAIL("accepted");
  } catch (const Error& error) {
    CHECK(error.kind() == ErrorKind::bad_cache);
    CHECK(error.reason().find("'ihd-cache-2'") != std::string::npos);
    CHECK(error.reason().find("prepare it again") != std::string::npos);
  }
  CHECK_THROWS_AS(prepare_rsna_cache(synthetic_rsna_folder(), cache_dir, small_preparation(), log),
                  Error);
}

TEST_CASE(
    "data: a rerun reuses finished shards, an interrupted build resumes, other options refuse") {
  const auto cache_dir = scratch_dir("cache_resume");
  std::ostringstream log;
  const auto first =
      prepare_rsna_cache(synthetic_rsna_folder(), cache_dir, small_preparation(), log);
  std::ifstream before(cache_dir / "manifest.tsv");
  const std::string manifest((std::istreambuf_iterator<char>(before)), {});
  // Simulate an interruption: two shards and the manifest never got written.
  std::filesystem::remove(shard_records_path(cache_dir, 1));
  std::filesystem::remove(shard_records_path(cache_dir, 4));
  std::filesystem::remove(cache_dir / "manifest.tsv");
  const auto resumed =
      prepare_rsna_cache(synthetic_rsna_folder(), cache_dir, small_preparation(), log);
  CHECK(resumed.shards_reused == first.shards_total - 2);
  CHECK(resumed.written == first.written);
  std::ifstream after(cache_dir / "manifest.tsv");
  CHECK(std::string((std::istreambuf_iterator<char>(after)), {}) == manifest);

  PreparationOptions other = small_preparation();
  other.image_size = 48;
  CHECK_THROWS_AS(prepare_rsna_cache(synthetic_rsna_folder(), cache_dir, other, log), Error);
  for (const auto& entry : std::filesystem::directory_iterator(cache_dir))
    CHECK_FALSE(is_ihd_temporary_name(entry.path().filename().string(), nullptr));
}

TEST_CASE("data: balanced patient-split cache: all positives, equal negatives, no shared patient") {
  const auto cache_dir = scratch_dir("cache_balanced");
  PreparationOptions options = small_preparation();
  options.balance = true;
  options.fractions = {0.3, 0.2};
  std::ostringstream log;
  const auto report = prepare_rsna_cache(synthetic_rsna_folder(), cache_dir, options, log);
  const auto labels = read_rsna_labels(synthetic_rsna_folder() / "stage_2_train.csv");
  size_t positives = 0;
  for (const auto& [id, l] : labels.by_image) positives += l[any_label_index] > 0;
  CHECK(report.positives_written == positives);
  CHECK(report.written == 2 * positives);
  std::map<std::string, std::set<Split>> splits_of_patient;
  for (const CacheRecord& record : read_cache_records(cache_dir / "manifest.tsv"))
    splits_of_patient[record.patient_id].insert(record.split);
  for (const auto& [patient, splits] : splits_of_patient) CHECK(splits.size() == 1);
  CHECK(report.written_per_split[1] > 0);
  CHECK(report.written_per_split[2] > 0);
}

TEST_CASE("data: bad files in an RSNA folder are skipped with one line each and counted by kind") {
  const auto dir = scratch_dir("rsna_bad_files");
  std::filesystem::copy(synthetic_rsna_folder(), dir, std::filesystem::copy_options::recursive);
  const auto images = dir / "stage_2_train";
  std::ofstream(images / "ID_empty.dcm").close();
  std::ofstream(images / "ID_text.dcm") << "not dicom at all";
  write_undecodable_syntax_file(images / "ID_j2k.dcm");
  std::filesystem::copy(pydicom_test_file("rtplan.dcm"), images / "ID_nopixels.dcm");
  std::filesystem::copy(pydicom_test_file("MR_truncated.dcm"), images / "ID_truncated.dcm");
  std::ofstream(images / "ID_unlabelled.dcm") << "x";
  {
    std::ofstream csv(dir / "stage_2_train.csv", std::ios::app);
    for (const char* id :
         {"ID_empty", "ID_text", "ID_j2k", "ID_nopixels", "ID_truncated", "ID_nofile"})
      csv << id << "_any,1\n";
  }
  std::ostringstream log;
  auto report = prepare_rsna_cache(dir, dir / "cache", small_preparation(), log);
  CHECK(report.unlabelled == 1);
  CHECK(report.labels_without_file == 1);
  CHECK(report.written == 40);
  CHECK(report.skipped() == 5);
  CHECK(report.skipped_by_kind[ErrorKind::empty_file] == 1);
  CHECK(report.skipped_by_kind[ErrorKind::not_dicom] == 1);
  CHECK(report.skipped_by_kind[ErrorKind::unsupported_transfer_syntax] == 1);
  CHECK(report.skipped_by_kind[ErrorKind::no_pixel_data] == 1);
  CHECK(report.skipped_by_kind[ErrorKind::truncated] == 1);
  std::istringstream lines(log.str());
  std::string line;
  size_t line_count = 0;
  while (std::getline(lines, line)) {
    ++line_count;
    CHECK(line.find(images.string()) != std::string::npos);
  }
  CHECK(line_count == 5);
}

TEST_CASE("data: PNG export in the Keras layout reads back through PNG class folders") {
  const auto cache_dir = scratch_dir("cache_png");
  std::ostringstream log;
  prepare_rsna_cache(synthetic_rsna_folder(), cache_dir, small_preparation(), log);
  const auto cache = open_prepared_cache(cache_dir);
  const auto png_dir = scratch_dir("png_tree");
  std::ostringstream export_log;
  CHECK(export_png_tree(*cache, png_dir, any_label_index, export_log).written == 40);
  CHECK(export_log.str().empty());
  std::ostringstream open_log;
  const auto pngs = open_png_folders(png_dir, {}, open_log);
  CHECK(open_log.str() ==
        "PNG class folders: 'positive' is positive (label 1), the others 'negative' negative "
        "(label 0)\n");
  REQUIRE(pngs->records().size() == 40);
  CHECK(pngs->label_names() == std::vector<std::string>{positive_class_name});
  std::map<std::string, size_t> cache_index;
  for (size_t i = 0; i < cache->records().size(); ++i) cache_index[cache->records()[i].id] = i;
  std::vector<std::uint8_t> from_png(32 * 32 * 3), from_cache(32 * 32 * 3);
  for (size_t i = 0; i < pngs->records().size(); ++i) {
    const auto& record = pngs->records()[i];
    const size_t c = cache_index.at(record.id);
    CHECK(record.split == cache->records()[c].split);
    CHECK(record.labels[0] == cache->records()[c].labels[any_label_index]);
    pngs->read_pixels(i, from_png.data());
    cache->read_pixels(c, from_cache.data());
    CHECK(from_png == from_cache);
  }
}

TEST_CASE("data: plain DICOM -> PNG conversion writes decodable files and names skipped ones") {
  const auto out = scratch_dir("plain_png");
  const auto inputs = scratch_dir("plain_png_inputs");
  write_undecodable_syntax_file(inputs / "j2k_part2.dcm");
  std::ostringstream log;
  const auto report = convert_dicom_to_png(
      {pydicom_test_file("CT_small.dcm"), inputs / "j2k_part2.dcm", fixture_path("dicom")}, out,
      {brain_window}, 0, log);
  CHECK(report.inputs == 7);
  CHECK(report.written == 6);
  CHECK(log.str().find("j2k_part2.dcm") != std::string::npos);
  CHECK(std::filesystem::exists(out / "CT_small.png"));
  CHECK(std::filesystem::exists(out / "rsna_like_padded.png"));
}

TEST_CASE("data: open_dataset prepares an RSNA folder on the fly and reopens the cache") {
  const auto cache_dir = scratch_dir("open_dataset_cache");
  DatasetSourceOptions options;
  options.cache_dir = cache_dir;
  options.preparation = small_preparation();
  std::ostringstream log;
  const auto prepared = open_dataset(synthetic_rsna_folder(), options, log);
  CHECK(prepared->records().size() == 40);
  const auto reopened = open_dataset(cache_dir, {}, log);
  CHECK(reopened->records().size() == 40);
  CHECK(reopened->label_count() == 6);
}

TEST_CASE("data: batch loader: NHWC floats = pixel/255, labels and ids in order without shuffle") {
  const auto cache_dir = scratch_dir("loader_plain");
  std::ostringstream log;
  prepare_rsna_cache(synthetic_rsna_folder(), cache_dir, small_preparation(), log);
  const auto cache = open_prepared_cache(cache_dir);
  std::vector<size_t> indices = {3, 1, 4, 15, 9, 2, 6};
  BatchLoaderOptions options;
  options.batch_size = 3;
  options.shuffle = false;
  BatchLoader loader(*cache, indices, options);
  const auto batches = whole_epoch(loader, 0);
  REQUIRE(batches.size() == 3);
  CHECK(batches[2].n == 1);
  std::vector<std::uint8_t> pixels(32 * 32 * 3);
  for (size_t b = 0; b < batches.size(); ++b)
    for (int k = 0; k < batches[b].n; ++k) {
      const size_t index = indices[b * 3 + k];
      CHECK(batches[b].indices[k] == index);
      CHECK(batches[b].ids[k] == cache->records()[index].id);
      CHECK(batches[b].labels[k * 6 + 5] == cache->records()[index].labels[5]);
      cache->read_pixels(index, pixels.data());
      for (size_t i = 0; i < pixels.size(); i += 97)
        CHECK(batches[b].images[k * pixels.size() + i] == doctest::Approx(pixels[i] / 255.0f));
    }
  CHECK(loader.images_per_epoch() == 7);
  // min_last_batch 2: a last batch of one image is left out, one of two is kept.
  options.min_last_batch = 2;
  BatchLoader dropping(*cache, indices, options);
  CHECK(dropping.batches_per_epoch() == 2);
  CHECK(dropping.images_per_epoch() == 6);
  CHECK(dropping.left_out_per_epoch() == 1);
  CHECK(whole_epoch(dropping, 0).size() == 2);
  indices.push_back(5);
  BatchLoader keeping(*cache, indices, options);
  CHECK(keeping.batches_per_epoch() == 3);
  CHECK(keeping.left_out_per_epoch() == 0);
  CHECK(whole_epoch(keeping, 0).back().n == 2);
}

TEST_CASE(
    "data: batch loader: same batches for 1 and 3 threads, resume via start_batch, epochs differ") {
  const auto cache_dir = scratch_dir("loader_determinism");
  std::ostringstream log;
  prepare_rsna_cache(synthetic_rsna_folder(), cache_dir, small_preparation(), log);
  const auto cache = open_prepared_cache(cache_dir);
  std::vector<size_t> indices(cache->records().size());
  for (size_t i = 0; i < indices.size(); ++i) indices[i] = i;
  BatchLoaderOptions options;
  options.batch_size = 4;
  options.augment = true;
  options.seed = 17;
  options.image_size = 24;
  options.threads = 1;
  BatchLoader single(*cache, indices, options);
  options.threads = 3;
  options.prefetch = 2;
  BatchLoader multi(*cache, indices, options);
  const auto a = whole_epoch(single, 2);
  const auto b = whole_epoch(multi, 2);
  REQUIRE(a.size() == 10);
  REQUIRE(b.size() == 10);
  for (size_t i = 0; i < a.size(); ++i) {
    CHECK(a[i].ids == b[i].ids);
    CHECK(a[i].images == b[i].images);
    CHECK(a[i].labels == b[i].labels);
  }
  const auto resumed = whole_epoch(multi, 2, 6);
  REQUIRE(resumed.size() == 4);
  for (size_t i = 0; i < resumed.size(); ++i) {
    CHECK(resumed[i].batch_index == 6 + i);
    CHECK(resumed[i].images == a[6 + i].images);
  }
  const auto other_epoch = whole_epoch(single, 3);
  CHECK(other_epoch[0].ids != a[0].ids);
  // Augmentation changes pixels but keeps them in [0, 1].
  options.augment = false;
  options.threads = 1;
  BatchLoader plain(*cache, indices, options);
  const auto p = whole_epoch(plain, 2);
  CHECK(p[0].ids == a[0].ids);
  CHECK(p[0].images != a[0].images);
  for (float v : a[0].images) CHECK((v >= 0.0f && v <= 1.0f));
}

TEST_CASE("data: batch loader replicates a grey dataset into 3 channels and rejects other mixes") {
  const auto png_dir = scratch_dir("grey_pngs");
  std::filesystem::create_directories(png_dir / "a");
  std::filesystem::create_directories(png_dir / "b");
  const std::vector<std::uint8_t> grey = {0, 51, 102, 255};
  write_png(png_dir / "a" / "x.png", grey.data(), 2, 2, 1);
  write_png(png_dir / "b" / "y.png", grey.data(), 2, 2, 1);
  PngFolderOptions png_options;
  png_options.positive_class = "b";
  png_options.fractions = {0, 0};
  std::ostringstream log;
  const auto pngs = open_png_folders(png_dir, png_options, log);
  CHECK(pngs->records()[1].labels[0] == 1.0f);
  BatchLoaderOptions options;
  options.channels = 3;
  options.shuffle = false;
  BatchLoader loader(*pngs, {0, 1}, options);
  const auto batches = whole_epoch(loader, 0);
  REQUIRE(batches.size() == 1);
  CHECK(batches[0].channels == 3);
  CHECK(batches[0].images[3 * 1 + 2] == doctest::Approx(0.2f));
  options.channels = 2;
  CHECK_THROWS_AS(BatchLoader(*pngs, {0}, options), std::invalid_argument);
}

TEST_CASE("data: PNG class folders: the positive class is never guessed") {
  const auto root = scratch_dir("png_classes");
  const std::vector<std::uint8_t> grey = {0, 51, 102, 255};
  for (const char* name : {"hem", "normal"}) {
    std::filesystem::create_directories(root / "train" / name);
    std::filesystem::create_directories(root / "validation" / name);
    write_png(root / "train" / name / "x.png", grey.data(), 2, 2, 1);
    write_png(root / "validation" / name / "y.png", grey.data(), 2, 2, 1);
  }
  std::ostringstream log;
  // Alphabetically "normal" would be class 1: without --positive-class the folders are refused.
  try {
    open_png_folders(root, {}, log);
    FAIL("guessed a positive class");
  } catch (const Error& error) {
    CHECK(std::string(error.what()) ==
          root.string() +
              ": class folders 'hem', 'normal': name the one whose images show hemorrhage with "
              "--positive-class (or name the folders 0 and 1)");
  }
  PngFolderOptions options;
  options.positive_class = "hem";
  const auto pngs = open_png_folders(root, options, log);
  CHECK(log.str().find("'hem' is positive (label 1), the others 'normal' negative") !=
        std::string::npos);
  size_t positives = 0;
  for (const auto& record : pngs->records()) positives += record.labels[0] > 0;
  CHECK(positives == 2);  // hem/x.png in train and hem/y.png in validation
  options.positive_class = "blood";
  CHECK_THROWS_WITH_AS(open_png_folders(root, options, log),
                       (root.string() + ": no class folder 'blood' (the class folders are 'hem', "
                                        "'normal')")
                           .c_str(),
                       Error);

  // Folders 0 and 1 say it themselves.
  const auto numbered = scratch_dir("png_classes_numbered");
  for (const char* name : {"0", "1"}) {
    std::filesystem::create_directories(numbered / name);
    write_png(numbered / name / (std::string("img") + name + ".png"), grey.data(), 2, 2, 1);
  }
  PngFolderOptions no_split;
  no_split.fractions = {0, 0};
  const auto by_number = open_png_folders(numbered, no_split, log);
  for (const auto& record : by_number->records())
    CHECK(record.labels[0] == (record.id == "img1" ? 1.0f : 0.0f));
}

TEST_CASE("data: PNG class folders without validation/ hold out --val-fraction of train/") {
  const auto root = scratch_dir("png_holdout");
  const std::vector<std::uint8_t> grey = {0, 51, 102, 255};
  for (const char* name : {"0", "1"}) {
    std::filesystem::create_directories(root / "train" / name);
    for (int i = 0; i < 50; ++i)
      write_png(root / "train" / name / (std::string(name) + "_" + std::to_string(i) + ".png"),
                grey.data(), 2, 2, 1);
  }
  // And a file that is not a PNG: named, counted, left out.
  std::ofstream(root / "train" / "1" / "broken.png") << "not a png";
  std::ostringstream log;
  PngFolderOptions options;
  options.fractions = {0.2, 0.0};
  const auto pngs = open_png_folders(root, options, log);
  CHECK(pngs->records().size() == 100);
  CHECK(pngs->indices_of(Split::validation).size() == 20);
  CHECK(pngs->indices_of(Split::train).size() == 80);
  CHECK(log.str().find("broken.png: not a PNG file") != std::string::npos);
  CHECK(log.str().find("held out 20 validation and 0 test images of 100 at random by image") !=
        std::string::npos);
  // The same seed holds out the same images.
  std::ostringstream again;
  CHECK(open_png_folders(root, options, again)->indices_of(Split::validation) ==
        pngs->indices_of(Split::validation));
}

}  // namespace ihd::data
