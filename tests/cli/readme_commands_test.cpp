// The README's command lines, run as written. Every command of README.md's fenced blocks is
// read from the file (a line, a line continued by '\' or by an indented "[--flag ...]" synopsis
// line, a quoted argument spanning lines), its comment dropped, and looked up in kDecisions: it
// either runs, or it is skipped for the reason written beside it. A command the table does not
// know fails the test, so a new README line needs a decision.
//
// A command runs through bash in a scratch folder, with the build's tools first on PATH, after its
// placeholders are replaced by small fixtures the test makes first: DIR, RSNA_DIR and
// DICOM_FOLDER a 12-patient synthetic RSNA-layout set at 32 x 32, RUN_DIR a tiny six-label run
// trained on it, INPUT... and FILE.dcm... three of its DICOM files, and the other upper-case
// words (FEATURES_DIR, RUN2, CACHE, OUT_DIR, N, K, S, F...) paths and numbers of their own.
// "[flags]" stands for the flags a command is left to the reader; here the table gives them: a
// ResNet-18 at 1/8 width on 32-pixel images for one epoch, every image (minutes become seconds).
// Optional
// "[--flag VALUE]" groups run, but for those the table drops (with its reason). Skipped: the two
// setup scripts at the top (demo.sh and test.sh install Debian packages and take minutes), the
// build-by-hand block (this test runs inside that build), a GPU, the downloads, the RSNA and
// CQ500 data, and the documented minutes-long two-stage run (its predict and eval lines run on
// the tiny two-stage run another README line trains into runs/two-stage).
#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include "cli_run.h"

