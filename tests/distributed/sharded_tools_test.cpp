// ihd_prepare and ihd_embed on 2 MPI ranks, through the tools as a user runs them, against one
// process on the same input (a 6- or 12-patient synthetic set of 32-pixel slices):
//   - `ihd_prepare --rsna` writes the same cache, byte for byte (cache_info.txt, every shard's
//     .bin and .tsv, manifest.tsv) and the same --export-png tree, and prints the same summary
//     (the counts summed over the ranks, a broken file counted once), once; a cache with shards
//     missing is finished by the ranks, byte-identical again, reusing the others;
//   - `ihd_prepare --png` writes the same PNGs and the same summary, a broken input counted once;
//   - `ihd_embed` writes the same slices.tsv and config.json, byte for byte, and features and
//     logits equal to float32 rounding: each rank embeds a contiguous half, so its batches are
//     made of other slices than one process's, and the CPU GEMM's blocking may round otherwise
//     (the tolerance, 1e-5 relative to the value or to 1 below it, is well above what was measured:
//     see the case);
//   - a rank's error ends the job, naming the rank, while the other waits at a barrier.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "apps/pipeline/embedding.h"
#include "cli/cli_run.h"
#include "distributed/mpirun.h"

namespace ihd::cli {
namespace {

// Every regular file under `folder` and its bytes, by its path relative to `folder`.
std::map<std::string, std::string> files_under(const fs::path& folder) {
  std::map<std::string, std::string> files;
  for (const auto& [path, bytes] : snapshot(folder)) {
    files[fs::path(path).lexically_relative(folder).string()] = bytes;
  }
  return files;
}

// The summary in `output`: its line starting with "summary:" and the indented lines after it
// (empty when none). Under mpirun each rank's output reaches the launcher on its own pipe, so the
// lines naming rank 1's skipped files may come before, after or among rank 0's summary lines:
// they are left out here, and counted by the cases.
std::string summary_of(const std::string& output) {
  std::istringstream lines(output);
  std::string summary;
  for (std::string line; std::getline(lines, line);) {
    const bool continues = !summary.empty() && line.rfind("  ", 0) == 0;
    if (line.rfind("summary:", 0) == 0 || continues) summary += line + '\n';
  }
  return summary;
}

size_t occurrences(const std::string& text, const std::string& part) {
  size_t count = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++count;
  return count;
}

// The tiny synthetic RSNA folder: `patients` patients of 4 slices of 32 x 32.
fs::path synthetic_rsna(const fs::path& dir, int patients) {
  const fs::path data = dir / "data";
  REQUIRE(
      run_tool({tool("ihd_synth"), "--out", data.string(), "--patients", std::to_string(patients),
                "--slices-per-patient", "4", "--size", "32", "--seed", "1", "--quiet"},
               dir / "synth.log")
          .exit_code == 0);
  return data;
}

// Runs `arguments` (a tool and its flags) as one process or, with `ranks` above 1, under mpirun,
// in `working_dir`.
ToolRun run_ranks(int ranks, const std::vector<std::string>& arguments,
                  const fs::path& working_dir) {
  fs::create_directories(working_dir);
  const std::vector<std::string> command = ranks > 1 ? joined(mpirun(ranks), arguments) : arguments;
  return run_tool(command, working_dir / "log.txt", "", working_dir);
}

// The largest difference between two lists of values, relative to the value where it is above 1.
double largest_difference(const std::vector<float>& a, const std::vector<float>& b) {
  REQUIRE(a.size() == b.size());
  double largest = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    largest = std::max(largest, std::abs(static_cast<double>(a[i]) - b[i]) /
                                    std::max(1.0, std::abs(static_cast<double>(b[i]))));
  }
  return largest;
}

}  // namespace

TEST_CASE("mpirun -np 2 ihd_prepare --rsna writes the cache of one process, and resumes it") {
  allow_mpirun_here();
  const fs::path dir = scratch_dir("sharded_prepare_rsna");
  const fs::path data = synthetic_rsna(dir, 6);
  // A labelled file that is no DICOM: the plan leaves it out, on every rank, and it is counted
  // and named once.
  const fs::path broken = data / "stage_2_train" / "ID_broken.dcm";
  std::ofstream(broken) << "not a DICOM file";
  std::ofstream labels(data / "stage_2_train.csv", std::ios::app);
  for (const char* subtype :
       {"epidural", "intraparenchymal", "intraventricular", "subarachnoid", "subdural", "any"}) {
    labels << "ID_broken_" << subtype << ",0\n";
  }
  labels.close();
  // 24 slices in shards of 5: 5 shards, rank 0 writes 0, 2 and 4, rank 1 writes 1 and 3.
  const std::vector<std::string> prepare = {
      tool("ihd_prepare"), "--rsna", data.string(),  "--cache", "cache",
      "--export-png",      "pngs",   "--no-balance", "--size",  "32",
      "--shard-size",      "5",      "--threads",    "1",       "--quiet"};
  const ToolRun one = run_ranks(1, prepare, dir / "one");
  CAPTURE(one.output);
  REQUIRE(one.exit_code == 0);
  const ToolRun two = run_ranks(2, prepare, dir / "two");
  CAPTURE(two.output);
  REQUIRE(two.exit_code == 0);

  const auto cache = files_under(dir / "one" / "cache");
  CHECK(cache.size() == 12);  // cache_info.txt, manifest.tsv, 5 x (.bin, .tsv)
  CHECK(files_under(dir / "two" / "cache") == cache);
  CHECK(files_under(dir / "two" / "pngs") == files_under(dir / "one" / "pngs"));
  CHECK(contains(one.output, "written 24"));
  CHECK(contains(one.output, "skipped 1, not_dicom 1"));
  CHECK(summary_of(two.output) == summary_of(one.output));
  CHECK(occurrences(two.output, "summary:") == 1);  // rank 1 prints nothing
  CHECK(contains(two.output, "on each of 2 ranks"));
  CHECK(occurrences(two.output, "skipped " + broken.string()) == 1);

  // An interrupted build: shard 1 (rank 1's) and shard 2 (rank 0's) unfinished, no manifest.
  fs::remove(dir / "two" / "cache" / "shard_00001.tsv");
  fs::remove(dir / "two" / "cache" / "shard_00002.bin");
  fs::remove(dir / "two" / "cache" / "manifest.tsv");
  const ToolRun resumed = run_ranks(2, prepare, dir / "two");
  CAPTURE(resumed.output);
  REQUIRE(resumed.exit_code == 0);
  CHECK(contains(resumed.output, "shards 5 (3 reused from an earlier run)"));
  CHECK(files_under(dir / "two" / "cache") == cache);
}

