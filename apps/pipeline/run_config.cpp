// config.json through common/json: written with json_quote, read by the pull reader against its
// one shape, a flat object of string keys and string values (1 MiB at most; a value that is not a
// string, a nested one or a duplicate key is refused with a one-line error naming the file).
#include "apps/pipeline/run_config.h"

#include <cerrno>
#include <cstring>
#include <fstream>

#include "common/atomic_file.h"
#include "common/error.h"
#include "common/json.h"

namespace ihd::pipeline {
namespace {

constexpr std::uint64_t kRunConfigMaxBytes = std::uint64_t{1} << 20;

}  // namespace

void write_run_config(const std::filesystem::path& path, const ConfigValues& values) {
  std::string text = "{\n";
  for (std::size_t i = 0; i < values.size(); ++i) {
    text += "  " + json_quote(values[i].first) + ": " + json_quote(values[i].second);
    text += i + 1 < values.size() ? ",\n" : "\n";
  }
  text += "}\n";
  write_file_atomically(path, text);
}

std::map<std::string, std::string> read_run_config(const std::filesystem::path& path) {
  const std::string file = path.string();
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) {
    throw Error(ErrorKind::unreadable, file, std::string("cannot open: ") + std::strerror(errno));
  }
  const std::streamoff file_bytes = in.tellg();
  if (file_bytes < 0) throw Error(ErrorKind::unreadable, file, "cannot read (not a regular file?)");
  in.seekg(0);
  // Depth 2, one more than the shape needs, so that a nested value meets the message below.
  JsonReader json(in, static_cast<std::uint64_t>(file_bytes),
                  {file, ErrorKind::bad_config, "JSON", kRunConfigMaxBytes, 2});
  if (json.next() != JsonEvent::begin_object) {
    json.fail("a run configuration must be one JSON object of string values, not " +
              std::string(json_event_name(json.event())));
  }
  std::map<std::string, std::string> values;
  JsonKeySet keys;
  while (json.next() == JsonEvent::key) {
    keys.add(json);
    std::string key = json.text();
    if (json.next() != JsonEvent::string) {
      json.fail("the value of " + json_quote(key) + " must be a string, not " +
                std::string(json_event_name(json.event())));
    }
    values[std::move(key)] = json.text();
  }
  json.next();  // the end of the document: only whitespace may follow the object
  return values;
}

std::string join_list(const std::vector<std::string>& items) {
  std::string text;
  for (const std::string& item : items) text += (text.empty() ? "" : ";") + item;
  return text;
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> items;
  if (text.empty()) return items;
  for (size_t start = 0;;) {
    const size_t end = text.find(';', start);
    items.push_back(text.substr(start, end - start));
    if (end == std::string::npos) return items;
    start = end + 1;
  }
}

}  // namespace ihd::pipeline