namespace ihd::cli {
namespace {

// The tiny model: what "[flags]" becomes.
const std::string kTinyModel =
    "--arch resnet18 --width 0.125 --image-size 32 --batch 4 --epochs 1 --threads 1 --workers 1 "
    "--labels all --no-balance";
const std::string kTinySynthetic = "--synth-patients 12 --synth-slices 4 " + kTinyModel;

struct Decision {
  std::optional<std::string> skipped;               // why it does not run; none: it runs
  std::string flags;                                // what "[flags]" becomes
  std::vector<std::string> dropped;                 // optional "[...]" groups left out
  std::map<std::string, std::string> placeholders;  // this command's own values
};

Decision runs(std::string flags = "", std::vector<std::string> dropped = {},
              std::map<std::string, std::string> placeholders = {}) {
  return {std::nullopt, std::move(flags), std::move(dropped), std::move(placeholders)};
}
Decision skipped(std::string why) {
  return {std::move(why), "", {}, {}};
}

// Every command of the README, as extracted (comment dropped, spaces collapsed), and what the
// test does with it.
const std::map<std::string, Decision> kDecisions = {
    {"./scripts/demo.sh", skipped("installs Debian packages and builds: minutes")},
    {"./scripts/test.sh", skipped("installs Debian packages, builds and runs every test")},
    {"ihd_train [flags]", runs(kTinySynthetic)},
    {"ihd_train --summary --arch resnet50 --image-size 224", runs()},
    {"ihd_train --sweep --data DIR [flags]",
     runs(kTinyModel +
          " --sweep-lrs 1e-3,1e-4 --sweep-keep 1 --sweep-round1-epochs 1 --sweep-round2-epochs 1 "
          "--sweep-final-epochs 1 --sweep-round1-limit 0 --sweep-final-limit 0 --out sweep")},
    {"ihd_train --resume RUN_DIR", runs()},
    {"ihd_train --out RUN_DIR --overwrite [flags]", runs(kTinySynthetic)},
    {"ihd_train --device cuda:0 --precision bf16 --batch 256",
     skipped("needs a CUDA GPU (scripts/device-check.sh runs the CUDA path)")},
    {"ihd_train --data DIR --labels all --sequence-stage [flags]",
     runs(kTinyModel + " --sequence-epochs 1 --out runs/two-stage")},
#ifdef IHD_MPIEXEC
    {"mpirun -np 2 ihd_train --out runs/two-ranks [flags]", runs(kTinySynthetic)},
#else
    {"mpirun -np 2 ihd_train --out runs/two-ranks [flags]", skipped("this build has no MPI")},
#endif
    {"ihd_embed --model RUN_DIR --out FEATURES_DIR", runs()},
    {"ihd_train --stage sequence --features FEATURES_DIR --out RUN2",
     runs("", {}, {{"RUN2", "sequence-alone"}})},
    {"ihd_predict --model RUN_DIR --out preds.csv [--submission] [--gradcam DIR] [--studies FILE] "
     "INPUT...",
     runs("", {"[--studies FILE]"}, {{"DIR", "gradcam"}})},  // --studies: the two-stage line below
    {"ihd_eval --model RUN_DIR [--data DIR] [--split test]", runs("", {"[--split test]"})},
    {"ihd_eval --model RUN_DIR --study-labels reads.csv CQ500_DIR",
     skipped("needs CQ500 and its reads (tests/pipeline/two_stage_test.cpp scores a synthetic "
             "set in that form)")},
    {"ihd_prepare --rsna RSNA_DIR --cache CACHE [--export-png OUT_DIR]", runs()},
    {"ihd_prepare --png OUT_DIR --window 40,80 --size 0 INPUT...",
     runs("", {}, {{"OUT_DIR", "converted"}})},
    {"ihd_synth --out DIR --patients N --slices-per-patient K --seed S "
     "[--faint-end-probability F]",
     runs("", {}, {{"DIR", "synthetic"}})},
    {"ihd_train --synth-patients 200 --synth-slices 24 --synth-faint-ends 1 --arch resnet18 "
     "--width 0.125 --image-size 64 --epochs 6 --lr 1e-3 --labels all --sequence-stage --out "
     "runs/two-stage",
     skipped("the measured two-stage run of docs/STUDY_LEVEL.md: minutes on a CPU")},
    {"ihd_predict --model runs/two-stage --studies studies.csv --out slices.csv DICOM_FOLDER",
     runs()},
    {"ihd_eval --model runs/two-stage", runs()},
    {"/usr/bin/python3 -c \"", skipped("downloads torchvision's ImageNet weights")},
    {"ihd_train --data DIR --init resnet50-imagenet.safetensors --freeze-backbone --head mlp512 "
     "--normalize imagenet",
     skipped("needs the ImageNet weights the line above downloads")},
    {"/usr/bin/python3 scripts/ihd_to_torch.py RUN_DIR FILE.dcm... > torch.csv", runs()},
    {"scripts/install-deps.sh", skipped("installs Debian packages")},
    {"cmake -S . -B build -G Ninja -DIHD_CUDA=AUTO", skipped("the build this test runs in")},
    {"cmake --build build", skipped("the build this test runs in")},
    {"ctest --test-dir build", skipped("runs this test")},
    {"cmake --install build --prefix ~/.local",
     skipped("writes into the home folder (tests/install installs into a temporary prefix)")},
};

std::string collapsed(const std::string& text) {
  std::istringstream words(text);
  std::string out;
  for (std::string word; words >> word;) out += (out.empty() ? "" : " ") + word;
  return out;
}

// The command part of a README line: up to a '#' that starts a word.
std::string without_comment(const std::string& line) {
  for (std::size_t at = line.find('#'); at != std::string::npos; at = line.find('#', at + 1)) {
    if (at == 0 || line[at - 1] == ' ') return line.substr(0, at);
  }
  return line;
}

// The commands of README.md's fenced blocks, each on one line; a quoted argument that spans lines
// is kept as its first line only.
std::vector<std::string> readme_commands(const fs::path& readme) {
  std::ifstream in(readme);
  REQUIRE(in);
  std::vector<std::string> commands;
  bool in_block = false, in_quote = false, continued = false;
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("```")) {
      in_block = !in_block;
      continue;
    }
    if (!in_block) continue;
    if (in_quote) {
      if (std::count(line.begin(), line.end(), '"') % 2 == 1) in_quote = false;
      continue;
    }
    std::string command = without_comment(line);
    const bool synopsis_continuation = collapsed(command).starts_with("[") && !commands.empty();
    const bool ends_with_backslash = collapsed(command).ends_with('\\');
    if (ends_with_backslash) command = command.substr(0, command.rfind('\\'));
    if (collapsed(command).empty()) continue;
    if ((continued || synopsis_continuation) && !commands.empty()) {
      commands.back() += ' ';
      commands.back() += collapsed(command);
    } else {
      commands.push_back(collapsed(command));
    }
    continued = ends_with_backslash;
    if (std::count(line.begin(), line.end(), '"') % 2 == 1) in_quote = true;
  }
  return commands;
}

