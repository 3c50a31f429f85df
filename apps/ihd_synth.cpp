// ihd_synth: writes the synthetic head-CT demo set (real DICOM phantoms with hemorrhages, RSNA
// layout and CSV, and series_labels.csv with each series' labels) so that ihd runs end to end on a
// machine without the RSNA data. --faint-end-probability gives hemorrhages faint end slices,
// positives that need the neighbouring slices to be seen (data/phantom.h). A progress line shows
// the slices written (--quiet: none).
//
//   ihd_synth --out DIR [--patients N] [--slices-per-patient K] [--seed S] [--size PX]
//             [--positive-probability P] [--faint-end-probability F] [--quiet]
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "common/console.h"          // line_buffer_stdout
#include "common/error.h"            // Error
#include "common/progress.h"         // console_progress
#include "data/synthetic_dataset.h"  // write_synthetic_dataset, SyntheticDatasetOptions

namespace {

void print_usage() {
  std::fprintf(
      stderr,
      "usage: ihd_synth --out DIR [--patients N=20] [--slices-per-patient K=10] [--seed S=1]\n"
      "                 [--size PX=512] [--positive-probability P=0.65]\n"
      "                 [--faint-end-probability F=0] [--quiet]\n");
}

}  // namespace

int main(int argc, char** argv) {
  ihd::line_buffer_stdout();
  ihd::data::SyntheticDatasetOptions options;
  bool quiet = false;
  try {
    for (int i = 1; i < argc; ++i) {
      const std::string flag = argv[i];
      if (flag == "--help" || flag == "-h") {
        print_usage();
        return 0;
      }
      if (flag == "--quiet") {
        quiet = true;
        continue;
      }
      if (i + 1 >= argc) throw std::invalid_argument("missing value after " + flag);
      const std::string value = argv[++i];
      if (flag == "--out")
        options.output_dir = value;
      else if (flag == "--patients")
        options.patients = std::stoi(value);
      else if (flag == "--slices-per-patient")
        options.slices_per_patient = std::stoi(value);
      else if (flag == "--seed")
        options.seed = std::stoull(value);
      else if (flag == "--size")
        options.image_size = std::stoi(value);
      else if (flag == "--positive-probability")
        options.positive_patient_probability = std::stod(value);
      else if (flag == "--faint-end-probability")
        options.faint_end_probability = std::stod(value);
      else
        throw std::invalid_argument("unknown option " + flag);
    }
    if (options.output_dir.empty()) throw std::invalid_argument("--out is required");
    if (options.patients < 1 || options.slices_per_patient < 1 || options.image_size < 16)
      throw std::invalid_argument("--patients and --slices-per-patient must be >= 1, --size >= 16");
    for (double probability : {options.positive_patient_probability, options.faint_end_probability})
      if (!(probability >= 0 && probability <= 1))
        throw std::invalid_argument("probabilities must lie in [0, 1]");
  } catch (const std::exception& error) {
    std::fprintf(stderr, "ihd_synth: %s\n", error.what());
    print_usage();
    return 2;
  }
  try {
    options.progress = ihd::console_progress(quiet);
    const auto summary = ihd::data::write_synthetic_dataset(options);
    std::printf("ihd_synth: %zu images (%zu with hemorrhage, %.1f%%; %zu only faintly) in %s\n",
                summary.images, summary.positive_images,
                100.0 * summary.positive_images / summary.images, summary.faint_positive_images,
                options.output_dir.c_str());
    std::printf("  %zu series, %zu with hemorrhage\n", summary.series, summary.positive_series);
    for (int i = 0; i < ihd::data::any_label_index; ++i)
      std::printf("  %-17s %zu\n", std::string(ihd::data::rsna_subtypes[i]).c_str(),
                  summary.per_subtype[i]);
    return 0;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "ihd_synth: %s\n", error.what());
    return 1;
  }
}
