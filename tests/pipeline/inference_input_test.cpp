// What ihd_predict reads: a DICOM file whose Modality is not CT is refused with one line naming
// the file and the flag that allows it.
#include <doctest/doctest.h>

#include <filesystem>

#include "apps/pipeline/inference.h"
#include "common/error.h"

namespace ihd::pipeline {
namespace {

namespace fs = std::filesystem;

fs::path pydicom_file(const std::string& name) {
  return fs::path(IHD_PYDICOM_TEST_FILES) / name;
}

}  // namespace

TEST_CASE("a DICOM file that is not CT is refused, naming the file and --allow-non-ct") {
  const TrainOptions options;
  const fs::path mr = pydicom_file("MR_small.dcm");
  try {
    prepare_input(mr, options, InputReading{});
    FAIL("MR_small.dcm was read as CT");
  } catch (const Error& error) {
    CHECK(error.kind() == ErrorKind::not_ct);
    CHECK(std::string(error.what()) ==
          mr.string() +
              ": Modality MR, not CT: the model reads head CT (--allow-non-ct to score it anyway)");
  }
  CHECK(prepare_input(mr, options, InputReading{.allow_non_ct = true}).pixels.size() ==
        static_cast<size_t>(options.image_size) * options.image_size * options.channels);
  CHECK_NOTHROW(prepare_input(pydicom_file("CT_small.dcm"), options, InputReading{}));
}

}  // namespace ihd::pipeline
