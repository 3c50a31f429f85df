// The DICOM reader's limits against hostile files built here byte by byte (dicom_bytes.h): each is
// refused with its ErrorKind and a one-line message naming the file and the reason, read in a
// forked child that must end normally and stay under 400 MB resident; raising the limits lets a
// legitimately large image through.
#include <doctest/doctest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include "common/error.h"
#include "data/dicom_bytes.h"
#include "data/dicom_reader.h"
#include "data/test_paths.h"

namespace ihd::data {
namespace {

namespace fs = std::filesystem;
using namespace dicom_bytes;

constexpr long max_child_rss_bytes = 400L << 20;
constexpr Syntax ele = Syntax::explicit_little;

void write_file(const fs::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

std::string pixel_data(std::uint32_t bytes) {
  return element_header(ele, pixel_data_tag, "OW", bytes) + std::string(bytes, '\0');
}

// A 64 x 64 16-bit image around `extra` attributes (which may replace Rows or Columns).
std::string small_image(const std::string& extra, std::uint16_t rows = 64,
                        std::uint16_t columns = 64) {
  return part10(explicit_little_uid,
                image_attributes(ele, rows, columns) + extra + pixel_data(64 * 64 * 2));
}

// What a read in a forked child did: how it ended, its peak resident memory, and the Error it
// threw (kind and message).
struct ChildRead {
  bool exited = false;
  int exit_code = -1;
  int signal = 0;
  long peak_rss_bytes = 0;
  std::string kind;
  std::string message;
};

ChildRead read_in_child(const std::function<void()>& read) {
  int channel[2];
  REQUIRE(pipe(channel) == 0);
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    close(channel[0]);
    std::string report = "none\nno error";
    try {
      read();
    } catch (const Error& error) {
      report = std::string(to_string(error.kind())) + "\n" + error.what();
    } catch (const std::exception& error) {
      report = std::string("not ihd::Error\n") + error.what();
    }
    const ssize_t written = write(channel[1], report.data(), report.size());
    _exit(written == static_cast<ssize_t>(report.size()) ? 0 : 1);
  }
  close(channel[1]);
  std::string report;
  char buffer[4096];
  for (ssize_t got; (got = ::read(channel[0], buffer, sizeof buffer)) > 0;)
    report.append(buffer, static_cast<size_t>(got));
  close(channel[0]);
  int status = 0;
  rusage usage{};
  REQUIRE(wait4(child, &status, 0, &usage) == child);
  ChildRead outcome;
  outcome.exited = WIFEXITED(status);
  outcome.exit_code = outcome.exited ? WEXITSTATUS(status) : -1;
  outcome.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  outcome.peak_rss_bytes = usage.ru_maxrss * 1024L;
  const auto newline = report.find('\n');
  outcome.kind = report.substr(0, newline);
  if (newline != std::string::npos) outcome.message = report.substr(newline + 1);
  return outcome;
}

// Reading `path` (both readers, in children) ends in an Error of `kind` whose one-line message
// names the file and contains `reason`, without a crash and under 400 MB resident.
void check_refused(const fs::path& path, ErrorKind kind, const std::string& reason,
                   bool header_only_too = true) {
  CAPTURE(path);
  std::vector<std::function<void()>> reads = {[&] { read_dicom_hu(path); }};
  if (header_only_too) reads.push_back([&] { read_dicom_metadata(path); });
  for (const auto& read : reads) {
    const ChildRead outcome = read_in_child(read);
    CAPTURE(outcome.message);
    REQUIRE(outcome.exited);
    CHECK(outcome.signal == 0);
    CHECK(outcome.exit_code == 0);
    CHECK(outcome.kind == to_string(kind));
    CHECK(outcome.message.find('\n') == std::string::npos);
    CHECK(outcome.message.find(path.string()) != std::string::npos);
    CHECK(outcome.message.find(reason) != std::string::npos);
    CHECK(outcome.peak_rss_bytes < max_child_rss_bytes);
    MESSAGE(path.filename().string()
            << ": peak RSS " << outcome.peak_rss_bytes / (1 << 20) << " MiB: " << outcome.message);
  }
}

}  // namespace

TEST_CASE("dicom limits: sequences nested 10,000 deep are refused before DCMTK parses them") {
  const fs::path dir = scratch_dir("dicom_limits_nesting");
  const std::string image = image_attributes(ele, 64, 64);
  write_file(
      dir / "nested_undefined.dcm",
      part10(explicit_little_uid, image + nested_sequences(ele, 10000, false) + pixel_data(8192)));
  write_file(
      dir / "nested_defined.dcm",
      part10(explicit_little_uid, image + nested_sequences(ele, 10000, true) + pixel_data(8192)));
  const Syntax implicit = Syntax::implicit_little;
  write_file(dir / "nested_implicit.dcm",
             part10(implicit_little_uid,
                    image_attributes(implicit, 64, 64) + nested_sequences(implicit, 10000, false)));
  // An undefined-length UN element holds implicit little endian items (how DCMTK reads it).
  write_file(dir / "nested_in_un.dcm",
             part10(explicit_little_uid,
                    image + element_header(ele, {0x0009, 0x1010}, "UN", undefined_length) +
                        item(implicit, nested_sequences(implicit, 10000, false), false) +
                        tag_bytes(implicit, {0xFFFE, 0xE0DD}) + std::string(4, '\0')));
  CHECK(fs::file_size(dir / "nested_undefined.dcm") > 300'000);
  for (const char* name :
       {"nested_undefined.dcm", "nested_defined.dcm", "nested_implicit.dcm", "nested_in_un.dcm"})
    check_refused(dir / name, ErrorKind::too_large, "sequences nest more than 64 levels deep");
}

TEST_CASE("dicom limits: 64 nested sequences still read, 65 do not") {
  const fs::path dir = scratch_dir("dicom_limits_nesting_edge");
  for (int depth : {64, 65}) {
    write_file(dir / (std::to_string(depth) + ".dcm"),
               part10(explicit_little_uid, image_attributes(ele, 64, 64) +
                                               nested_sequences(ele, depth, depth == 64) +
                                               pixel_data(64 * 64 * 2)));
  }
  CHECK(read_dicom_hu(dir / "64.dcm").hu.size() == 64 * 64);
  check_refused(dir / "65.dcm", ErrorKind::too_large, "nest more than 64");
}

TEST_CASE("dicom limits: Rows and Columns are read in 64 bits and range-checked") {
  const fs::path dir = scratch_dir("dicom_limits_sides");
  write_file(dir / "rows_ul.dcm", small_image(ul(ele, rows_tag, 0xFFFFFFFFu), 0));
  write_file(dir / "rows_is.dcm", small_image(text(ele, rows_tag, "IS", "4294967295"), 0));
  write_file(dir / "columns_zero.dcm", small_image(us(ele, columns_tag, 0), 64, 0));
  write_file(dir / "rows_16384.dcm", small_image(us(ele, rows_tag, 16384), 0));
  const std::string too_many_rows =
      "Rows 4294967295 exceeds the limit of 8192 (raise it with --max-image-side)";
  check_refused(dir / "rows_ul.dcm", ErrorKind::too_large, too_many_rows);
  check_refused(dir / "rows_is.dcm", ErrorKind::too_large, too_many_rows);
  check_refused(dir / "columns_zero.dcm", ErrorKind::bad_value, "Columns 0");
  check_refused(dir / "rows_16384.dcm", ErrorKind::too_large,
                "Rows 16384 exceeds the limit of 8192 (raise it with --max-image-side)");
}

TEST_CASE("dicom limits: the declared pixel data size is capped, frames included") {
  const fs::path dir = scratch_dir("dicom_limits_frames");
  write_file(dir / "frames.dcm", small_image(text(ele, {0x0028, 0x0008}, "IS", "2147483647")));
  check_refused(dir / "frames.dcm", ErrorKind::too_large,
                "would decode to 17592186036224 bytes (64 x 64 x 2147483647 frames x 2 bytes), "
                "more than the limit of 256 MiB (raise it with --max-decoded-mb)");
  // Uncompressed PixelData far longer than the header says: refused before it is read.
  write_file(dir / "long_pixel_data.dcm",
             part10(explicit_little_uid,
                    image_attributes(ele, 64, 64) + pixel_data(64 * 64 * 2 + (3 << 20))));
  check_refused(dir / "long_pixel_data.dcm", ErrorKind::too_large,
                "PixelData holds 3153920 bytes, more than the 8192 the header declares", false);
}

TEST_CASE("dicom limits: deflate bombs are refused while inflating, never held whole") {
  const fs::path dir = scratch_dir("dicom_limits_deflate");
  {
    // 300 elements of 1 MiB, each under the limit, 300 MiB in all.
    RawDeflater bomb;
    bomb.bytes(image_attributes(ele, 64, 64));
    for (std::uint16_t i = 0; i < 300; ++i)
      bomb.bytes(
              element_header(ele, {0x0009, static_cast<std::uint16_t>(0x1000 + i)}, "OB", 1 << 20))
          .zeros(1 << 20);
    write_file(dir / "bomb.dcm", part10(deflated_uid, bomb.bytes(pixel_data(8192)).finish()));
  }
  {
    RawDeflater gigabyte;
    gigabyte.bytes(image_attributes(ele, 64, 64) +
                   element_header(ele, pixel_data_tag, "OW", 1u << 30));
    write_file(dir / "pixels_1gib.dcm", part10(deflated_uid, gigabyte.zeros(1u << 30).finish()));
  }
  {
    RawDeflater square;
    square.bytes(image_attributes(ele, 16384, 16384) +
                 element_header(ele, pixel_data_tag, "OW", 16384u * 16384u * 2));
    write_file(dir / "16384x16384.dcm",
               part10(deflated_uid, square.zeros(16384ull * 16384 * 2).finish()));
  }
  CHECK(fs::file_size(dir / "bomb.dcm") < (1 << 20));
  CHECK(fs::file_size(dir / "16384x16384.dcm") < (1 << 20));
  check_refused(dir / "bomb.dcm", ErrorKind::too_large,
                "the deflated data set inflates to more than the limit of 256 MiB "
                "(raise it with --max-decoded-mb)");
  check_refused(dir / "pixels_1gib.dcm", ErrorKind::too_large,
                "element (7FE0,0010) declares a value of 1073741824 bytes, more than the limit "
                "of 256 MiB");
  check_refused(dir / "16384x16384.dcm", ErrorKind::too_large, "the limit of 256 MiB");
}

TEST_CASE("dicom limits: RescaleSlope and RescaleIntercept must be finite") {
  const fs::path dir = scratch_dir("dicom_limits_rescale");
  write_file(dir / "slope_nan.dcm", small_image(text(ele, {0x0028, 0x1053}, "DS", "NaN")));
  write_file(dir / "slope_inf.dcm", small_image(text(ele, {0x0028, 0x1053}, "DS", "inf")));
  write_file(dir / "intercept_nan.dcm", small_image(text(ele, {0x0028, 0x1052}, "DS", "NaN")));
  write_file(dir / "slope_zero.dcm", small_image(text(ele, {0x0028, 0x1053}, "DS", "0")));
  check_refused(dir / "slope_nan.dcm", ErrorKind::bad_value, "RescaleSlope is nan");
  check_refused(dir / "slope_inf.dcm", ErrorKind::bad_value, "RescaleSlope is inf");
  check_refused(dir / "intercept_nan.dcm", ErrorKind::bad_value, "RescaleIntercept is nan");
  CHECK(read_dicom_hu(dir / "slope_zero.dcm").metadata.rescale_slope == 1.0);
}

TEST_CASE("dicom limits: raised limits let a legitimately large image through") {
  const fs::path dir = scratch_dir("dicom_limits_raised");
  std::string pixels;
  for (int row = 0; row < 9000; ++row)
    for (int column = 0; column < 16; ++column)
      pixels += uint_bytes(static_cast<std::uint16_t>(row % 4096 + column), 2, false);
  write_file(dir / "9000x16.dcm",
             part10(explicit_little_uid,
                    image_attributes(ele, 9000, 16) + element(ele, pixel_data_tag, "OW", pixels)));
  check_refused(dir / "9000x16.dcm", ErrorKind::too_large, "Rows 9000 exceeds the limit of 8192");
  DicomLimits raised;
  raised.max_rows_or_columns = 9000;
  const HuImage image = read_dicom_hu(dir / "9000x16.dcm", raised);
  CHECK(image.rows == 9000);
  CHECK(image.columns == 16);
  CHECK(image.at(8999, 15) == 8999 % 4096 + 15);
  CHECK(image.metadata.pixel_data_bytes == 9000 * 16 * 2);

  try {
    read_dicom_hu(dir / "9000x16.dcm", {9000, 200'000});
    FAIL("no Error under a 200,000-byte limit");
  } catch (const Error& error) {
    CHECK(error.kind() == ErrorKind::too_large);
    CHECK(std::string(error.what()).find("the limit of 200000 bytes") != std::string::npos);
  }
}

TEST_CASE("dicom limits: a deflated image under the limits reads as its plain twin") {
  const fs::path dir = scratch_dir("dicom_limits_deflated_twin");
  std::string data_set = image_attributes(ele, 64, 64);
  std::string pixels;
  for (int i = 0; i < 64 * 64; ++i) pixels += uint_bytes(static_cast<std::uint16_t>(i), 2, false);
  data_set += element(ele, pixel_data_tag, "OW", pixels);
  write_file(dir / "plain.dcm", part10(explicit_little_uid, data_set));
  write_file(dir / "deflated.dcm", part10(deflated_uid, RawDeflater().bytes(data_set).finish()));
  const HuImage plain = read_dicom_hu(dir / "plain.dcm");
  const HuImage deflated = read_dicom_hu(dir / "deflated.dcm");
  CHECK(deflated.metadata.transfer_syntax_uid == deflated_uid);
  CHECK(deflated.hu == plain.hu);
  CHECK(plain.at(63, 63) == 64 * 64 - 1);
}

}  // namespace ihd::data
