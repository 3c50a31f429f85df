// From an RSNA-layout folder (stage_2_train/ID_<image>.dcm + stage_2_train.csv) to a prepared
// cache: join files with labels, balance by undersampling (or keep all), apply --limit, read the
// headers of every file in the folder and order each series along its slice normal (data/series.h:
// the records' position_mm and slice_index, and the slices that adjacent-slice channels read),
// split by patient (or at random; drawn over every labelled image, so that every selection of one
// folder with one seed puts a patient in the same split), then decode, window, stack and resize
// every selected slice in parallel (OpenMP) into shards. Bad files are reported one line each
// ("<file>: <reason>"), counted by kind and skipped; the run never stops for them. The two long
// passes, the headers of every file and the slices of the shards still to write, each show their
// progress (common/progress.h) where options.progress says.
//
// Several processes (the ranks of ihd_prepare under mpirun) can build one cache together
// (options.share, data/work_share.h): every rank makes the same plan from the same folder (the
// headers of every file included), rank 0 writes cache_info.txt, each rank decodes and writes its
// share of the shards (shard s is rank s mod N's), and rank 0 writes manifest.tsv once they all
// have. The cache is byte for byte the one a process alone writes; a cache that a job of any
// number of ranks left unfinished is resumed by one of any other.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <map>
#include <ostream>
#include <vector>

#include "common/error.h"
#include "common/progress.h"
#include "data/dataset_selection.h"
#include "data/dicom_reader.h"
#include "data/series.h"
#include "data/slice_preparation.h"
#include "data/work_share.h"

namespace ihd::data {

struct PreparationOptions {
  int image_size = 180;  // 0 keeps the native size (then every slice must share it)
  std::vector<ChannelSpec> channels = window_channels(default_windows());
  bool balance = true;  // all positives ("any") plus as many random negatives
  size_t limit = 0;     // 0: no limit; otherwise at most this many images, half positive
  SplitFractions fractions;
  bool split_by_patient = true;  // false: the seed's random split by image
  std::uint64_t seed = 1;
  size_t records_per_shard = 1024;
  DicomLimits dicom_limits;  // for every header and pixel read
  ProgressOutput progress;   // where the progress of headers and slices goes (default: nowhere)
  WorkShare share;           // this process's share of the shards (default: all of them)
};

struct PreparationReport {
  size_t dicom_files = 0;          // *.dcm files found
  size_t labelled = 0;             // files with labels in the CSV
  size_t unlabelled = 0;           // files without labels (not used)
  size_t labels_without_file = 0;  // CSV images with no file
  size_t csv_duplicate_rows = 0;
  size_t csv_conflicting_rows = 0;
  size_t csv_malformed_rows = 0;
  size_t csv_bad_label_rows = 0;   // labels other than 0 or 1
  size_t csv_excluded_images = 0;  // images left out for a bad label row or no `any` row
  size_t selected = 0;             // after balancing and limit
  size_t written = 0;              // records in the cache
  size_t positives_written = 0;
  size_t shards_total = 0;
  size_t shards_reused = 0;  // finished by an earlier run
  std::array<size_t, 3> written_per_split{};
  SeriesReport series;  // every readable file of the folder, chosen or not
  std::map<ErrorKind, size_t> skipped_by_kind;
  size_t skipped() const;
};

// Builds the cache in cache_dir, or finishes one an interrupted run left there. Throws Error
// only for fatal problems: no stage_2_train folder or CSV, unwritable cache folder, or a cache
// built with different options. Shared by ranks, each returns the report of the whole job and
// logs the files its own shards skip (rank 0 also those the plan leaves out).
PreparationReport prepare_rsna_cache(const std::filesystem::path& rsna_root,
                                     const std::filesystem::path& cache_dir,
                                     const PreparationOptions& options, std::ostream& log);

// The summary lines printed at the end of a run.
void print_preparation_report(const PreparationReport& report, std::ostream& out);

}  // namespace ihd::data
