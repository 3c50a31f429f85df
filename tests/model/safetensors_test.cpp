// The safetensors reader and writer (engine/safetensors.h): round trips, files written by PyTorch
// (F16/BF16/F64/I64, converted as PyTorch converts them), and hostile or broken files, each of
// which must give an ihd::Error naming the file and the tensor, never a crash; 100 MB headers are
// read in a forked child whose peak memory must stay far below the header's length.
#include "engine/safetensors.h"

#include <doctest/doctest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>

#include "common/error.h"

namespace ihd {
namespace {

std::filesystem::path scratch_dir(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / "ihd_model_tests" / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

// A file with the given header text (length prefix added) followed by `data_bytes` zero bytes.
std::string write_raw(const std::string& name, const std::string& header, std::size_t data_bytes) {
  const std::string path = (scratch_dir("raw") / name).string();
  std::ofstream out(path, std::ios::binary);
  const uint64_t length = header.size();
  out.write(reinterpret_cast<const char*>(&length), 8);
  out << header << std::string(data_bytes, '\0');
  return path;
}

// The message of the ihd::Error that reading `path` throws ("" if it does not throw).
std::string read_error(const std::string& path) {
  try {
    read_safetensors(path);
  } catch (const Error& error) {
    return error.what();
  }
  return "";
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::vector<uint32_t> bits_of(const Tensor& tensor) {
  std::vector<uint32_t> bits;
  for (float value : tensor.to_vector()) bits.push_back(std::bit_cast<uint32_t>(value));
  return bits;
}

TEST_CASE("write then read returns every tensor, dtype, shape and metadata exactly") {
  const std::string path = (scratch_dir("round_trip") / "t.safetensors").string();
  Tensor matrix = Tensor::from_vector(Shape{2, 3}, {1.5f, -0.0f, 3e-39f, 1e38f, -7.25f, 0.1f});
  Tensor scalar = Tensor::scalar(42.0f);
  Tensor empty = Tensor::empty(Shape{0, 4});
  Tensor counts = Tensor::zeros(Shape{3}, Device::cpu(), DType::i64);
  counts.data_i64()[0] = -5;
  counts.data_i64()[2] = int64_t{1} << 60;
  const std::map<std::string, std::string> metadata{{"format", "pt"},
                                                    {"note", "quote \" slash \\ line\n é"}};
  write_safetensors(path,
                    {{"a.weight", matrix},
                     {"scalar", scalar},
                     {"empty", empty},
                     {"name with \"quotes\"", counts}},
                    metadata);

  const SafetensorsFile file = read_safetensors(path);
  CHECK(file.metadata == metadata);
  REQUIRE(file.tensors.size() == 4);
  CHECK(file.tensors[0].name == "a.weight");
  CHECK(file.at("a.weight").dtype == "F32");
  CHECK(bits_of(file.at("a.weight").to_tensor()) == bits_of(matrix));
  CHECK(file.at("scalar").to_tensor().shape() == Shape{});
  CHECK(file.at("scalar").to_tensor().item() == 42.0f);
  CHECK(file.at("empty").to_tensor().shape() == Shape{0, 4});
  const Tensor loaded_counts = file.at("name with \"quotes\"").to_tensor();
  CHECK(loaded_counts.dtype() == DType::i64);
  CHECK(std::memcmp(loaded_counts.raw_data(), counts.raw_data(), counts.bytes()) == 0);
  CHECK(file.find("missing") == nullptr);
  CHECK_THROWS_AS(file.at("missing"), Error);
  // The data section starts 8-byte aligned, as the format recommends.
  uint64_t header_bytes = 0;
  std::ifstream(path, std::ios::binary).read(reinterpret_cast<char*>(&header_bytes), 8);
  CHECK(header_bytes % 8 == 0);
}

TEST_CASE("a file PyTorch wrote: F16, BF16, F64 and I64 read as PyTorch converts them") {
  const SafetensorsFile file =
      read_safetensors(std::string(IHD_TEST_FIXTURES_DIR) + "/model/dtypes.safetensors");
  CHECK(file.metadata.at("written_by") == "make_resnet_reference.py");
  CHECK(file.at("f16").dtype == "F16");
  CHECK(bits_of(file.at("f16").to_tensor()) == bits_of(file.at("f16_as_f32").to_tensor()));
  CHECK(bits_of(file.at("bf16").to_tensor()) == bits_of(file.at("bf16_as_f32").to_tensor()));
  const std::vector<double> f64 = file.at("f64").to_doubles();
  CHECK(file.at("f64").shape == Shape{2, 2});
  CHECK(f64 == std::vector<double>{0.1, -1e300, std::ldexp(1.0, -1074), 1.0 / 3.0});
  CHECK(file.at("f64").to_tensor().to_vector() ==
        std::vector<float>{0.1f, -std::numeric_limits<float>::infinity(), 0.0f, 1.0f / 3.0f});
  const Tensor i64 = file.at("i64").to_tensor();
  CHECK(i64.data_i64()[1] == -1);
  CHECK(i64.data_i64()[2] == int64_t{1} << 62);
  CHECK(file.at("scalar").to_tensor().shape() == Shape{});
  CHECK(file.at("scalar").to_tensor().item() == 1.5f);
  CHECK_THROWS_AS(file.at("i64").to_doubles(), Error);
}

TEST_CASE("broken files give an error naming the file and the tensor") {
  const std::string entry = R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  SUBCASE("the valid baseline reads") {
    CHECK(read_error(write_raw("ok", entry, 8)).empty());
  }
  SUBCASE("missing file") {
    CHECK(contains(read_error("/nonexistent/x.safetensors"), "/nonexistent/x.safetensors"));
  }
  SUBCASE("shorter than the length prefix") {
    const std::string path = (scratch_dir("short") / "short.safetensors").string();
    std::ofstream(path) << "abc";
    CHECK(contains(read_error(path), "shorter than the 8-byte header length"));
  }
  SUBCASE("header length beyond the file") {
    const std::string path = write_raw("long_header", entry, 0);
    std::fstream file(path, std::ios::binary | std::ios::in | std::ios::out);
    const uint64_t huge = 1000;
    file.write(reinterpret_cast<const char*>(&huge), 8);
    file.close();
    const std::string message = read_error(path);
    CHECK(contains(message, path));
    CHECK(contains(message, "runs past the end"));
  }
  SUBCASE("header length above the limit") {
    const std::string path = write_raw("huge_header", entry, 0);
    std::fstream file(path, std::ios::binary | std::ios::in | std::ios::out);
    const uint64_t huge = uint64_t{1} << 62;
    file.write(reinterpret_cast<const char*>(&huge), 8);
    file.close();
    CHECK(contains(read_error(path), "exceeds the limit"));
  }
  SUBCASE("data truncated") {
    const std::string message = read_error(write_raw("truncated", entry, 5));
    CHECK(contains(message, "tensor 'w'"));
    CHECK(contains(message, "truncated"));
  }
  SUBCASE("unknown dtype") {
    const std::string message = read_error(
        write_raw("dtype", R"({"w":{"dtype":"F8_E4M3","shape":[2],"data_offsets":[0,2]}})", 2));
    CHECK(contains(message, "tensor 'w'"));
    CHECK(contains(message, "unsupported dtype 'F8_E4M3'"));
  }
  SUBCASE("offsets that do not match the shape") {
    CHECK(contains(read_error(write_raw(
                       "size", R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8)),
                   "need 12"));
  }
  SUBCASE("offsets that end before they begin") {
    CHECK(contains(read_error(write_raw(
                       "reversed", R"({"w":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}})", 8)),
                   "begin after they end"));
  }
  SUBCASE("overlapping tensors") {
    const std::string message =
        read_error(write_raw("overlap",
                             R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                             R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                             12));
    CHECK(contains(message, "'a' and 'b' overlap"));
  }
  SUBCASE("a shape whose byte count overflows") {
    CHECK(contains(
        read_error(write_raw(
            "overflow",
            R"({"w":{"dtype":"F64","shape":[999999999999999999,999999999999],"data_offsets":[0,8]}})",
            8)),
        "too large"));
  }
  SUBCASE("negative or fractional sizes") {
    CHECK(
        contains(read_error(write_raw(
                     "negative", R"({"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", 8)),
                 "non-negative integer"));
    CHECK(
        contains(read_error(write_raw(
                     "fraction", R"({"w":{"dtype":"F32","shape":[2.0],"data_offsets":[0,8]}})", 8)),
                 "non-negative integer"));
  }
  SUBCASE("missing and unexpected fields") {
    CHECK(contains(read_error(write_raw("no_offsets", R"({"w":{"dtype":"F32","shape":[2]}})", 8)),
                   "lacks dtype, shape or data_offsets"));
    CHECK(contains(
        read_error(write_raw("extra",
                             R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"x":1}})", 8)),
        "unexpected key 'x'"));
  }
  SUBCASE("malformed JSON") {
    CHECK(contains(read_error(write_raw("unclosed", R"({"w":{"dtype":"F32")", 0)),
                   "malformed JSON header"));
    CHECK(contains(read_error(write_raw("trailing", entry + "x", 8)), "after the top-level value"));
    CHECK(contains(read_error(write_raw("control", "{\"a\nb\":1}", 0)), "control character"));
    CHECK(contains(read_error(write_raw("surrogate", R"({"\ud800":1})", 0)), "surrogate"));
    CHECK(contains(read_error(write_raw("array", "[1,2]", 0)), "not a JSON object"));
  }
  SUBCASE("duplicate tensor names") {
    CHECK(contains(read_error(write_raw("duplicate",
                                        R"({"w":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},)"
                                        R"("w":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}})",
                                        0)),
                   "duplicate key \"w\""));
  }
  SUBCASE("deep nesting is refused without exhausting the stack") {
    // Where the schema wants an object, an array is refused at once; where it wants numbers, the
    // reader refuses a fourth level of nesting (the schema needs three).
    const std::string nested = std::string(100000, '[') + std::string(100000, ']');
    CHECK(contains(read_error(write_raw("deep", "{\"a\":" + nested + "}", 0)),
                   "tensor 'a' is not a JSON object"));
    CHECK(contains(read_error(write_raw("deep_shape", "{\"a\":{\"shape\":" + nested + "}}", 0)),
                   "nesting deeper than 3 levels"));
  }
  SUBCASE("a name with a newline is escaped in the message, which stays one line") {
    const std::string message = read_error(write_raw(
        "names", "{\"a\\nb\\u00e9\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8));
    CHECK(contains(message, "tensor 'a\\nb\xC3\xA9'"));
    CHECK(message.find('\n') == std::string::npos);
  }
  SUBCASE("a 17th dimension is refused") {
    CHECK(contains(
        read_error(write_raw("rank",
                             R"({"w":{"dtype":"F32","shape":[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1],)"
                             R"("data_offsets":[0,4]}})",
                             4)),
        "shape has more than 16 dimensions"));
    CHECK(read_error(write_raw("rank16",
                               R"({"w":{"dtype":"F32","shape":[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1],)"
                               R"("data_offsets":[0,4]}})",
                               4))
              .empty());
  }
  SUBCASE("metadata values must be strings") {
    CHECK(contains(read_error(write_raw("metadata", R"({"__metadata__":{"epoch":3}})", 0)),
                   "__metadata__ value of 'epoch'"));
  }
}

// ---- 100 MB headers, read in a forked child whose peak memory is measured ----

// Writes a safetensors file whose header is exactly kSafetensorsMaxHeaderBytes long: `prefix`,
// `filler` as often as it fits, spaces, `suffix`; then `data_bytes` zero bytes. Written in 1 MiB
// pieces, so this process never holds it (a forked child starts with the memory of its parent).
std::filesystem::path write_huge_header(const std::filesystem::path& dir, const std::string& prefix,
                                        const std::string& filler, const std::string& suffix,
                                        std::size_t data_bytes) {
  const std::filesystem::path path = dir / "huge.safetensors";
  std::ofstream out(path, std::ios::binary);
  const uint64_t header_bytes = kSafetensorsMaxHeaderBytes;
  out.write(reinterpret_cast<const char*>(&header_bytes), 8);
  out << prefix;
  const std::size_t fillers = (header_bytes - prefix.size() - suffix.size()) / filler.size();
  const std::size_t per_piece = (std::size_t{1} << 20) / filler.size();
  std::string piece;
  for (std::size_t i = 0; i < per_piece; ++i) piece += filler;
  for (std::size_t written = 0; written < fillers; written += per_piece) {
    out.write(piece.data(),
              static_cast<std::streamsize>(std::min(per_piece, fillers - written) * filler.size()));
  }
  out << std::string(header_bytes - prefix.size() - suffix.size() - fillers * filler.size(), ' ')
      << suffix << std::string(data_bytes, '\0');
  out.close();
  REQUIRE(std::filesystem::file_size(path) == 8 + header_bytes + data_bytes);
  return path;
}

struct ChildRead {
  std::string error;  // the message read_safetensors threw, "" if none
  long peak_rss_mib = 0;
};

// read_safetensors(path) in a forked child: its error message (through a pipe) and its peak
// resident memory (getrusage of the children after waitpid).
ChildRead read_in_child(const std::filesystem::path& path) {
  int pipe_fds[2];
  REQUIRE(::pipe(pipe_fds) == 0);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(pipe_fds[0]);
    std::string error;
    try {
      read_safetensors(path.string());
    } catch (const std::exception& thrown) {
      error = thrown.what();
    }
    for (std::size_t sent = 0; sent < error.size();) {
      const ssize_t n = ::write(pipe_fds[1], error.data() + sent, error.size() - sent);
      if (n <= 0) ::_exit(2);
      sent += static_cast<std::size_t>(n);
    }
    ::_exit(0);
  }
  ::close(pipe_fds[1]);
  ChildRead result;
  char buffer[4096];
  for (ssize_t n; (n = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0;) {
    result.error.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(pipe_fds[0]);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  rusage usage{};
  REQUIRE(::getrusage(RUSAGE_CHILDREN, &usage) == 0);
  result.peak_rss_mib = usage.ru_maxrss / 1024;  // ru_maxrss is in KiB on Linux
  return result;
}

constexpr long kHugeHeaderRssLimitMib = 400;

TEST_CASE("a 100 MB header that is one JSON array is refused at its first byte, in little memory") {
  const auto dir = scratch_dir("huge_array");
  const auto path = write_huge_header(dir, "[", "0,", "0]", 0);
  const ChildRead read = read_in_child(path);
  MESSAGE("peak RSS of the reading child: ", read.peak_rss_mib, " MiB");
  CHECK(read.error ==
        "safetensors file '" + path.string() + "': the header is not a JSON object (at byte 8)");
  CHECK(read.peak_rss_mib < kHugeHeaderRssLimitMib);
  std::filesystem::remove_all(dir);
}

TEST_CASE(
    "a 100 MB header with one huge shape array is refused at its 17th entry, in little "
    "memory") {
  const auto dir = scratch_dir("huge_shape");
  const auto path = write_huge_header(dir, R"({"w":{"dtype":"F32","shape":[)", "0,",
                                      R"(0],"data_offsets":[0,0]}})", 0);
  const ChildRead read = read_in_child(path);
  MESSAGE("peak RSS of the reading child: ", read.peak_rss_mib, " MiB");
  CAPTURE(read.error);
  CHECK(contains(read.error, path.string()));
  CHECK(contains(read.error, "tensor 'w': shape has more than 16 dimensions (at byte 69)"));
  CHECK(read.error.find('\n') == std::string::npos);
  CHECK(read.peak_rss_mib < kHugeHeaderRssLimitMib);
  std::filesystem::remove_all(dir);
}

TEST_CASE("a valid header padded to 100 MB with spaces is read as it streams, in little memory") {
  const auto dir = scratch_dir("huge_padding");
  const auto path = write_huge_header(
      dir, R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", " ", "", 8);
  const ChildRead read = read_in_child(path);
  MESSAGE("peak RSS of the reading child: ", read.peak_rss_mib, " MiB");
  CHECK(read.error.empty());
  CHECK(read.peak_rss_mib < kHugeHeaderRssLimitMib);
  std::filesystem::remove_all(dir);
}

TEST_CASE("writing is atomic: a failed write leaves no file, a finished one no temporary") {
  const auto dir = scratch_dir("atomic");
  const std::string path = (dir / "w.safetensors").string();
  write_safetensors(path, {{"x", Tensor::full(Shape{4}, 1.0f)}});
  write_safetensors(path, {{"x", Tensor::full(Shape{4}, 2.0f)}});
  CHECK(read_safetensors(path).at("x").to_tensor().to_vector() == std::vector<float>(4, 2.0f));
  CHECK(std::distance(std::filesystem::directory_iterator(dir),
                      std::filesystem::directory_iterator()) == 1);
  CHECK_THROWS_AS(write_safetensors((dir / "no_such_dir" / "w.safetensors").string(),
                                    {{"x", Tensor::full(Shape{4}, 1.0f)}}),
                  Error);
  CHECK_THROWS_AS(write_safetensors(path, {{"__metadata__", Tensor::full(Shape{1}, 1.0f)}}), Error);
  CHECK(read_safetensors(path).at("x").to_tensor().to_vector() == std::vector<float>(4, 2.0f));
}

}  // namespace
}  // namespace ihd