TEST_CASE("mpirun -np 2 ihd_prepare --png writes the PNGs of one process, its counts summed") {
  allow_mpirun_here();
  const fs::path dir = scratch_dir("sharded_prepare_png");
  const fs::path data = synthetic_rsna(dir, 3);
  const fs::path broken = dir / "broken.dcm";
  std::ofstream(broken) << "not a DICOM file";
  const std::vector<std::string> convert = {tool("ihd_prepare"),
                                            "--png",
                                            "pngs",
                                            "--window",
                                            "40,80",
                                            "--threads",
                                            "1",
                                            "--quiet",
                                            (data / "stage_2_train").string(),
                                            broken.string()};
  const ToolRun one = run_ranks(1, convert, dir / "one");
  CAPTURE(one.output);
  REQUIRE(one.exit_code == 0);
  const ToolRun two = run_ranks(2, convert, dir / "two");
  CAPTURE(two.output);
  REQUIRE(two.exit_code == 0);

  const auto pngs = files_under(dir / "one" / "pngs");
  CHECK(pngs.size() == 12);
  CHECK(files_under(dir / "two" / "pngs") == pngs);
  const std::string summary = summary_of(one.output);
  CHECK(contains(summary, "13 inputs, 12 PNGs written to pngs, skipped 1"));
  CHECK(summary_of(two.output) == summary);
  CHECK(occurrences(two.output, "summary:") == 1);
  CHECK(occurrences(two.output, "skipped " + broken.string()) == 1);
}

TEST_CASE("mpirun -np 2 ihd_embed writes the features of one process, and a rank's error ends it") {
  allow_mpirun_here();
  const fs::path dir = scratch_dir("sharded_embed");
  // A slice model after two steps of the tiny run (48 slices of 12 patients).
  std::vector<std::string> train = tiny_train(dir / "run", dir / "data");
  train.emplace_back("--max-steps=2");
  train.emplace_back("--quiet");
  const ToolRun trained = run_tool(train, dir / "train.log");
  CAPTURE(trained.output);
  REQUIRE(trained.exit_code == 0);

  // Batches of 5: one process's are slices 0-4, 5-9, ...; rank 1's start at its first, slice 24.
  const std::vector<std::string> embed = {
      tool("ihd_embed"), "--model", (dir / "run").string(), "--out", "features", "--batch", "5",
      "--quiet"};
  const ToolRun one = run_ranks(1, embed, dir / "one");
  CAPTURE(one.output);
  REQUIRE(one.exit_code == 0);
  const ToolRun two = run_ranks(2, embed, dir / "two");
  CAPTURE(two.output);
  REQUIRE(two.exit_code == 0);
  CHECK(occurrences(two.output, "slices embedded") == 1);  // rank 1 prints nothing

  for (const char* file : {"slices.tsv", "config.json"}) {
    CAPTURE(file);
    CHECK(read_bytes(dir / "two" / "features" / file) ==
          read_bytes(dir / "one" / "features" / file));
  }
  const pipeline::SliceEmbeddings reference = pipeline::read_embeddings(dir / "one" / "features");
  const pipeline::SliceEmbeddings shared = pipeline::read_embeddings(dir / "two" / "features");
  REQUIRE(reference.count() == 48);
  const double features = largest_difference(shared.features, reference.features);
  const double logits = largest_difference(shared.logits, reference.logits);
  MESSAGE("2 ranks against 1 process: features differ by ", features, ", logits by ", logits);
  CHECK(features <= 1e-5);
  CHECK(logits <= 1e-5);

  // Rank 0 cannot write the features folder (its parent is a file) while rank 1 waits.
  std::ofstream(dir / "two" / "file") << "a file";
  std::vector<std::string> unwritable = embed;
  unwritable[4] = "file/features";
  const ToolRun failed = run_ranks(2, unwritable, dir / "two");
  CAPTURE(failed.output);
  CHECK(failed.exit_code != 0);
  CHECK(contains(failed.output, "rank 0 of 2: ihd_embed: error: "));
}

}  // namespace ihd::cli
