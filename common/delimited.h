// Delimited text records, the one CSV and TSV code of ihd. Outside strings (IDs from DICOM headers
// and label files) may hold any byte; written through here, they can never add a field or a
// record, and read back they are what was written.
//
//   CSV (label files, predictions, history): RFC 4180. Fields are separated by commas; a field
//   holding a comma, a quote, CR or LF is written in quotes with each quote doubled, and such a
//   field may span lines. Records end at LF; a CR before it is dropped.
//   TSV (the cache's manifests): fields are separated by TABs; inside a field, backslash escapes
//   \t \n \r and \\ stand for TAB, LF, CR and the backslash, so every record is one line.
//
// A reader bounds the length of a record (a file of one endless line cannot exhaust memory) and
// fails with an ihd::Error of the caller's kind that names the file and the line.
#pragma once

#include <cstddef>
#include <filesystem>
#include <istream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace ihd {

enum class TextFormat { csv, tsv };

// The field as it must be written: quoted when needed (CSV), escaped (TSV).
std::string csv_field(std::string_view text);
std::string tsv_field(std::string_view text);
// The fields joined into one record, without the line end.
std::string join_record(const std::vector<std::string>& fields, TextFormat format);

// Reads a file record by record. Lines that are empty (or only CR) between records are skipped.
class RecordReader {
 public:
  static constexpr std::size_t kDefaultMaxRecordBytes = std::size_t{1} << 20;

  // Reads a file; throws Error(kind) when it cannot be opened.
  RecordReader(const std::filesystem::path& path, TextFormat format, ErrorKind kind,
               std::size_t max_record_bytes = kDefaultMaxRecordBytes);
  // Reads text already in memory; `name` stands for the file in messages.
  RecordReader(std::string_view text, std::string name, TextFormat format, ErrorKind kind,
               std::size_t max_record_bytes = kDefaultMaxRecordBytes);

  // The next record's fields; false at the end of the file. Throws Error(kind) naming the file
  // and line for a record longer than the limit, an unterminated quote, text after a closing
  // quote, or an unknown escape.
  bool next(std::vector<std::string>& fields);
  // The line on which the record last returned by next() starts (1-based).
  std::size_t line_number() const { return record_line_; }
  const std::string& name() const { return name_; }

 private:
  // The next byte, or -1 at the end of the file.
  int get();
  [[noreturn]] void fail(const std::string& reason) const;

  std::unique_ptr<std::istream> in_;
  std::string name_;
  TextFormat format_;
  ErrorKind kind_;
  std::size_t max_record_bytes_;
  std::vector<char> buffer_;
  std::size_t buffer_position_ = 0, buffer_size_ = 0;
  std::size_t line_ = 1, record_line_ = 0;
};

}  // namespace ihd
