// An independent reference for common/json.h: Debian's Python (/usr/bin/python3, its json
// module in strict mode, and a strict UTF-8 decode of the bytes) reads what json_quote writes for
// tricky strings and must find exactly the code points written here by hand; and the reader must
// decode what Python's json.dumps writes, ASCII-escaped and not. Skipped, with a message, where
// /usr/bin/python3 is absent.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "common/json.h"

namespace ihd {
namespace {

namespace fs = std::filesystem;

const fs::path kPython = "/usr/bin/python3";

// Runs `script` with Python, the file `argument` as sys.argv[1]; returns what it prints.
std::string run_python(const std::string& script, const fs::path& argument) {
  const std::string command = kPython.string() + " -c '" + script + "' '" + argument.string() + "'";
  FILE* pipe = ::popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string output;
  char buffer[4096];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;)
    output.append(buffer, n);
  REQUIRE(::pclose(pipe) == 0);
  return output;
}

fs::path scratch_file(const std::string& name) {
  const fs::path dir =
      fs::temp_directory_path() / ("ihd_common_tests." + std::to_string(::getpid()));
  fs::create_directories(dir);
  return dir / name;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  for (std::size_t start = 0; start < text.size();) {
    const std::size_t end = text.find('\n', start);
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

TEST_CASE("python's json module reads json_quote's output as the expected code points") {
  if (!fs::exists(kPython)) {
    MESSAGE("skipped: ", kPython.string(), " is absent");
    return;
  }
  struct Case {
    std::string bytes;
    std::string code_points;  // hex, as Python prints them
  };
  const std::vector<Case> cases = {
      {"plain", "70 6c 61 69 6e"},
      {"\"\\/", "22 5c 2f"},
      {std::string("\0\x01\x1f\x7f", 4), "0 1 1f 7f"},
      {"\b\f\n\r\t", "8 c a d 9"},
      {"caf\xC3\xA9", "63 61 66 e9"},  // UTF-8 kept
      {"caf\xE9", "63 61 66 e9"},      // Latin-1 'é' read as Latin-1
      {"\xE2\x82\xAC", "20ac"},        // UTF-8 euro sign
      {"\xA4", "a4"},                  // a Latin-1 byte, not ISO 8859-15's euro
      {"\xF0\x9F\x98\x80", "1f600"},   // beyond the BMP
      {"\xF4\x8F\xBF\xBF", "10ffff"},
      {"\xFF\xFE", "ff fe"},
      {"\xC0\xAF", "c0 af"},                // overlong '/', byte by byte
      {"\xED\xA0\x80", "ed a0 80"},         // an encoded surrogate, byte by byte
      {"\xF4\x90\x80\x80", "f4 90 80 80"},  // above U+10FFFF
      {"\xE2\x82", "e2 82"},                // cut short
      {"\xE2\x82\xAC\x80", "20ac 80"},
      {"\x80\x9F", "80 9f"},
      {"", ""},
  };
  std::string document = "[";
  for (std::size_t i = 0; i < cases.size(); ++i) {
    document += (i > 0 ? ",\n" : "") + json_quote(cases[i].bytes);
  }
  document += "]";
  const fs::path path = scratch_file("written.json");
  std::ofstream(path, std::ios::binary) << document;
  const std::string output = run_python(
      "import json, sys\n"
      "values = json.loads(open(sys.argv[1], \"rb\").read().decode(\"utf-8\", \"strict\"))\n"
      "for value in values: print(\" \".join(\"%x\" % ord(c) for c in value))\n",
      path);
  const std::vector<std::string> lines = lines_of(output);
  REQUIRE(lines.size() == cases.size());
  for (std::size_t i = 0; i < cases.size(); ++i) {
    CAPTURE(cases[i].bytes);
    CHECK(lines[i] == cases[i].code_points);
  }
  fs::remove_all(path.parent_path());
}

TEST_CASE("the reader decodes what python's json.dumps writes, escaped and raw") {
  if (!fs::exists(kPython)) {
    MESSAGE("skipped: ", kPython.string(), " is absent");
    return;
  }
  const fs::path path = scratch_file("dumped.json");
  run_python(
      "import json, sys\n"
      "values = [\"\\x00\\x1f\\x7f\\\"\\\\/\", \"caf\\u00e9 \\u20ac\", \"\\U0001f600\\U0010ffff\","
      " \"\\ud7ff\\ue000\\uffff\"]\n"
      "text = json.dumps(values, ensure_ascii=True) + json.dumps(values, ensure_ascii=False)\n"
      "open(sys.argv[1], \"wb\").write(\"[\".encode() + text.replace(\"][\", \"],[\").encode() + "
      "\"]\".encode())\n",
      path);
  std::ifstream in(path, std::ios::binary);
  const std::string document{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  CAPTURE(document);
  CHECK(document.find("\\ud83d\\ude00") != std::string::npos);  // Python wrote a surrogate pair
  const std::vector<std::string> expected = {
      std::string("\0\x1f\x7f\"\\/", 6), "caf\xC3\xA9 \xE2\x82\xAC",
      "\xF0\x9F\x98\x80\xF4\x8F\xBF\xBF", "\xED\x9F\xBF\xEE\x80\x80\xEF\xBF\xBF"};
  JsonReader reader(document, {path.string(), ErrorKind::general, "JSON", document.size(), 2});
  REQUIRE(reader.next() == JsonEvent::begin_array);
  for (int copy = 0; copy < 2; ++copy) {
    REQUIRE(reader.next() == JsonEvent::begin_array);
    for (const std::string& value : expected) {
      REQUIRE(reader.next() == JsonEvent::string);
      CHECK(reader.text() == value);
    }
    REQUIRE(reader.next() == JsonEvent::end_array);
  }
  REQUIRE(reader.next() == JsonEvent::end_array);
  CHECK(reader.next() == JsonEvent::end_of_document);
  fs::remove_all(path.parent_path());
}

}  // namespace
}  // namespace ihd
