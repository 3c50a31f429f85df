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
#include <omp.h>

#include <cstdio>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/console.h"         // line_buffer_stdout
#include "common/error.h"           // Error
#include "common/progress.h"        // console_progress
#include "data/png_export.h"        // convert_dicom_to_png, export_png_tree
#include "data/prepared_cache.h"    // open_prepared_cache
#include "data/rsna_labels.h"       // rsna_subtypes
#include "data/rsna_preparation.h"  // prepare_rsna_cache, PreparationOptions
#include "data/windowing.h"         // parse_window(s)

namespace {

const char* usage =
    "usage:\n"
    "  ihd_prepare --png OUT_DIR [--window C,W | --windows A/B/C] [--size PX=0] INPUT...\n"
    "  ihd_prepare --rsna RSNA_DIR --cache CACHE_DIR [--size PX=180]\n"
    "              [--windows brain/subdural/bone | --adjacent [--window C,W=brain]]\n"
    "              [--no-balance] [--limit N] [--validation F=0.2] [--test F=0]\n"
    "              [--split patient|random] [--seed S=1] [--shard-size N=1024] [--threads N]\n"
    "              [--export-png OUT_DIR [--label any|epidural|...]]\n"
    "  both:       [--max-image-side PX=8192] [--max-decoded-mb MB=256]  (DICOM input limits)\n"
    "              [--quiet]  (no progress lines)\n";

struct CommandLine {
  std::string png_dir, rsna_dir, cache_dir, export_dir;
  std::string windows = "brain/subdural/bone";
  bool window_given = false, adjacent = false, quiet = false;
  int size = -1;
  std::string label = "any";
  std::vector<std::string> inputs;
  ihd::data::PreparationOptions preparation;
  int threads = 0;
};

CommandLine parse(int argc, char** argv) {
  CommandLine line;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    const auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument("missing value after " + flag);
      return argv[++i];
    };
    if (flag == "--png")
      line.png_dir = value();
    else if (flag == "--rsna")
      line.rsna_dir = value();
    else if (flag == "--cache")
      line.cache_dir = value();
    else if (flag == "--export-png")
      line.export_dir = value();
    else if (flag == "--window") {
      line.windows = value();
      line.window_given = true;
    } else if (flag == "--windows") {
      line.windows = value();
      line.window_given = true;
    } else if (flag == "--adjacent")
      line.adjacent = true;
    else if (flag == "--quiet")
      line.quiet = true;
    else if (flag == "--size")
      line.size = std::stoi(value());
    else if (flag == "--no-balance")
      line.preparation.balance = false;
    else if (flag == "--limit")
      line.preparation.limit = std::stoul(value());
    else if (flag == "--validation")
      line.preparation.fractions.validation = std::stod(value());
    else if (flag == "--test")
      line.preparation.fractions.test = std::stod(value());
    else if (flag == "--split") {
      const std::string split = value();
      if (split != "patient" && split != "random")
        throw std::invalid_argument("--split patient|random");
      line.preparation.split_by_patient = split == "patient";
    } else if (flag == "--seed")
      line.preparation.seed = std::stoull(value());
    else if (flag == "--shard-size")
      line.preparation.records_per_shard = std::stoul(value());
    else if (flag == "--threads")
      line.threads = std::stoi(value());
    else if (flag == "--max-image-side")
      line.preparation.dicom_limits.max_rows_or_columns = std::stoi(value());
    else if (flag == "--max-decoded-mb")
      line.preparation.dicom_limits.max_decoded_bytes = std::stoull(value()) << 20;
    else if (flag == "--label")
      line.label = value();
    else if (flag == "--help" || flag == "-h")
      throw std::invalid_argument("");
    else if (!flag.empty() && flag[0] == '-')
      throw std::invalid_argument("unknown option " + flag);
    else
      line.inputs.push_back(flag);
  }
  if (line.png_dir.empty() == line.rsna_dir.empty())
    throw std::invalid_argument("give exactly one of --png OUT_DIR INPUT... or --rsna RSNA_DIR");
  if (!line.rsna_dir.empty() && line.cache_dir.empty())
    throw std::invalid_argument("--rsna needs --cache");
  if (!line.png_dir.empty() && line.inputs.empty()) throw std::invalid_argument("no INPUT given");
  const auto& limits = line.preparation.dicom_limits;
  if (limits.max_rows_or_columns < 1 || limits.max_decoded_bytes < (1u << 20))
    throw std::invalid_argument("--max-image-side and --max-decoded-mb must be at least 1");
  return line;
}

int label_index_of(const std::string& name) {
  for (int i = 0; i < ihd::data::rsna_label_count; ++i)
    if (ihd::data::rsna_subtypes[i] == name) return i;
  throw std::invalid_argument("unknown label " + name);
}

int convert_to_png(const CommandLine& line) {
  const auto windows = ihd::data::parse_windows(line.window_given ? line.windows : "brain");
  std::vector<std::filesystem::path> inputs(line.inputs.begin(), line.inputs.end());
  for (const auto& input : inputs)
    if (!std::filesystem::exists(input)) {
      std::cerr << "ihd_prepare: no such input: " << input.string() << '\n';
      return 1;
    }
  const auto report = ihd::data::convert_dicom_to_png(
      inputs, line.png_dir, windows, line.size < 0 ? 0 : line.size, std::cerr,
      line.preparation.dicom_limits, ihd::console_progress(line.quiet));
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

int prepare_rsna(CommandLine line) {
  line.preparation.image_size = line.size < 0 ? 180 : line.size;
  const auto windows = ihd::data::parse_windows(line.windows);
  line.preparation.channels = line.adjacent
                                  ? ihd::data::adjacent_slice_channels(
                                        line.window_given ? windows[0] : ihd::data::brain_window)
                                  : ihd::data::window_channels(windows);
  const int label_index = label_index_of(line.label);
  line.preparation.progress = ihd::console_progress(line.quiet);
  std::cout << "preparing " << line.rsna_dir << " into " << line.cache_dir << " with "
            << omp_get_max_threads() << " threads\n";
  const auto report =
      ihd::data::prepare_rsna_cache(line.rsna_dir, line.cache_dir, line.preparation, std::cerr);
  ihd::data::print_preparation_report(report, std::cout);
  if (!line.export_dir.empty()) {
    const auto cache = ihd::data::open_prepared_cache(line.cache_dir);
    const auto exported = ihd::data::export_png_tree(*cache, line.export_dir, label_index,
                                                     std::cerr, line.preparation.progress);
    std::cout << "  exported " << exported.written << " PNGs to " << line.export_dir << " (label "
              << line.label << "), skipped " << exported.inputs - exported.written << "\n";
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  ihd::line_buffer_stdout();
  CommandLine line;
  try {
    line = parse(argc, argv);
  } catch (const std::exception& error) {
    if (*error.what()) std::cerr << "ihd_prepare: " << error.what() << '\n';
    std::cerr << usage;
    return 2;
  }
  if (line.threads > 0) omp_set_num_threads(line.threads);
  try {
    return line.png_dir.empty() ? prepare_rsna(line) : convert_to_png(line);
  } catch (const std::invalid_argument& error) {
    std::cerr << "ihd_prepare: " << error.what() << '\n' << usage;
    return 2;
  } catch (const std::exception& error) {
    std::cerr << "ihd_prepare: fatal: " << error.what() << '\n';
    return 1;
  }
}
