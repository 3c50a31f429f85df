// ihd_prepare: the seed's data preparation. Two modes:
//
//   ihd_prepare --png OUT_DIR [--window C,W | --windows A/B/C] [--size 0] INPUT...
//       plain conversion: one 8-bit PNG per decodable DICOM file or folder entry (grey for one
//       window, RGB for three), named after the file's stem; skipped files named with reasons.
//
//   ihd_prepare --rsna RSNA_DIR --cache CACHE_DIR [options]
//       RSNA layout (stage_2_train/*.dcm + stage_2_train.csv) -> balanced, split, preprocessed
//       cache (resumable), optionally exported as Keras-layout PNG folders.
//
// The long passes (headers, shards, PNGs) show a progress line; --quiet leaves only the summary
// and the skipped files' lines. Exit status: 0 on success (bad input files are skipped and
// counted), 1 for fatal problems (no input, unwritable output, a cache built with other options),
// 2 for a bad command line.
//
// Under mpirun every rank runs this program and the ranks share the per-image work
// (data/work_share.h): each rank converts every N-th input (--png), or writes every N-th shard of
// the cache and exports every N-th PNG (--rsna), from a plan each rank makes alike; rank 0 writes
// what is written once (cache_info.txt, manifest.tsv) and prints the summary, whose counts are
// summed over the ranks. A rank's error ends the whole job, naming the rank (docs/DISTRIBUTED.md).
#include <omp.h>

#include <cstdio>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "apps/pipeline/flags.h"       // FlagSet, UsageError, kUsageExitCode
#include "apps/pipeline/rank_share.h"  // silence_all_but_root, rank_threads, rank_work_share
#include "common/console.h"            // line_buffer_stdout
#include "common/error.h"              // Error
#include "common/progress.h"           // console_progress
#include "data/png_export.h"           // convert_dicom_to_png, export_png_tree
#include "data/prepared_cache.h"       // open_prepared_cache
#include "data/rsna_labels.h"          // rsna_subtypes
#include "data/rsna_preparation.h"     // prepare_rsna_cache, PreparationOptions
#include "data/windowing.h"            // parse_window(s)
#include "engine/distributed/process_group.h"  // ProcessGroup (ranks under mpirun)

namespace {

using ihd::pipeline::UsageError;

struct CommandLine {
  std::string png_dir, rsna_dir, cache_dir, export_dir;
  std::string windows = "brain/subdural/bone";
  bool window_given = false, adjacent = false, quiet = false;
  int size = 0;  // --png: 0 keeps the native size; --rsna: 180 unless given
  std::string label = "any";
  std::vector<std::string> inputs;
  ihd::data::PreparationOptions preparation;
  int threads = 0;
};

// The flag table, bound to `line` and to the numbers the preparation options hold in wider types.
struct Flags {
  ihd::pipeline::FlagSet flags{
      "ihd_prepare",
      "--png OUT_DIR [flags] INPUT...\n   or: ihd_prepare --rsna RSNA_DIR --cache CACHE_DIR "
      "[flags]",
      "DICOM -> PNG conversion, or an RSNA folder -> a balanced, split, preprocessed cache "
      "(resumable), optionally exported as Keras-layout PNG folders."};
  long limit = 0, seed = 1, shard_size = 1024;
  int max_decoded_mb = 256;
  std::string split = "patient";

