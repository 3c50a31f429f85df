// ihd_synth: writes the synthetic head-CT demo set (real DICOM phantoms with hemorrhages, RSNA
// layout and CSV, and series_labels.csv with each series' labels) so that ihd runs end to end on a
// machine without the RSNA data. --faint-end-probability gives hemorrhages faint end slices,
// positives that need the neighbouring slices to be seen (data/phantom.h). A progress line shows
// the slices written (--quiet: none).
//
//   ihd_synth --out DIR [--patients N] [--slices-per-patient K] [--seed S] [--size PX]
//             [--positive-probability P] [--faint-end-probability F] [--quiet]
//
// Exit status: 0 on success, 1 when the set cannot be written, 2 for a bad command line.
#include <cstdio>
#include <exception>
#include <string>

#include "apps/pipeline/flags.h"     // FlagSet, UsageError, kUsageExitCode
#include "common/console.h"          // line_buffer_stdout
#include "common/progress.h"         // console_progress
#include "data/synthetic_dataset.h"  // write_synthetic_dataset, SyntheticDatasetOptions

int main(int argc, char** argv) {
  ihd::line_buffer_stdout();
  ihd::data::SyntheticDatasetOptions options;
  bool quiet = false;
  std::string out;
  long seed = static_cast<long>(options.seed);
  ihd::pipeline::FlagSet flags("ihd_synth", "--out DIR [flags]",
                               "Writes a synthetic head-CT set in the RSNA layout: DICOM phantoms "
                               "with hemorrhages, stage_2_train.csv and series_labels.csv.");
  flags.group("output");
  flags.add("out", out, "DIR", "folder to write the set into (required)");
  flags.group("set");
  flags.add("patients", options.patients, "N", "patients (one series each)").range(1, 100000);
  flags.add("slices-per-patient", options.slices_per_patient, "N", "slices per series")
      .range(1, 1000);
  flags.add("seed", seed, "N", "seed of the anatomy, the bleeds and the noise").at_least(0);
  flags.add("size", options.image_size, "PX", "rows and columns of each slice").range(16, 4096);
  flags
      .add("positive-probability", options.positive_patient_probability, "P",
           "chance that a patient has a hemorrhage")
      .range(0, 1);
  flags
      .add("faint-end-probability", options.faint_end_probability, "F",
           "chance that a hemorrhage of 3 or more slices has faint end slices")
      .range(0, 1);
  flags.group("run");
  flags.add("quiet", quiet, "no progress line (the summary and errors stay)");
  flags.example("ihd_synth --out synth --patients 40 --slices-per-patient 12",
                "480 slices at 512 x 512, about two thirds of the patients bleeding");
  flags.example(
      "ihd_synth --out faint --patients 200 --slices-per-patient 24 --size 128 "
      "--faint-end-probability 1",
      "bleeds whose end slices only their neighbours reveal (for the sequence stage)");
  try {
    if (!flags.parse(argc, argv)) return 0;
    if (!flags.positional().empty()) {
      throw ihd::pipeline::UsageError("unexpected argument '" + flags.positional().front() + "'");
    }
    if (out.empty()) throw ihd::pipeline::UsageError("--out is required (see ihd_synth --help)");
  } catch (const std::exception& error) {
    std::fprintf(stderr, "ihd_synth: %s\n", error.what());
    return ihd::pipeline::kUsageExitCode;
  }
  options.output_dir = out;
  options.seed = static_cast<std::uint64_t>(seed);
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
