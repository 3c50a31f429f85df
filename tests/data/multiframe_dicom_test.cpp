// Multi-frame (Enhanced) CT: every frame a slice, with its position and rescale from the
// functional groups. The input is written by pydicom (make_enhanced_ct.py, an independent writer)
// with the HU it holds computed by numpy; GDCM's gdcmconv compresses it into JPEG 2000 and RLE
// (and decodes it back with --raw), and pydicom re-encapsulates the JPEG 2000 frames in two
// fragments each, with and without a basic offset table. Every frame must come out with numpy's
// HU (exactly: the syntaxes are lossless), its own position, and its place in the series.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "common/error.h"
#include "data/dicom_reader.h"
#include "data/series.h"
#include "data/test_paths.h"

namespace ihd::data {
namespace {

namespace fs = std::filesystem;

constexpr int kFrames = 5, kRows = 24, kColumns = 20;

bool make_enhanced_ct(const std::vector<std::string>& arguments) {
  std::vector<std::string> words = {"/usr/bin/python3", IHD_MAKE_ENHANCED_CT_SCRIPT};
  words.insert(words.end(), arguments.begin(), arguments.end());
  return run_quietly(words);
}

std::vector<HuImage> all_frames(const fs::path& file) {
  std::vector<HuImage> frames;
  read_dicom_hu_frames(file, {}, [&](HuImage&& frame) { frames.push_back(std::move(frame)); });
  return frames;
}

std::vector<float> read_floats(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::vector<float> values(static_cast<size_t>(kFrames) * kRows * kColumns);
  in.read(reinterpret_cast<char*>(values.data()),
          static_cast<std::streamsize>(values.size() * sizeof(float)));
  REQUIRE(in.good());
  return values;
}

std::vector<std::array<double, 3>> read_positions(const fs::path& file) {
  std::ifstream in(file);
  std::vector<std::array<double, 3>> positions;
  for (std::array<double, 3> p{}; in >> p[0] >> p[1] >> p[2];) positions.push_back(p);
  return positions;
}

struct EnhancedCt {
  fs::path dir, file;
  std::vector<float> expected_hu;  // frame after frame
  std::vector<std::array<double, 3>> positions;
};

EnhancedCt write_enhanced_ct(const std::string& name) {
  EnhancedCt ct;
  ct.dir = scratch_dir(name);
  ct.file = ct.dir / "enhanced.dcm";
  REQUIRE_MESSAGE(make_enhanced_ct({"write", ct.file.string(), (ct.dir / "hu.f32").string(),
                                    (ct.dir / "positions.tsv").string()}),
                  "make_enhanced_ct.py failed: needs /usr/bin/python3 with pydicom and numpy");
  ct.expected_hu = read_floats(ct.dir / "hu.f32");
  ct.positions = read_positions(ct.dir / "positions.tsv");
  REQUIRE(ct.positions.size() == kFrames);
  return ct;
}

// Every frame of `file` has numpy's HU and its own position and frame number.
void check_frames(const fs::path& file, const EnhancedCt& ct) {
  const std::vector<HuImage> frames = all_frames(file);
  REQUIRE(frames.size() == kFrames);
  for (int k = 0; k < kFrames; ++k) {
    CAPTURE(k);
    const HuImage& frame = frames[k];
    REQUIRE(frame.rows == kRows);
    REQUIRE(frame.columns == kColumns);
    CHECK(frame.metadata.frame == k);
    CHECK(frame.metadata.frames == kFrames);
    CHECK(frame.metadata.frame_geometry.empty());
    REQUIRE(frame.metadata.has_image_position);
    for (int axis = 0; axis < 3; ++axis)
      CHECK(frame.metadata.image_position_patient_mm[axis] == ct.positions[k][axis]);
    REQUIRE(frame.metadata.has_image_orientation);
    CHECK(frame.metadata.pixel_spacing_mm[1] == 0.625);
    size_t mismatches = 0;
    for (int i = 0; i < kRows * kColumns; ++i)
      mismatches += frame.hu[i] != ct.expected_hu[static_cast<size_t>(k) * kRows * kColumns + i];
    CHECK(mismatches == 0);
  }
}

}  // namespace

TEST_CASE("data: every frame of an Enhanced CT has its own HU, position and rescale") {
  const EnhancedCt ct = write_enhanced_ct("enhanced_ct");
  check_frames(ct.file, ct);
  // The header alone carries each frame's geometry; frame 3's own rescale (slope 2) overrides the
  // shared one.
  const DicomMetadata header = read_dicom_metadata(ct.file);
  REQUIRE(header.frame_geometry.size() == kFrames);
  CHECK(header.frame_geometry[3].rescale_slope == 2.0);
  CHECK(header.frame_geometry[3].rescale_intercept == -1000.0);
  CHECK(header.frame_geometry[0].rescale_intercept == -1024.0);
  CHECK(metadata_of_frame(header, 4).image_position_patient_mm[2] == ct.positions[4][2]);
  // read_dicom_hu still gives the first frame.
  const HuImage first = read_dicom_hu(ct.file);
  CHECK(first.metadata.frame == 0);
  CHECK(first.hu[0] == ct.expected_hu[0]);
}

TEST_CASE("data: multi-frame JPEG 2000 and RLE decode frame by frame as GDCM decodes them") {
  const EnhancedCt ct = write_enhanced_ct("enhanced_ct_compressed");
  for (const std::string flag : {"--j2k", "--rle"}) {
    CAPTURE(flag);
    const fs::path compressed = ct.dir / ("compressed" + flag + ".dcm");
    const fs::path raw = ct.dir / ("gdcm_raw" + flag + ".dcm");
    REQUIRE(gdcmconv({flag, ct.file.string(), compressed.string()}));
    REQUIRE(gdcmconv({"--raw", compressed.string(), raw.string()}));
    CHECK(read_dicom_metadata(compressed).transfer_syntax_uid ==
          (flag == "--j2k" ? "1.2.840.10008.1.2.4.90" : "1.2.840.10008.1.2.5"));
    check_frames(compressed, ct);
    check_frames(raw, ct);
  }
  // Frames of two fragments each: found through the offset table, or, without one, through the
  // end-of-codestream marker closing each frame's last fragment.
  const fs::path j2k = ct.dir / "compressed--j2k.dcm";
  for (const std::string table : {"bot", "no-bot"}) {
    CAPTURE(table);
    const fs::path split = ct.dir / ("split_" + table + ".dcm");
    REQUIRE(make_enhanced_ct({"reencapsulate", j2k.string(), split.string(), "2", table}));
    check_frames(split, ct);
  }
}

TEST_CASE("data: the frames of one file are slices of its series, in position order") {
  const EnhancedCt ct = write_enhanced_ct("enhanced_ct_series");
  const DicomMetadata header = read_dicom_metadata(ct.file);
  std::vector<SliceLocation> slices;
  for (int k = 0; k < kFrames; ++k)
    slices.push_back(slice_location(metadata_of_frame(header, k), ct.file.string()));
  const SeriesIndex index = order_series(slices);
  REQUIRE(index.series.size() == 1);
  const OrderedSeries& series = index.series[0];
  CHECK(series.ordered_by == SeriesOrderKey::slice_normal);
  CHECK(series.duplicates.empty());
  // z of frames 0..4: 12.5, 2.5, 7.5, 17.5, -2.5 -> along the normal: 4, 1, 2, 0, 3.
  CHECK(series.slices == std::vector<size_t>{4, 1, 2, 0, 3});
  CHECK(series.median_step_mm == doctest::Approx(5.0));
  CHECK(series.gaps == 0);
}

TEST_CASE("data: a multi-frame header that contradicts itself is refused naming the file") {
  const fs::path dir = scratch_dir("enhanced_ct_refused");
  const EnhancedCt ct = write_enhanced_ct("enhanced_ct_refused_source");
  // NumberOfFrames 4 against five per-frame items (the pixel data still holds five frames).
  std::ifstream in(ct.file, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string frames_element(
      "\x28\x00\x08\x00IS\x02\x00"
      "5 ",
      10);
  const size_t at = bytes.find(frames_element);
  REQUIRE(at != std::string::npos);
  bytes[at + 8] = '4';
  const fs::path four = dir / "four_frames.dcm";
  std::ofstream(four, std::ios::binary) << bytes;
  try {
    read_dicom_metadata(four);
    FAIL("read a header whose frame counts disagree");
  } catch (const Error& error) {
    CHECK(error.kind() == ErrorKind::bad_value);
    CHECK(std::string(error.what()).find(four.string()) != std::string::npos);
    CHECK(std::string(error.what()).find("has 5 items for NumberOfFrames 4") != std::string::npos);
  }
  DicomLimits few_frames;
  few_frames.max_frames = 4;
  try {
    read_dicom_metadata(ct.file, few_frames);
    FAIL("read more frames than the limit");
  } catch (const Error& error) {
    CHECK(error.kind() == ErrorKind::too_large);
    CHECK(std::string(error.what()).find("NumberOfFrames 5 exceeds the limit of 4") !=
          std::string::npos);
  }
}

}  // namespace ihd::data