  explicit Flags(CommandLine& line) {
    auto& f = flags;
    auto& p = line.preparation;
    f.group("mode");
    f.add("png", line.png_dir, "OUT_DIR", "convert the DICOM INPUT files and folders to PNGs here");
    f.add("rsna", line.rsna_dir, "RSNA_DIR",
          "prepare this RSNA folder (stage_2_train/*.dcm + stage_2_train.csv)");
    f.add("cache", line.cache_dir, "CACHE_DIR", "--rsna: the prepared cache to write");
    f.add("export-png", line.export_dir, "OUT_DIR",
          "--rsna: also export the cache as Keras-layout PNG class folders");
    f.group("images");
    f.add("window", line.windows, "C,W", "one CT window, centre and width in HU, or a name")
        .shown_default("brain");
    f.add("windows", line.windows, "A/B/C", "three windows, one per channel")
        .shown_default("brain/subdural/bone");
    f.add("adjacent", line.adjacent,
          "--rsna: channels are the slice and its neighbours in one window (--window)");
    f.add("size", line.size, "PX", "resize to PX x PX (0: the native size)")
        .range(0, 8192)
        .shown_default("0 with --png, 180 with --rsna");
    f.group("selection and split");
    f.add("balance", p.balance, "all positives and as many random negatives");
    f.add("limit", limit, "N", "at most N images, half positive (0: all)").at_least(0);
    f.add("validation", p.fractions.validation, "F", "validation share").at_least(0).below(1);
    f.add("test", p.fractions.test, "F", "held-out test share").at_least(0).below(1);
    f.add("split", split, "", "by patient, or random (the seed's split by image)")
        .choices({"patient", "random"});
    f.add("seed", seed, "N", "seed of balancing and splits").at_least(0);
    std::vector<std::string> labels;
    for (const auto& subtype : ihd::data::rsna_subtypes) labels.emplace_back(subtype);
    f.add("label", line.label, "LABEL", "--export-png: the label the class folders follow")
        .choices(labels);
    f.group("run");
    f.add("shard-size", shard_size, "N", "records per cache shard").range(1, 1 << 20);
    f.add("threads", line.threads, "N", "threads (0: all cores, shared by the ranks on a machine)")
        .range(0, 1024);
    f.add("quiet", line.quiet, "no progress lines (the summary and errors stay)");
    f.group("input limits");
    f.add("max-image-side", p.dicom_limits.max_rows_or_columns, "PX",
          "refuse DICOM files with Rows or Columns above this")
        .range(1, 65535);
    f.add("max-decoded-mb", max_decoded_mb, "MB",
          "refuse DICOM pixel data that decodes or inflates to more MiB than this")
        .range(1, 1 << 20);
    f.example("ihd_prepare --png pngs --window 40,80 scans/",
              "every DICOM file under scans/ as an 8-bit PNG in the brain window, native size");
    f.example("ihd_prepare --rsna RSNA_DIR --cache cache --size 224 --limit 20000",
              "20000 balanced slices at 224 x 224, three windows, split by patient");
    f.example("ihd_prepare --rsna RSNA_DIR --cache cache --export-png keras --label subdural",
              "the cache, and PNG class folders for the seed's Keras code");
  }
};

// Parses the command line into `line`; returns false for --help, --version or --complete-flags.
bool parse(int argc, char** argv, CommandLine& line) {
  Flags table(line);
  ihd::pipeline::FlagSet& flags = table.flags;
  if (!flags.parse(argc, argv)) return false;
  line.inputs = flags.positional();
  line.window_given = flags.was_set("window") || flags.was_set("windows");
  if (!flags.was_set("size")) line.size = line.png_dir.empty() ? 180 : 0;
  line.preparation.limit = static_cast<size_t>(table.limit);
  line.preparation.seed = static_cast<std::uint64_t>(table.seed);
  line.preparation.records_per_shard = static_cast<size_t>(table.shard_size);
  line.preparation.dicom_limits.max_decoded_bytes = std::uint64_t(table.max_decoded_mb) << 20;
  line.preparation.split_by_patient = table.split == "patient";
  if (line.png_dir.empty() == line.rsna_dir.empty())
    throw UsageError("give exactly one of --png OUT_DIR INPUT... or --rsna RSNA_DIR");
  if (!line.rsna_dir.empty() && line.cache_dir.empty()) throw UsageError("--rsna needs --cache");
  if (!line.png_dir.empty() && line.inputs.empty()) throw UsageError("no INPUT given");
  if (!line.rsna_dir.empty() && !line.inputs.empty())
    throw UsageError("--rsna reads its folder: unexpected argument '" + line.inputs.front() + "'");
  return true;
}

int label_index_of(const std::string& name) {
  for (int i = 0; i < ihd::data::rsna_label_count; ++i)
    if (ihd::data::rsna_subtypes[i] == name) return i;
  throw ihd::Error("unknown label " + name);
}

int convert_to_png(const CommandLine& line, const ihd::data::WorkShare& share) {
  const auto windows = ihd::data::parse_windows(line.window_given ? line.windows : "brain");
  std::vector<std::filesystem::path> inputs(line.inputs.begin(), line.inputs.end());
  for (const auto& input : inputs)
    if (!std::filesystem::exists(input)) {
      std::cerr << "ihd_prepare: no such input: " << input.string() << '\n';
      return 1;
    }
  const auto report = ihd::data::convert_dicom_to_png(inputs, line.png_dir, windows, line.size,
                                                      std::cerr, line.preparation.dicom_limits,
                                                      ihd::console_progress(line.quiet), share);
  if (report.inputs == 0) {
    std::cerr << "ihd_prepare: no input files found\n";
    return 1;
  }
  size_t skipped = 0;
  for (const auto& [kind, count] : report.skipped_by_kind) skipped += count;
  std::cout << "summary: " << report.inputs << " inputs, " << report.written << " PNGs written to "
            << line.png_dir << ", skipped " << skipped;
  for (const auto& [kind, count] : report.skipped_by_kind)
    std::cout << ", " << ihd::to_string(kind) << " " << count;
  std::cout << '\n';
  return 0;
}

int prepare_rsna(CommandLine line, const ihd::data::WorkShare& share) {
  line.preparation.image_size = line.size;
  const auto windows = ihd::data::parse_windows(line.windows);
  line.preparation.channels = line.adjacent
                                  ? ihd::data::adjacent_slice_channels(
                                        line.window_given ? windows[0] : ihd::data::brain_window)
                                  : ihd::data::window_channels(windows);
  const int label_index = label_index_of(line.label);
  line.preparation.progress = ihd::console_progress(line.quiet);
  line.preparation.share = share;
  std::cout << "preparing " << line.rsna_dir << " into " << line.cache_dir << " with "
            << omp_get_max_threads() << " threads"
            << (share.ranks > 1 ? " on each of " + std::to_string(share.ranks) + " ranks" : "")
            << '\n';
  const auto report =
      ihd::data::prepare_rsna_cache(line.rsna_dir, line.cache_dir, line.preparation, std::cerr);
  ihd::data::print_preparation_report(report, std::cout);
  if (!line.export_dir.empty()) {
    const auto cache = ihd::data::open_prepared_cache(line.cache_dir);
    const auto exported = ihd::data::export_png_tree(*cache, line.export_dir, label_index,
                                                     std::cerr, line.preparation.progress, share);
    std::cout << "  exported " << exported.written << " PNGs to " << line.export_dir << " (label "
              << line.label << "), skipped " << exported.inputs - exported.written << "\n";
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  ihd::line_buffer_stdout();
  CommandLine line;
  const ihd::distributed::ProcessGroup* group = nullptr;
  try {
    group = &ihd::distributed::ProcessGroup::world();
    ihd::pipeline::silence_all_but_root(*group);
    if (!parse(argc, argv, line)) return 0;
  } catch (const std::exception& error) {
    std::cerr << "ihd_prepare: " << error.what() << '\n';
    return ihd::pipeline::kUsageExitCode;
  }
  if (const int threads = ihd::pipeline::rank_threads(line.threads, *group); threads > 0)
    omp_set_num_threads(threads);
  try {
    const ihd::data::WorkShare share = ihd::pipeline::rank_work_share(*group);
    return line.png_dir.empty() ? prepare_rsna(line, share) : convert_to_png(line, share);
  } catch (const std::invalid_argument& error) {
    std::cerr << "ihd_prepare: " << error.what() << " (see ihd_prepare --help)\n";
    return ihd::pipeline::kUsageExitCode;
  } catch (const std::exception& error) {
    // One rank's failure ends every rank: the others would wait for it forever.
    if (group->distributed()) group->abort(1, std::string("ihd_prepare: fatal: ") + error.what());
    std::cerr << "ihd_prepare: fatal: " << error.what() << '\n';
    return 1;
  }
}
