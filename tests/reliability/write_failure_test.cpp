// Output that cannot be written: a full disk (simulated with RLIMIT_FSIZE in a child process, so
// every write past a few bytes fails with EFBIG as on a full file system) and an output folder that
// cannot be created. Each writer must fail with a message naming the file, leave the file it
// replaces byte-identical, and leave no temporary file behind; temporaries a killed writer left
// are cleared by the next run.
#include <doctest/doctest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdint>
#include <vector>

#include "apps/pipeline/run_config.h"
#include "apps/pipeline/trainer.h"
#include "apps/training/history.h"
#include "common/atomic_file.h"
#include "data/png_io.h"
#include "data/rsna_labels.h"
#include "model/resnet.h"
#include "model/weights.h"
#include "reliability_util.h"

namespace ihd::reliability {
namespace {

namespace fs = std::filesystem;

constexpr rlim_t kFullDiskBytes = 64;

// Runs `write` in a child process whose files cannot grow past kFullDiskBytes; returns the message
// it threw ("" if it did not throw, "crashed" if the child died).
std::string message_on_full_disk(const std::function<void()>& write) {
  int pipe_fds[2];
  REQUIRE(::pipe(pipe_fds) == 0);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::close(pipe_fds[0]);
    std::signal(SIGXFSZ, SIG_IGN);  // EFBIG instead of death, like ENOSPC on a full disk
    const rlimit limit{kFullDiskBytes, kFullDiskBytes};
    ::setrlimit(RLIMIT_FSIZE, &limit);
    const std::string message = thrown_message(write);
    const ssize_t written = ::write(pipe_fds[1], message.data(), message.size());
    ::_exit(written == static_cast<ssize_t>(message.size()) ? 0 : 1);
  }
  ::close(pipe_fds[1]);
  std::string message;
  char buffer[512];
  for (ssize_t n; (n = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0;) message.append(buffer, n);
  ::close(pipe_fds[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? message : "crashed";
}

// Replacing `target` (which holds good bytes) on a full disk fails naming it and damages nothing.
void check_full_disk_write(const fs::path& target, const std::function<void()>& write) {
  CAPTURE(target);
  const std::string before = read_bytes(target);
  REQUIRE(before.size() > 0);
  const std::string message = message_on_full_disk(write);
  CAPTURE(message);
  CHECK(message != "crashed");
  CHECK_FALSE(message.empty());
  CHECK(message.find('\n') == std::string::npos);
  CHECK(message.find(target.filename().string()) != std::string::npos);
  CHECK(read_bytes(target) == before);
  std::vector<std::string> leftovers;
  for (const auto& entry : fs::directory_iterator(target.parent_path())) {
    if (is_ihd_temporary_name(entry.path().filename().string(), nullptr)) {
      leftovers.push_back(entry.path().filename().string());
    }
  }
  CHECK(leftovers.empty());
}

ResNet tiny_model() {
  ResNetConfig config = resnet_config(18);
  config.width_multiplier = 0.125;
  config.num_outputs = 1;
  return ResNet(config);
}

std::vector<training::EpochRecord> history_of(int epochs) {
  std::vector<training::EpochRecord> records;
  for (int epoch = 1; epoch <= epochs; ++epoch) {
    training::EpochRecord record;
    record.epoch = epoch;
    record.split = "train";
    record.loss = 1.0 / epoch;
    records.push_back(record);
  }
  return records;
}

}  // namespace

TEST_CASE("reliability: full disk: weights, history, config, labels and PNGs keep the old file") {
  const fs::path dir = scratch_dir("full_disk");
  const ResNet model = tiny_model();
  save_weights(model, (dir / "best.safetensors").string());
  check_full_disk_write(dir / "best.safetensors",
                        [&] { save_weights(model, (dir / "best.safetensors").string()); });

  training::write_history(dir, history_of(1));
  check_full_disk_write(dir / "history.csv", [&] { training::write_history(dir, history_of(3)); });

  pipeline::write_run_config(dir / "config.json", {{"arch", "resnet18"}});
  check_full_disk_write(dir / "config.json", [&] {
    pipeline::write_run_config(
        dir / "config.json",
        {{"arch", "resnet50"}, {"epochs", "30"}, {"lr", "0.0001"}, {"out", "runs/a-longer-name"}});
  });

  const fs::path labels_dir = scratch_dir("full_disk_labels");
  data::write_rsna_labels(labels_dir / "labels.csv", {{"ID_a", {}}});
  check_full_disk_write(labels_dir / "labels.csv", [&] {
    data::write_rsna_labels(labels_dir / "labels.csv", {{"ID_a", {}}, {"ID_b", {}}, {"ID_c", {}}});
  });

  const fs::path png_dir = scratch_dir("full_disk_png");
  const std::vector<uint8_t> pixels(64 * 64, 7);
  data::write_png(png_dir / "slice.png", pixels.data(), 2, 2, 1);
  check_full_disk_write(png_dir / "slice.png",
                        [&] { data::write_png(png_dir / "slice.png", pixels.data(), 64, 64, 1); });
}

TEST_CASE("reliability: an output folder that cannot be created stops training naming it") {
  const fs::path dir = scratch_dir("unwritable");
  write_bytes(dir / "a_file", "not a folder");
  pipeline::TrainOptions options;
  options.out = (dir / "a_file" / "run").string();
  options.data_cache = (dir / "data").string();
  options.synth_patients = 4;
  options.synth_slices = 2;
  options.arch = "resnet18";
  options.width = 0.125;
  options.image_size = 32;
  options.batch = 4;
  options.epochs = 1;
  options.threads = 1;
  check_clear_error([&] { pipeline::run_training(options); }, options.out, "");
  CHECK(read_bytes(dir / "a_file") == "not a folder");
}

TEST_CASE("reliability: temporaries of a killed writer are removed, a live writer's are kept") {
  const fs::path dir = scratch_dir("abandoned_temporaries");
  const pid_t finished = ::fork();  // a process ID that is certainly no longer running
  REQUIRE(finished >= 0);
  if (finished == 0) ::_exit(0);
  int status = 0;
  ::waitpid(finished, &status, 0);
  const std::string dead = std::to_string(finished), alive = std::to_string(::getpid());
  // What ihd's writer names its temporaries, for a dead and a live writer, and a user's files
  // that only look like temporaries.
  const std::vector<std::string> of_dead_writer = {"resume.safetensors.ihd-tmp." + dead + ".0",
                                                   "history.csv.ihd-tmp." + dead + ".12345"};
  const std::vector<std::string> kept = {"resume.safetensors.ihd-tmp." + alive + ".3",
                                         "history.csv.ihd-tmp." + alive + ".7",
                                         "notes.tmp.txt",
                                         "thesis.tmp.999999",
                                         "thesis.tmp." + dead,
                                         "draft.ihd-tmp." + dead,
                                         ".ihd-tmp." + dead + ".1"};
  for (const auto& names : {of_dead_writer, kept}) {
    for (const std::string& name : names) std::ofstream(dir / name) << "partial";
  }
  // A synthetic set half written into its temporary folder.
  const fs::path dead_folder = dir / ("synthetic-p2-s1-seed1.ihd-tmp." + dead + ".4");
  fs::create_directories(dead_folder / "stage_2_train");
  std::ofstream(dead_folder / "stage_2_train" / "ID_0.dcm") << "partial";
  CHECK(remove_abandoned_temporaries(dir) == 3);
  CHECK(!fs::exists(dead_folder));
  for (const std::string& name : of_dead_writer) CHECK(!fs::exists(dir / name));
  for (const std::string& name : kept) CHECK(fs::exists(dir / name));
  CHECK(remove_abandoned_temporaries(dir / "missing") == 0);
}

}  // namespace ihd::reliability
