// The default run folder: ihd_train without --out says what it is about to do, trains into a new
// runs/<YYYYMMDD-HHMMSS> (with a suffix when that name is taken) and points runs/latest at the
// newest, so that no run replaces another, its report naming config.json's calibrated threshold;
// --resume runs/latest continues the run it points at; a runs/latest that is a real folder (an
// older ihd's default) is left alone; a run that fails at once (no such --data) removes the
// folder it created and points runs/latest back (or removes it), and leaves an --out that existed
// before it.
#include <doctest/doctest.h>

#include <cstdio>
#include <regex>

#include "apps/pipeline/run_config.h"
#include "apps/pipeline/run_plan.h"
#include "cli_run.h"

namespace ihd::cli {
namespace {

std::vector<std::string> run_folders(const fs::path& runs) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(runs)) {
    if (!fs::is_symlink(entry.symlink_status())) names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

TEST_CASE("run folders: without --out every run gets a new runs/<time>, runs/latest the newest") {
  const fs::path dir = scratch_dir("default_run_folder");
  const fs::path log = dir / "log.txt";
  const fs::path runs = dir / "runs";
  const ToolRun first = run_tool(tiny_train({}, dir / "data"), log, "", dir);
  CAPTURE(first.output);
  REQUIRE(first.exit_code == 0);
  CHECK(contains(first.output, "ihd_train: about to train\n"));
  CHECK(contains(first.output, "model:    resnet18 at width 0.125, 32 x 32 px\n"));
  CHECK(contains(first.output, "training: 3 epochs of adam"));
  CHECK(contains(first.output, "data:     a synthetic head-CT set, 12 patients x 4 slices"));
  CHECK(contains(first.output, "device:   cpu (1 CPU thread), fp32"));
  CHECK(contains(first.output, "(runs/latest links to it)"));
  const ToolRun second = run_tool(tiny_train({}, dir / "data"), log, "", dir);
  REQUIRE(second.exit_code == 0);

  const std::vector<std::string> names = run_folders(runs);
  REQUIRE(names.size() == 2);
  const std::regex stamp("[0-9]{8}-[0-9]{6}(-[0-9]+)?");
  for (const std::string& name : names) {
    CAPTURE(name);
    CHECK(std::regex_match(name, stamp));
    CHECK(contains(read_bytes(runs / name / "config.json"),
                   "\"out\": \"" + (fs::path("runs") / name).string() + "\""));
    CHECK(fs::exists(runs / name / "last.safetensors"));
  }
  REQUIRE(fs::is_symlink(runs / "latest"));
  const std::string newest = fs::read_symlink(runs / "latest").string();
  CHECK(contains(second.output, "run:      runs/" + newest + " (runs/latest links to it)"));
  CHECK(newest == names[1]);  // the later time, or the same second's "-2"

  // --resume through the link continues (and names) the run it points at.
  const ToolRun resumed =
      run_tool({tool("ihd_train"), "--resume", "runs/latest", "--epochs", "4"}, log, "", dir);
  CAPTURE(resumed.output);
  CHECK(resumed.exit_code == 0);
  CHECK(contains(resumed.output, "resuming runs/" + newest + " at epoch 4"));
  CHECK(contains(read_bytes(runs / newest / "config.json"), "\"out\": \"runs/" + newest + "\""));

  // Its report names the threshold ihd_predict applies (config.json's, calibrated) beside the
  // selected epoch's own.
  const auto config = pipeline::read_run_config(runs / newest / "config.json");
  char threshold[32];
  std::snprintf(threshold, sizeof threshold, "%.4f", std::stod(config.at("decision_threshold")));
  CHECK(contains(read_bytes(runs / newest / "report.html"),
                 std::string("ihd_predict and ihd_eval apply it as <b>") + threshold + "</b>"));
}

TEST_CASE("run folders: a runs/latest that is a real folder is left as it is") {
  const fs::path dir = scratch_dir("default_run_folder_old_latest");
  fs::create_directories(dir / "runs" / "latest");
  reliability::write_bytes(dir / "runs" / "latest" / "notes.txt", "an older run");
  const ToolRun run = run_tool(tiny_train({}, dir / "data"), dir / "log.txt", "", dir);
  CAPTURE(run.output);
  CHECK(run.exit_code == 0);
  CHECK(contains(run.output, "note: runs/latest is not a link"));
  CHECK(read_bytes(dir / "runs" / "latest" / "notes.txt") == "an older run");
  CHECK(run_folders(dir / "runs").size() == 2);
}

TEST_CASE("run folders: a run that fails at once takes back its folder and runs/latest") {
  const fs::path dir = scratch_dir("default_run_folder_failed");
  const fs::path runs = dir / "runs", log = dir / "log.txt";
  const std::vector<std::string> failing = {tool("ihd_train"), "--data", "/nonexistent",
                                            "--arch=resnet18", "--width=0.125"};
  // No runs/latest before: none after, and no folder.
  ToolRun run = run_tool(failing, log, "", dir);
  CAPTURE(run.output);
  CHECK(run.exit_code == 1);
  CHECK(contains(run.output, "ihd_train: removed runs/"));
  CHECK(run_folders(runs).empty());
  CHECK_FALSE(fs::exists(fs::symlink_status(runs / "latest")));

  // An older run that runs/latest points at: pointed at again, its files as they were.
  fs::create_directories(runs / "20200101-000000");
  reliability::write_bytes(runs / "20200101-000000" / "config.json", "{}\n");
  fs::create_directory_symlink("20200101-000000", runs / "latest");
  run = run_tool(failing, log, "", dir);
  CAPTURE(run.output);
  CHECK(run.exit_code == 1);
  CHECK(contains(run.output, "runs/latest points at 20200101-000000 again"));
  CHECK(run_folders(runs) == std::vector<std::string>{"20200101-000000"});
  CHECK(fs::read_symlink(runs / "latest") == "20200101-000000");
  CHECK(read_bytes(runs / "20200101-000000" / "config.json") == "{}\n");

  // --out: a folder the run created goes; one that existed before (empty) stays.
  std::vector<std::string> into_new = failing;
  into_new.push_back("--out=" + (dir / "new").string());
  CHECK(run_tool(into_new, log, "", dir).exit_code == 1);
  CHECK_FALSE(fs::exists(dir / "new"));
  fs::create_directories(dir / "existing");
  std::vector<std::string> into_existing = failing;
  into_existing.push_back("--out=" + (dir / "existing").string());
  CHECK(run_tool(into_existing, log, "", dir).exit_code == 1);
  CHECK(fs::exists(dir / "existing" / "config.json"));
  CHECK(fs::read_symlink(runs / "latest") == "20200101-000000");
}

TEST_CASE(
    "the plan of a run with no flags names the set, model, image size, epochs, device, folder") {
  pipeline::TrainOptions options;
  options.out = "runs/20250101-120000";
  const std::string plan = pipeline::describe_run_plan(options, "runs/latest");
  CAPTURE(plan);
  CHECK(contains(plan, "model:    resnet50, 180 x 180 px\n"));
  CHECK(contains(plan, "training: 10 epochs of adam, learning rate 0.0001, batch 32\n"));
  CHECK(contains(plan,
                 "data:     a synthetic head-CT set, 60 patients x 12 slices (no --data given)\n"));
  CHECK(contains(plan, "cache:    runs/20250101-120000/data\n"));
  CHECK(contains(plan, "device:   cpu ("));
  CHECK(contains(plan, "run:      runs/20250101-120000 (runs/latest links to it)\n"));
  CHECK(contains(plan, "Ctrl-C stops after the current step"));
}

}  // namespace ihd::cli
