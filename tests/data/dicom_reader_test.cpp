// DICOM reader tests: decoded HU and metadata checked against dicom_reference.tsv, which
// scripts/make_dicom_reference.py wrote with pydicom + numpy (pydicom's own test files and tiny
// files pydicom wrote), plus compressed files pydicom cannot decode here (checked against their
// uncompressed twins or pydicom's published test values) and the clean errors on bad input.
#include "data/dicom_reader.h"

#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "common/error.h"
#include "data/test_paths.h"

namespace ihd::data {
namespace {

using Reference = std::map<std::string, std::string>;

std::map<std::string, Reference> load_reference() {
  std::map<std::string, Reference> by_file;
  std::ifstream in(fixture_path("dicom_reference.tsv"));
  REQUIRE(in.good());
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    Reference fields;
    std::istringstream parts(line);
    std::string field;
    while (std::getline(parts, field, '\t')) {
      const auto equals = field.find('=');
      fields[field.substr(0, equals)] = field.substr(equals + 1);
    }
    by_file[fields["file"]] = fields;
  }
  return by_file;
}

std::vector<double> split_doubles(const std::string& text, char separator) {
  std::vector<double> values;
  std::istringstream in(text);
  std::string item;
  while (std::getline(in, item, separator))
    if (!item.empty()) values.push_back(std::stod(item));
  return values;
}

void check_against_reference(const HuImage& image, const Reference& ref) {
  CHECK(image.rows == std::stoi(ref.at("rows")));
  CHECK(image.columns == std::stoi(ref.at("columns")));
  CHECK(image.metadata.patient_id == ref.at("patient_id"));
  CHECK(image.metadata.study_instance_uid == ref.at("study"));
  CHECK(image.metadata.series_instance_uid == ref.at("series"));
  const auto position = split_doubles(ref.at("position"), '\\');
  CHECK(image.metadata.has_image_position == (position.size() == 3));
  for (size_t i = 0; i < position.size(); ++i)
    CHECK(image.metadata.image_position_patient_mm[i] == doctest::Approx(position[i]));
  const auto spacing = split_doubles(ref.at("spacing"), '\\');
  for (size_t i = 0; i < spacing.size(); ++i)
    CHECK(image.metadata.pixel_spacing_mm[i] == doctest::Approx(spacing[i]));
  CHECK(image.metadata.window_centers == split_doubles(ref.at("window_centers"), '\\'));
  CHECK(image.metadata.window_widths == split_doubles(ref.at("window_widths"), '\\'));

  double sum = 0;
  float lowest = image.hu[0], highest = image.hu[0];
  for (float value : image.hu) {
    sum += value;
    lowest = std::min(lowest, value);
    highest = std::max(highest, value);
  }
  CHECK(sum == doctest::Approx(std::stod(ref.at("hu_sum"))).epsilon(1e-9));
  CHECK(lowest == doctest::Approx(std::stod(ref.at("hu_min"))));
  CHECK(highest == doctest::Approx(std::stod(ref.at("hu_max"))));
  std::istringstream pixels(ref.at("pixels"));
  std::string pixel;
  while (std::getline(pixels, pixel, ';')) {
    const auto rcv = split_doubles(pixel, ',');
    REQUIRE(rcv.size() == 3);
    CHECK(image.at(static_cast<int>(rcv[0]), static_cast<int>(rcv[1])) == doctest::Approx(rcv[2]));
  }
}

std::filesystem::path reference_file_path(const std::string& name) {
  const auto tiny = fixture_path("dicom") / name;
  return std::filesystem::exists(tiny) ? tiny : pydicom_test_file(name);
}

ErrorKind error_kind_of(const std::filesystem::path& path) {
  try {
    read_dicom_hu(path);
  } catch (const Error& error) {
    CHECK(error.path() == path.string());
    CHECK(std::string(error.what()).find('\n') == std::string::npos);
    return error.kind();
  }
  FAIL("no Error for " << path);
  return ErrorKind::io;
}

}  // namespace

TEST_CASE("data: every reference file decodes to pydicom's HU and metadata") {
  const auto reference = load_reference();
  REQUIRE(reference.size() >= 13);
  for (const auto& [name, fields] : reference) {
    CAPTURE(name);
    check_against_reference(read_dicom_hu(reference_file_path(name)), fields);
  }
}

