// CSV and TSV records (common/delimited.h): fields holding separators, quotes, line breaks and any
// byte come back as written; CSV agrees with Python's csv module (an independent reference);
// over-long records, unterminated quotes and unknown escapes are one-line errors naming the line.
#include "common/delimited.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common/random.h"

namespace ihd {
namespace {

std::vector<std::vector<std::string>> read_all(std::string_view text, TextFormat format,
                                               std::size_t max_record_bytes = 1 << 20) {
  RecordReader reader(text, "test.txt", format, ErrorKind::bad_csv, max_record_bytes);
  std::vector<std::vector<std::string>> records;
  for (std::vector<std::string> fields; reader.next(fields);) records.push_back(fields);
  return records;
}

std::string thrown(std::string_view text, TextFormat format, std::size_t max = 1 << 20) {
  try {
    read_all(text, format, max);
  } catch (const Error& error) {
    return error.what();
  }
  return "";
}

// Random fields over an alphabet rich in separators, quotes, escapes and line ends.
std::vector<std::vector<std::string>> random_records(Random& random) {
  static const std::string alphabet = ",\"\t\n\r\\ aZ09\x01\xc3\xa9\xff";
  std::vector<std::vector<std::string>> records(20);
  for (auto& record : records) {
    record.resize(1 + random.below(5));
    for (auto& field : record) {
      const std::size_t length = random.below(8);
      for (std::size_t i = 0; i < length; ++i)
        field.push_back(alphabet[random.below(alphabet.size())]);
    }
    // A record of one empty field reads like an empty line, which readers skip.
    if (record.size() == 1 && record[0].empty()) record[0].push_back('x');
  }
  return records;
}

std::string python_quote(const std::filesystem::path& path) {
  std::string quoted = "'";
  quoted += path.string();
  quoted += '\'';
  return quoted;
}

}  // namespace

TEST_CASE("csv: fields that need quotes are quoted, others are not") {
  CHECK(csv_field("ID_12ab") == "ID_12ab");
  CHECK(csv_field("a,b") == "\"a,b\"");
  CHECK(csv_field("say \"hi\"") == "\"say \"\"hi\"\"\"");
  CHECK(csv_field("two\nlines") == "\"two\nlines\"");
  CHECK(join_record({"a", "b,c", ""}, TextFormat::csv) == "a,\"b,c\",");
}

TEST_CASE("tsv: TAB, line ends and the backslash are escaped, every record is one line") {
  CHECK(tsv_field("ID_12ab") == "ID_12ab");
  CHECK(tsv_field("a\tb\nc\rd\\e") == "a\\tb\\nc\\rd\\\\e");
  CHECK(join_record({"x\ty", "z"}, TextFormat::tsv) == "x\\ty\tz");
}

TEST_CASE("csv and tsv: random fields round-trip through join_record and RecordReader") {
  Random random(5);
  for (int round = 0; round < 50; ++round) {
    const auto records = random_records(random);
    for (TextFormat format : {TextFormat::csv, TextFormat::tsv}) {
      std::string text;
      for (const auto& record : records) text += join_record(record, format) + "\n";
      CAPTURE(text);
      CHECK(read_all(text, format) == records);
    }
  }
}

TEST_CASE("csv: what we write, Python's csv module reads as the same fields") {
  if (!std::filesystem::exists("/usr/bin/python3")) {
    MESSAGE("no /usr/bin/python3: the Python cross-check is skipped");
    return;
  }
  const auto dir =
      std::filesystem::temp_directory_path() / ("ihd_common_tests." + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  Random random(11);
  const auto records = random_records(random);
  {
    std::ofstream out(dir / "ours.csv", std::ios::binary);
    for (const auto& record : records) out << join_record(record, TextFormat::csv) << "\n";
  }
  // Python reads our file (latin-1 keeps every byte) and writes each field back in TSV form.
  std::ofstream(dir / "to_tsv.py") << R"py(import csv, sys
rows = list(csv.reader(open(sys.argv[1], encoding="latin-1", newline="")))
def escape(field):
    return (field.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
            .replace("\r", "\\r"))
with open(sys.argv[2], "w", encoding="latin-1", newline="") as out:
    for row in rows:
        out.write("\t".join(escape(field) for field in row) + "\n")
)py";
  const std::string command = "/usr/bin/python3 " + python_quote(dir / "to_tsv.py") + " " +
                              python_quote(dir / "ours.csv") + " " +
                              python_quote(dir / "python.tsv");
  REQUIRE(std::system(command.c_str()) == 0);
  RecordReader reader(dir / "python.tsv", TextFormat::tsv, ErrorKind::bad_csv);
  std::vector<std::vector<std::string>> back;
  for (std::vector<std::string> fields; reader.next(fields);) back.push_back(fields);
  CHECK(back == records);
  std::filesystem::remove_all(dir);
}

TEST_CASE("csv: CRLF line ends, empty lines and a quoted field over two lines") {
  CHECK(read_all("a,b\r\n\r\n\nc,\"d\ne\"\r\n", TextFormat::csv) ==
        std::vector<std::vector<std::string>>{{"a", "b"}, {"c", "d\ne"}});
}

TEST_CASE("csv and tsv: malformed records are one-line errors that name the file and line") {
  CHECK(thrown("a\nb,\"open\n", TextFormat::csv) == "test.txt: line 2: unterminated quoted field");
  CHECK(thrown("a\n\"x\"y\n", TextFormat::csv) == "test.txt: line 2: text after a closing quote");
  CHECK(thrown("ab\"c\n", TextFormat::csv) == "test.txt: line 1: quote inside an unquoted field");
  CHECK(thrown("a\\qb\n", TextFormat::tsv) == "test.txt: line 1: unknown escape after a backslash");
  CHECK(thrown("ok\n" + std::string(100, 'x') + "\n", TextFormat::csv, 64) ==
        "test.txt: line 2: record longer than 64 bytes");
}

TEST_CASE("csv: a file of one endless line is refused at the limit, not read whole") {
  const auto path = std::filesystem::temp_directory_path() /
                    ("ihd_common_tests_long." + std::to_string(::getpid()) + ".csv");
  {
    std::ofstream out(path, std::ios::binary);
    const std::string block(1 << 20, 'x');
    for (int i = 0; i < 64; ++i) out << block;  // 64 MB, no line end
  }
  RecordReader reader(path, TextFormat::csv, ErrorKind::bad_csv, 1 << 20);
  std::vector<std::string> fields;
  CHECK_THROWS_WITH_AS(reader.next(fields),
                       (path.string() + ": line 1: record longer than 1048576 bytes").c_str(),
                       Error);
  std::filesystem::remove(path);
}

}  // namespace ihd