// `command` with the dropped groups removed, the other brackets opened, and each placeholder word
// replaced.
std::string expanded(std::string command, const Decision& decision,
                     const std::map<std::string, std::string>& placeholders) {
  for (const std::string& group : decision.dropped) {
    const auto at = command.find(group);
    REQUIRE(at != std::string::npos);
    command.erase(at, group.size());
  }
  std::istringstream words(command);
  std::string out;
  for (std::string word; words >> word;) {
    if (word == "[flags]") {
      word = decision.flags;
    } else {
      std::erase(word, '[');
      std::erase(word, ']');
      if (const auto own = decision.placeholders.find(word); own != decision.placeholders.end()) {
        word = own->second;
      } else if (const auto shared = placeholders.find(word); shared != placeholders.end()) {
        word = shared->second;
      }
    }
    out += (out.empty() ? "" : " ") + word;
  }
  return out;
}

}  // namespace

TEST_CASE("the README's command lines run as written on a tiny synthetic set") {
  const fs::path dir = scratch_dir("readme_commands");
  const fs::path log = dir / "log.txt";
  // The README's mpirun line, where the tests run as root (a container): OpenMPI's consent.
  ::setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1);
  ::setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1);
  // The README's paths are the repository's (scripts/...).
  fs::create_directory_symlink(fs::path(IHD_README_FILE).parent_path() / "scripts",
                               dir / "scripts");
  REQUIRE(run_tool({tool("ihd_synth"), "--out", (dir / "data").string(), "--patients", "12",
                    "--slices-per-patient", "4", "--size", "32", "--seed", "1"},
                   log)
              .exit_code == 0);
  std::vector<std::string> arguments = {tool("ihd_train"), "--data", (dir / "data").string(),
                                        "--out", (dir / "run").string()};
  std::istringstream tiny(kTinyModel);
  for (std::string word; tiny >> word;) arguments.push_back(word);
  const ToolRun trained = run_tool(arguments, log);
  CAPTURE(trained.output);
  REQUIRE(trained.exit_code == 0);
  std::string dicom_files;
  int taken = 0;
  for (const auto& entry : fs::directory_iterator(dir / "data" / "stage_2_train")) {
    if (entry.path().extension() == ".dcm" && taken++ < 3) {
      dicom_files += entry.path().string() + " ";
    }
  }
  dicom_files.pop_back();
  const std::map<std::string, std::string> placeholders = {
      {"DIR", (dir / "data").string()},
      {"RSNA_DIR", (dir / "data").string()},
      {"DICOM_FOLDER", (dir / "data" / "stage_2_train").string()},
      {"RUN_DIR", (dir / "run").string()},
      {"INPUT...", dicom_files},
      {"FILE.dcm...", dicom_files},
      {"FEATURES_DIR", "features"},
      {"CACHE", "cache"},
      {"OUT_DIR", "pngs"},
      {"N", "4"},
      {"K", "3"},
      {"S", "7"},
      {"F", "0.5"},
  };

  const std::string path = std::string(IHD_TOOL_DIR) + ":" + std::getenv("PATH");
  std::string unknown;
  std::map<std::string, int> seen;
  for (const std::string& command : readme_commands(IHD_README_FILE)) {
    const auto decision = kDecisions.find(command);
    if (decision == kDecisions.end()) {
      unknown += "\n  " + command;
      continue;
    }
    ++seen[command];
    if (decision->second.skipped) continue;
    const std::string line = expanded(command, decision->second, placeholders);
    CAPTURE(line);
    const ToolRun run =
        run_tool({"/bin/bash", "-c", "export PATH='" + path + "'; " + line}, log, "", dir);
    CAPTURE(run.output);
    CHECK(run.exit_code == 0);
  }
  INFO("README commands without a decision in kDecisions:", unknown);
  CHECK(unknown.empty());
  // Every decision is for a command the README still has.
  for (const auto& [command, decision] : kDecisions) {
    CAPTURE(command);
    CHECK(seen[command] >= 1);
  }
}

}  // namespace ihd::cli
