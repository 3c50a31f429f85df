// CSV quoting, TSV escaping, and the bounded record reader.
#include "common/delimited.h"

#include <fstream>
#include <sstream>

namespace ihd {

std::string csv_field(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + '"';
}

std::string tsv_field(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\\':
        out += "\\\\";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string join_record(const std::vector<std::string>& fields, TextFormat format) {
  std::string out;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out += format == TextFormat::csv ? ',' : '\t';
    out += format == TextFormat::csv ? csv_field(fields[i]) : tsv_field(fields[i]);
  }
  return out;
}

RecordReader::RecordReader(const std::filesystem::path& path, TextFormat format, ErrorKind kind,
                           std::size_t max_record_bytes)
    : in_(std::make_unique<std::ifstream>(path, std::ios::binary)),
      name_(path.string()),
      format_(format),
      kind_(kind),
      max_record_bytes_(max_record_bytes),
      buffer_(64 * 1024) {
  if (!*in_) throw Error(kind_, name_, "cannot open");
}

RecordReader::RecordReader(std::string_view text, std::string name, TextFormat format,
                           ErrorKind kind, std::size_t max_record_bytes)
    : in_(std::make_unique<std::istringstream>(std::string(text))),
      name_(std::move(name)),
      format_(format),
      kind_(kind),
      max_record_bytes_(max_record_bytes),
      buffer_(64 * 1024) {}

int RecordReader::get() {
  if (buffer_position_ == buffer_size_) {
    in_->read(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
    buffer_size_ = static_cast<std::size_t>(in_->gcount());
    buffer_position_ = 0;
    if (buffer_size_ == 0) return -1;
  }
  return static_cast<unsigned char>(buffer_[buffer_position_++]);
}

void RecordReader::fail(const std::string& reason) const {
  throw Error(kind_, name_, "line " + std::to_string(record_line_) + ": " + reason);
}

bool RecordReader::next(std::vector<std::string>& fields) {
  fields.clear();
  int c = get();
  while (c == '\n' || c == '\r') {  // empty lines between records
    if (c == '\n') ++line_;
    c = get();
  }
  if (c < 0) return false;
  record_line_ = line_;
  fields.emplace_back();
  std::size_t record_bytes = 0;
  bool quoted = false, after_quote = false;
  for (; c >= 0; c = get()) {
    if (++record_bytes > max_record_bytes_) {
      fail("record longer than " + std::to_string(max_record_bytes_) + " bytes");
    }
    std::string& field = fields.back();
    if (format_ == TextFormat::csv && quoted) {
      if (c == '"') {
        quoted = false;
        after_quote = true;
      } else {
        if (c == '\n') ++line_;
        field += static_cast<char>(c);
      }
      continue;
    }
    if (c == '\n') {
      ++line_;
      break;
    }
    if (c == '\r') continue;  // CRLF line ends; a bare CR inside a field is dropped too
    if (format_ == TextFormat::csv) {
      if (c == ',') {
        fields.emplace_back();
        after_quote = false;
      } else if (c == '"') {
        if (after_quote) {  // a doubled quote inside a quoted field
          field += '"';
          quoted = true;
          after_quote = false;
        } else if (field.empty()) {
          quoted = true;
        } else {
          fail("quote inside an unquoted field");
        }
      } else if (after_quote) {
        fail("text after a closing quote");
      } else {
        field += static_cast<char>(c);
      }
      continue;
    }
    if (c == '\t') {
      fields.emplace_back();
    } else if (c == '\\') {
      const int escaped = get();
      ++record_bytes;
      if (escaped == 't') {
        field += '\t';
      } else if (escaped == 'n') {
        field += '\n';
      } else if (escaped == 'r') {
        field += '\r';
      } else if (escaped == '\\') {
        field += '\\';
      } else {
        fail("unknown escape after a backslash");
      }
    } else {
      field += static_cast<char>(c);
    }
  }
  if (quoted) fail("unterminated quoted field");
  return true;
}

}  // namespace ihd