TEST_CASE("data: the RSNA wrong-intercept fix is applied and reported") {
  const auto image = read_dicom_hu(fixture_path("dicom") / "rsna_wrong_intercept.dcm");
  CHECK(image.metadata.rsna_intercept_fixed);
  CHECK(image.metadata.rescale_intercept == -5.0);
  CHECK(rsna_fixed_stored_value(3096) == 0);
  CHECK(rsna_fixed_stored_value(3095) == 4095);
  CHECK_FALSE(needs_rsna_intercept_fix(12, 0, -1024.0));
  CHECK_FALSE(needs_rsna_intercept_fix(16, 0, 0.0));
  CHECK_FALSE(needs_rsna_intercept_fix(12, 1, 0.0));
  CHECK_FALSE(
      read_dicom_hu(fixture_path("dicom") / "rsna_like_padded.dcm").metadata.rsna_intercept_fixed);
}

TEST_CASE("data: lossless compressed files decode to their uncompressed twin's reference") {
  const auto reference = load_reference();
  for (const char* name : {"MR_small_RLE.dcm", "MR_small_jpeg_ls_lossless.dcm"}) {
    CAPTURE(name);
    check_against_reference(read_dicom_hu(pydicom_test_file(name)), reference.at("MR_small.dcm"));
  }
}

TEST_CASE("data: lossy JPEG extended (12-bit) decodes to the values pydicom's tests publish") {
  // pydicom/tests/test_gdcm_pixel_data.py: points "manually identified in Osirix viewer".
  for (const char* name : {"JPEG-lossy.dcm", "JPGExtended.dcm"}) {
    CAPTURE(name);
    const auto image = read_dicom_hu(pydicom_test_file(name));
    CHECK(image.rows == 1024);
    CHECK(image.columns == 256);
    CHECK(image.at(420, 140) == 244.0f);
    CHECK(image.at(230, 120) == 95.0f);
  }
}

TEST_CASE("data: header-only reading gives the same metadata without decoding pixels") {
  const auto meta = read_dicom_metadata(fixture_path("dicom") / "rsna_like_padded.dcm");
  CHECK(meta.study_instance_uid == "ID_5a5ef3a5e6");
  CHECK(meta.image_position_patient_mm[2] == doctest::Approx(141.25));
  CHECK(meta.rows == 16);
  CHECK(read_dicom_metadata(pydicom_test_file("JPEG2000.dcm")).rows == 1024);
}

TEST_CASE("data: files we cannot decode fail with a typed one-line error naming the file") {
  const auto dir = scratch_dir("dicom_undecodable");
  write_undecodable_syntax_file(dir / "j2k_part2.dcm");
  CHECK(error_kind_of(dir / "j2k_part2.dcm") == ErrorKind::unsupported_transfer_syntax);
  CHECK(error_kind_of(pydicom_test_file("MR_truncated.dcm")) == ErrorKind::truncated);
  CHECK(error_kind_of(pydicom_test_file("rtplan.dcm")) == ErrorKind::no_pixel_data);
  CHECK(error_kind_of(pydicom_test_file("SC_rgb_rle.dcm")) == ErrorKind::unsupported_pixel_format);
  CHECK(error_kind_of(pydicom_test_file("liver_1frame.dcm")) ==
        ErrorKind::unsupported_pixel_format);
  try {
    read_dicom_hu(dir / "j2k_part2.dcm");
    FAIL("decoded a syntax without a decoder");
  } catch (const Error& error) {
    CHECK(std::string(error.what()).find("unsupported transfer syntax") != std::string::npos);
    CHECK(std::string(error.what()).find("1.2.840.10008.1.2.4.92") != std::string::npos);
  }
}

TEST_CASE("data: bad input files: empty, not DICOM, missing") {
  const auto dir = scratch_dir("dicom_bad_input");
  std::ofstream(dir / "empty.dcm").close();
  std::ofstream(dir / "text.dcm") << "this is a text file pretending to be DICOM\n";
  {
    std::ofstream noise(dir / "noise.dcm", std::ios::binary);
    for (int i = 0; i < 4096; ++i) noise.put(static_cast<char>((i * 7919) & 0xff));
  }
  CHECK(error_kind_of(dir / "empty.dcm") == ErrorKind::empty_file);
  CHECK(error_kind_of(dir / "text.dcm") == ErrorKind::not_dicom);
  CHECK(error_kind_of(dir / "noise.dcm") == ErrorKind::not_dicom);
  CHECK(error_kind_of(dir / "missing.dcm") == ErrorKind::unreadable);
}

}  // namespace ihd::data
