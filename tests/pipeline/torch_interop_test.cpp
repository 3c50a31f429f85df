// scripts/ihd_to_torch.py against ihd_predict: a tiny six-label run on the synthetic set (512 x
// 512 slices, shrunk to 64), ImageNet normalisation, a reduced width), then the same DICOM files
// scored by ihd_predict and by the script in PyTorch (torchvision's ResNet, pydicom, the script's
// own preprocessing). Every calibrated probability agrees to 1e-4. pydicom's CT_small.dcm (128 x
// 128, a real scanner's header) and MR_small.dcm (64 x 64, no resize; scored under
// --allow-non-ct by both, refused by both without it) are among the files.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "apps/pipeline/trainer.h"
#include "common/delimited.h"

namespace ihd::pipeline {
namespace {

namespace fs = std::filesystem;

// id -> column name -> value, of a CSV with a header row.
using CsvTable = std::map<std::string, std::map<std::string, double>>;

CsvTable read_table(const fs::path& path) {
  RecordReader reader(path, TextFormat::csv, ErrorKind::bad_csv);
  std::vector<std::string> header, fields;
  REQUIRE(reader.next(header));
  CsvTable table;
  while (reader.next(fields)) {
    REQUIRE(fields.size() == header.size());
    for (size_t k = 1; k < fields.size(); ++k) table[fields[0]][header[k]] = std::stod(fields[k]);
  }
  return table;
}

int run(const std::string& command) {
  return std::system(command.c_str());
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

TEST_CASE("ihd_to_torch.py reproduces ihd_predict's probabilities in PyTorch to 1e-4") {
  const fs::path dir = fs::absolute("torch_interop");
  fs::remove_all(dir);
  TrainOptions o;
  o.out = (dir / "run").string();
  o.data_cache = (dir / "data").string();
  o.synth_patients = 12;
  o.synth_slices = 4;
  o.labels = "all";
  o.normalize = "imagenet";
  o.arch = "resnet18";
  o.width = 0.25;
  o.image_size = 64;
  o.batch = 8;
  o.epochs = 2;
  o.threads = 2;
  o.workers = 1;
  run_training(o);

  std::string files;
  const fs::path slices = dir / "data" / "synthetic-p12-s4-seed1" / "stage_2_train";
  int slice_count = 0;
  for (const auto& entry : fs::directory_iterator(slices)) {
    if (entry.path().extension() == ".dcm" && slice_count++ < 12) {
      files += " " + entry.path().string();
    }
  }
  REQUIRE(slice_count >= 12);
  const fs::path pydicom(IHD_PYDICOM_TEST_FILES);
  files += " " + (pydicom / "CT_small.dcm").string() + " " + (pydicom / "MR_small.dcm").string();

  const fs::path ihd_csv = dir / "ihd.csv", torch_csv = dir / "torch.csv";
  REQUIRE(run(std::string(IHD_PREDICT_BINARY) + " --allow-non-ct --model " + o.out + " --out " +
              ihd_csv.string() + files + " > " + (dir / "predict.log").string() + " 2>&1") == 0);
  const std::string script = std::string(IHD_TORCH_PYTHON) + " " + IHD_TO_TORCH_SCRIPT + " ";
  REQUIRE(run(script + "--allow-non-ct " + o.out + files + " > " + torch_csv.string() + " 2> " +
              (dir / "torch.log").string()) == 0);

  const CsvTable ihd = read_table(ihd_csv), torch = read_table(torch_csv);
  REQUIRE(ihd.size() == 14);
  REQUIRE(torch.size() == ihd.size());
  double largest_difference = 0;
  for (const auto& [id, ihd_row] : ihd) {
    CAPTURE(id);
    REQUIRE(torch.count(id) == 1);
    const auto& torch_row = torch.at(id);
    REQUIRE(torch_row.size() == 6);
    for (const auto& [column, probability] : torch_row) {
      CAPTURE(column);
      REQUIRE(ihd_row.count(column) == 1);
      largest_difference = std::max(largest_difference, std::abs(ihd_row.at(column) - probability));
      CHECK(std::abs(ihd_row.at(column) - probability) <= 1e-4);
    }
  }
  MESSAGE("largest probability difference, ihd_predict vs PyTorch: ", largest_difference);

  // Without --allow-non-ct the script refuses the MR file as ihd_predict does, and goes on.
  REQUIRE(run(script + o.out + " " + (pydicom / "MR_small.dcm").string() + " " +
              (pydicom / "CT_small.dcm").string() + " > " + torch_csv.string() + " 2> " +
              (dir / "torch.log").string()) == 0);
  CHECK(read_table(torch_csv).count("MR_small") == 0);
  CHECK(read_table(torch_csv).count("CT_small") == 1);
  CHECK(read_text(dir / "torch.log").find("Modality MR, not CT") != std::string::npos);
  fs::remove_all(dir);
}

}  // namespace ihd::pipeline
