// Multi-frame DICOM in the tools: every frame is a slice. An Enhanced CT of five frames (written by
// pydicom, tests/data/make_enhanced_ct.py) is prepared as five inputs named <stem>_frame1..5, each
// exactly what its frame saved as a single-frame DICOM file prepares to; and predict_studies
// scores the five frames as one study whose slices have the probabilities of those five files,
// with the slice model alone and with a (small, untrained) sequence stage, which reads the frames
// in their order along the series. The study's DICOM results reference the key slices' frames
// (ReferencedFrameNumber in the SR's image references and the Secondary Captures' source), and
// dicom3tools' dciodvfy finds no error in them.
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcstack.h>
#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "apps/pipeline/dicom_results.h"
#include "apps/pipeline/model_setup.h"
#include "apps/pipeline/study_prediction.h"
#include "data/dicom_reader.h"
#include "data/dicom_writer.h"
#include "data/test_paths.h"
#include "pipeline/untrained_model.h"

namespace ihd::pipeline {
namespace {

namespace fs = std::filesystem;

// A sequence stage for `slice` with initial weights (a pure function of its config).
TrainedSequenceStage untrained_stage(const TrainedModel& slice) {
  TrainedSequenceStage stage;
  SequenceModelConfig config;
  config.input_features =
      feature_channels(slice.model->config()) + static_cast<int>(slice.label_names.size());
  config.projected_features = 16;
  config.hidden = 8;
  config.outputs = 1;
  stage.model = std::make_unique<SequenceModel>(config);
  stage.model->eval();
  stage.calibration.label_names = {"any"};
  stage.calibration.temperatures = {1.0};
  stage.calibration.decision_thresholds = {0.5};
  return stage;
}

struct FramesAndSingles {
  fs::path multi_frame;
  std::vector<fs::path> singles;  // frame k saved alone
};

FramesAndSingles write_inputs(const fs::path& dir) {
  FramesAndSingles inputs;
  inputs.multi_frame = dir / "enhanced.dcm";
  REQUIRE_MESSAGE(data::run_quietly({"/usr/bin/python3", IHD_MAKE_ENHANCED_CT_SCRIPT, "write",
                                     inputs.multi_frame.string(), (dir / "hu.f32").string(),
                                     (dir / "positions.tsv").string()}),
                  "make_enhanced_ct.py failed: needs /usr/bin/python3 with pydicom and numpy");
  fs::create_directories(dir / "singles");
  data::read_dicom_hu_frames(inputs.multi_frame, {}, [&](data::HuImage&& frame) {
    const std::string number = std::to_string(frame.metadata.frame + 1);
    frame.metadata.sop_instance_uid.append(".").append(number);
    const fs::path single = dir / "singles" / ("frame" + number + ".dcm");
    data::write_ct_dicom(single, frame, data::CtEncoding::signed16_intercept_1024);
    inputs.singles.push_back(single);
  });
  return inputs;
}

}  // namespace

TEST_CASE("a multi-frame DICOM file is one input per frame, each as its frame alone") {
  const fs::path dir = data::scratch_dir("multiframe_inputs");
  const FramesAndSingles inputs = write_inputs(dir);
  REQUIRE(inputs.singles.size() == 5);
  const TrainedModel trained = untrained_model(32);
  const std::vector<PreparedInput> frames = prepare_inputs(inputs.multi_frame, trained.options, {});
  REQUIRE(frames.size() == 5);
  for (int k = 0; k < 5; ++k) {
    CAPTURE(k);
    CHECK(frames[k].id == "enhanced_frame" + std::to_string(k + 1));
    CHECK(frames[k].frame == k);
    CHECK(frames[k].frames == 5);
    const std::vector<PreparedInput> single =
        prepare_inputs(inputs.singles[k], trained.options, {});
    REQUIRE(single.size() == 1);
    CHECK(single[0].id == "frame" + std::to_string(k + 1));
    CHECK(frames[k].pixels == single[0].pixels);
  }
}

TEST_CASE("predict_studies scores each frame of a multi-frame file as a slice of its study") {
  const fs::path dir = data::scratch_dir("multiframe_studies");
  const FramesAndSingles inputs = write_inputs(dir);
  const TrainedModel trained = untrained_model(32);
  const std::optional<TrainedSequenceStage> no_stage;
  const std::optional<TrainedSequenceStage> stage = untrained_stage(trained);
  auto study_of = [&](const std::vector<fs::path>& files,
                      const std::optional<TrainedSequenceStage>& sequence_stage) {
    std::vector<StudyPrediction> studies;
    StudyCallbacks callbacks;
    callbacks.study = [&](const StudyPrediction& study) { studies.push_back(study); };
    callbacks.skipped = [](const fs::path& file, const std::exception& error) {
      FAIL(file.string() << " skipped: " << error.what());
    };
    predict_studies(trained, sequence_stage, files, {}, 2, Device::cpu(), callbacks);
    REQUIRE(studies.size() == 1);
    return studies[0];
  };
  for (const bool two_stage : {false, true}) {
    CAPTURE(two_stage);
    const auto& sequence_stage = two_stage ? stage : no_stage;
    const StudyPrediction frames = study_of({inputs.multi_frame}, sequence_stage);
    const StudyPrediction singles = study_of(inputs.singles, sequence_stage);
    CHECK(frames.study_instance_uid == "1.2.826.0.1.3680043.10.1137.1");
    REQUIRE(frames.slices.size() == 5);
    REQUIRE(singles.slices.size() == 5);
    // The slice model alone: in input order; with the sequence stage: along the series (frame z
    // 12.5, 2.5, 7.5, 17.5, -2.5 mm -> frames 5, 2, 3, 1, 4).
    const std::vector<int> order =
        two_stage ? std::vector<int>{4, 1, 2, 0, 3} : std::vector<int>{0, 1, 2, 3, 4};
    for (size_t s = 0; s < 5; ++s) {
      CAPTURE(s);
      CHECK(frames.slices[s].frame == order[s]);
      CHECK(frames.slices[s].id == "enhanced_frame" + std::to_string(order[s] + 1));
      CHECK(singles.slices[s].id == "frame" + std::to_string(order[s] + 1));
      CHECK(frames.slices[s].probabilities == singles.slices[s].probabilities);
    }
    CHECK(frames.probabilities == singles.probabilities);
    CHECK(frames.key_slices == singles.key_slices);
  }
}

TEST_CASE("DICOM results of a multi-frame study reference the frames of its key slices") {
  const fs::path dir = data::scratch_dir("multiframe_dicom_results");
  const FramesAndSingles inputs = write_inputs(dir);
  const TrainedModel trained = untrained_model(32);
  std::vector<StudyPrediction> studies;
  StudyCallbacks callbacks;
  callbacks.study = [&](const StudyPrediction& study) { studies.push_back(study); };
  predict_studies(trained, std::nullopt, {inputs.multi_frame}, {}, 4, Device::cpu(), callbacks);
  REQUIRE(studies.size() == 1);
  const StudyPrediction& study = studies[0];
  fs::create_directories(dir / "out");
  const StudyDicomFiles files =
      write_study_dicom(study, study_scoring(trained, std::nullopt, -1), trained, std::nullopt, {},
                        dir / "out", Device::cpu());
  // The frame numbers (from 1) of the key slices, highest `any` first.
  std::vector<long> key_frames;
  for (size_t k : study.key_slices) key_frames.push_back(study.slices[k].frame + 1);
  REQUIRE(key_frames.size() == 5);

  auto frame_numbers = [](const fs::path& file) {
    DcmFileFormat format;
    REQUIRE(format.loadFile(file.c_str()).good());
    DcmStack found;
    std::vector<long> numbers;
    while (format.getDataset()
               ->search(DCM_ReferencedFrameNumber, found, ESM_afterStackTop, true)
               .good()) {
      OFString value;
      REQUIRE(static_cast<DcmElement*>(found.top())->getOFString(value, 0).good());
      numbers.push_back(std::stol(value.c_str()));
    }
    return numbers;
  };
  CHECK(frame_numbers(files.report) == key_frames);  // the source of each key slice, in order
  REQUIRE(files.captures.size() == 5);
  for (size_t i = 0; i < 5; ++i) {
    CAPTURE(i);
    CHECK(frame_numbers(files.captures[i]) == std::vector<long>{key_frames[i]});
  }
  for (const fs::path& file : std::vector<fs::path>{files.report, files.captures[0]}) {
    std::string output;
    FILE* pipe = ::popen(("dciodvfy '" + file.string() + "' 2>&1").c_str(), "r");
    REQUIRE(pipe != nullptr);
    char buffer[4096];
    for (size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) output.append(buffer, n);
    const int status = ::pclose(pipe);
    INFO("dciodvfy " << file << " (Debian's dicom3tools, which scripts/test.sh installs):\n"
                     << output);
    CHECK(status != -1);
    CHECK(output.find("\nError") == std::string::npos);
    CHECK(output.rfind("Error", 0) != 0);
    CHECK(output.find("not found") == std::string::npos);
  }
}

}  // namespace ihd::pipeline
