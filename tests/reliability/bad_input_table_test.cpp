// The bad-input table: for each kind of bad input a reader of outside bytes can meet (DICOM, PNG,
// the RSNA CSV, safetensors, config.json, command-line flags), the call fails with one line that
// names the file and the reason, never a crash. docs/RELIABILITY.md lists the same rows.
#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <sstream>

#include "apps/pipeline/flags.h"
#include "apps/pipeline/run_config.h"
#include "common/error.h"
#include "data/dicom_reader.h"
#include "data/png_io.h"
#include "data/rsna_labels.h"
#include "engine/safetensors.h"
#include "model/resnet.h"
#include "model/weights.h"
#include "data/test_paths.h"
#include "reliability_util.h"

namespace ihd::reliability {
namespace {

namespace fs = std::filesystem;

const fs::path kCtFixture =
    fs::path(IHD_TEST_FIXTURES_DIR) / "data" / "dicom" / "rsna_like_padded.dcm";
const fs::path kPydicomFiles = IHD_PYDICOM_TEST_FILES;

// The kind of Error that reading `path` as DICOM throws (the one-line check runs as well).
ErrorKind dicom_error_kind(const fs::path& path, const std::string& reason) {
  check_clear_error([&] { data::read_dicom_hu(path); }, path, reason);
  try {
    data::read_dicom_hu(path);
  } catch (const Error& error) {
    return error.kind();
  }
  FAIL("no Error for ", path);
  return ErrorKind::io;
}

// Our own small CT file, cut just before its PixelData element (tag 7FE0,0010 little endian).
std::string ct_without_pixel_data() {
  const std::string bytes = read_bytes(kCtFixture);
  const std::string pixel_data_tag("\xE0\x7F\x10\x00", 4);
  const size_t tag = bytes.rfind(pixel_data_tag);
  REQUIRE(tag != std::string::npos);
  return bytes.substr(0, tag);
}

ResNetConfig tiny_resnet18(double width) {
  ResNetConfig config = resnet_config(18);
  config.width_multiplier = width;
  config.num_outputs = 1;
  return config;
}

// A valid safetensors file of one F32 tensor of `values` floats, header length patched by
// `header_delta` and the file cut by `cut_bytes`.
std::string safetensors_bytes(const fs::path& dir, int64_t header_delta, size_t cut_bytes) {
  const fs::path path = dir / "valid.safetensors";
  write_safetensors(path.string(), {{"w", Tensor::full(Shape{4}, 1.0f, Device::cpu())}});
  std::string bytes = read_bytes(path);
  uint64_t header_bytes = 0;
  std::memcpy(&header_bytes, bytes.data(), 8);
  header_bytes += static_cast<uint64_t>(header_delta);
  std::memcpy(bytes.data(), &header_bytes, 8);
  return bytes.substr(0, bytes.size() - cut_bytes);
}

}  // namespace

TEST_CASE("reliability: bad DICOM files fail with a typed one-line error naming the file") {
  const fs::path dir = scratch_dir("dicom");
  const std::string ct = read_bytes(kCtFixture);
  write_bytes(dir / "zero_bytes.dcm", "");
  write_bytes(dir / "cut_in_pixels.dcm", ct.substr(0, ct.size() - 200));
  write_bytes(dir / "cut_in_header.dcm", ct.substr(0, 300));
  write_bytes(dir / "cut_before_image.dcm", ct_without_pixel_data());
  write_bytes(dir / "report.dcm", "Patient report\nno findings\n");
  data::write_undecodable_syntax_file(dir / "j2k.dcm");

  CHECK(dicom_error_kind(dir / "zero_bytes.dcm", "empty file") == ErrorKind::empty_file);
  CHECK(dicom_error_kind(dir / "cut_in_pixels.dcm", "truncated") == ErrorKind::truncated);
  CHECK(dicom_error_kind(dir / "cut_in_header.dcm", "truncated") == ErrorKind::truncated);
  CHECK(dicom_error_kind(dir / "cut_before_image.dcm", "PixelData") == ErrorKind::no_pixel_data);
  CHECK(dicom_error_kind(dir / "report.dcm", "not a DICOM file") == ErrorKind::not_dicom);
  CHECK(dicom_error_kind(dir / "j2k.dcm", "no decoder") == ErrorKind::unsupported_transfer_syntax);
  CHECK(dicom_error_kind(dir / "absent.dcm", "cannot open") == ErrorKind::unreadable);
}

TEST_CASE("reliability: a 0-byte or damaged PNG fails naming the file") {
  const fs::path dir = scratch_dir("png");
  write_bytes(dir / "zero_bytes.png", "");
  const uint8_t pixels[4] = {1, 2, 3, 4};
  data::write_png(dir / "good.png", pixels, 2, 2, 1);
  const std::string good = read_bytes(dir / "good.png");
  write_bytes(dir / "half.png", good.substr(0, good.size() / 2));
  check_clear_error([&] { data::read_png(dir / "zero_bytes.png"); }, dir / "zero_bytes.png",
                    "not a PNG file");
  check_clear_error([&] { data::read_png(dir / "half.png"); }, dir / "half.png",
                    "cannot decode PNG");
  // Found by fuzz_png: a chunk declaring 1.6 GB in a file of a few hundred bytes made stb_image
  // reserve the 1.6 GB before reading it. Now the chunks are checked against the file first.
  std::string lying = good;
  const std::size_t idat = lying.find("IDAT");
  REQUIRE(idat != std::string::npos);
  lying.replace(idat - 4, 4, std::string("\x64\x00\x00\x53", 4));
  write_bytes(dir / "lying_chunk.png", lying);
  check_clear_error([&] { data::read_png(dir / "lying_chunk.png"); }, dir / "lying_chunk.png",
                    "PNG chunk declares 1677721683 bytes, more than the file holds after it");
  // Found by fuzz_png: an IDAT chunk of no bytes made stb_image copy into a null buffer
  // (undefined behaviour, reported by UBSan).
  std::string empty_idat = good.substr(0, idat - 4) + std::string("\0\0\0\0IDAT", 8) +
                           std::string("\x35\xaf\x06\x1e", 4) + good.substr(idat - 4);
  write_bytes(dir / "empty_idat.png", empty_idat);
  check_clear_error([&] { data::read_png(dir / "empty_idat.png"); }, dir / "empty_idat.png",
                    "empty PNG IDAT chunk");
}

TEST_CASE("reliability: RSNA CSV: a missing column fails, duplicate and conflicting rows count") {
  const fs::path dir = scratch_dir("csv");
  write_bytes(dir / "no_label.csv", "ID\nID_1_any\n");
  write_bytes(dir / "zero_bytes.csv", "");
  check_clear_error([&] { data::read_rsna_labels(dir / "no_label.csv"); }, dir / "no_label.csv",
                    "columns ID and Label");
  check_clear_error([&] { data::read_rsna_labels(dir / "zero_bytes.csv"); }, dir / "zero_bytes.csv",
                    "empty labels CSV");

  write_bytes(dir / "duplicates.csv",
              "ID,Label\nID_a_any,0\nID_a_any,0\nID_a_any,1\nID_a_subdural\nID_b_any,x\n");
  const data::RsnaLabelTable table = data::read_rsna_labels(dir / "duplicates.csv");
  CHECK(table.rows == 5);
  CHECK(table.duplicate_rows == 1);
  CHECK(table.conflicting_rows == 1);
  CHECK(table.malformed_rows == 1);  // ID_a_subdural: one field
  CHECK(table.bad_label_rows == 1);  // ID_b_any,x: a label that is not 0 or 1
  CHECK(table.excluded_images == 1);  // ID_b
  CHECK(table.by_image.at("ID_a")[data::any_label_index] == 1.0f);  // a missed bleed is worse
}

TEST_CASE("reliability: safetensors with a lying header or wrong shapes fail naming the file") {
  const fs::path dir = scratch_dir("safetensors");
  write_bytes(dir / "long_header.safetensors", safetensors_bytes(dir, 1000, 0));
  write_bytes(dir / "huge_header.safetensors", safetensors_bytes(dir, int64_t{1} << 62, 0));
  write_bytes(dir / "short_data.safetensors", safetensors_bytes(dir, 0, 4));
  write_bytes(dir / "empty.safetensors", "");
  for (const char* name : {"long_header.safetensors", "huge_header.safetensors",
                           "short_data.safetensors", "empty.safetensors"}) {
    CAPTURE(name);
    check_clear_error([&] { read_safetensors((dir / name).string()); }, dir / name,
                      "safetensors file");
  }

  const fs::path narrow = dir / "narrow.safetensors";
  save_weights(ResNet(tiny_resnet18(0.125)), narrow.string());
  const std::string before = read_bytes(narrow);
  // The message lists every mismatched tensor, one per line; its first line says what failed.
  const std::string message =
      thrown_message([&] { load_weights(ResNet(tiny_resnet18(0.25)), narrow.string()); });
  CAPTURE(message);
  const std::string first_line = message.substr(0, message.find('\n'));
  CHECK(first_line.find(narrow.string()) != std::string::npos);
  CHECK(first_line.find("the model was left unchanged") != std::string::npos);
  CHECK(message.find(
            "conv1.weight: file has F32 [8, 3, 7, 7], model expects float32 [16, 3, 7, 7]") !=
        std::string::npos);
  CHECK(read_bytes(narrow) == before);
}

TEST_CASE("reliability: a damaged config.json and bad flags fail with a one-line reason") {
  const fs::path dir = scratch_dir("config");
  write_bytes(dir / "cut.json", "{\n  \"arch\": \"resnet");
  write_bytes(dir / "list.json", "[1, 2]");
  write_bytes(dir / "number.json", "{\"epochs\": 3}");
  // Found by fuzz_config: a backslash-u escape without four hex digits threw std::invalid_argument.
  write_bytes(dir / "not_hex.json", "{\"arch\": \"\\u00zz\"}");
  write_bytes(dir / "signed_hex.json", "{\"arch\": \"\\u-7ff\"}");
  write_bytes(dir / "fuzz_crash.json", std::string("{\n  \"\f\t\000\\u\0004:,", 14));
  write_bytes(dir / "nested.json", "{\"arch\": {\"depth\": \"50\"}}");
  write_bytes(dir / "duplicate.json", "{\"arch\": \"resnet18\", \"arch\": \"resnet50\"}");
  write_bytes(dir / "latin1.json", "{\"data\": \"caf\xE9\"}");  // JSON must be UTF-8
  write_bytes(dir / "huge.json", "{\"note\": \"" + std::string(std::size_t{2} << 20, 'x') + "\"}");
  for (const char* name : {"cut.json", "list.json", "number.json", "not_hex.json",
                           "signed_hex.json", "fuzz_crash.json", "nested.json", "duplicate.json",
                           "latin1.json", "huge.json", "absent.json"}) {
    CAPTURE(name);
    check_clear_error([&] { pipeline::read_run_config(dir / name); }, dir / name, name);
  }

  int batch = 32;
  pipeline::FlagSet flags("ihd_test", "");
  flags.add("batch", batch, "N", "images per step").range(2, 4096);
  for (const char* bad :
       {"--batch=abc", "--batch=9999999999999", "--batch", "--bach=3", "--batch=1"}) {
    const char* argv[] = {"ihd_test", bad};
    const std::string message = thrown_message([&] { flags.parse(2, argv); });
    CAPTURE(bad);
    CHECK(message.find('\n') == std::string::npos);
    CHECK(
        (message.find("batch") != std::string::npos || message.find("bach") != std::string::npos));
  }
  CHECK(batch == 32);
}

}  // namespace ihd::reliability
