// Fuzz target: common/json, reader and writer. The input is read by JsonReader; the events of a
// document it accepts are written back (keys and strings by json_quote, numbers as their literal)
// and reading that copy must give the same events. Every number meets both number helpers. And
// json_quote of the raw input, whatever its bytes, must read back as valid_utf8 of it. ihd::Error
// is the expected outcome of bad JSON; a mismatch or any other failure is a bug.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/error.h"
#include "common/json.h"
#include "common/text.h"

namespace {

using Events = std::vector<std::pair<ihd::JsonEvent, std::string>>;

ihd::JsonReadOptions fuzz_options(std::size_t bytes) {
  return {"fuzz input", ihd::ErrorKind::bad_value, "JSON", bytes, 32};
}

Events read_events(std::string_view text, bool try_numbers) {
  ihd::JsonReader reader(text, fuzz_options(text.size()));
  Events events;
  for (ihd::JsonEvent event = reader.next(); event != ihd::JsonEvent::end_of_document;
       event = reader.next()) {
    if (event == ihd::JsonEvent::number && try_numbers) {
      for (const auto& helper : {+[](const ihd::JsonReader& r) { r.non_negative_integer("n"); },
                                 +[](const ihd::JsonReader& r) { r.finite_double("x"); }}) {
        try {
          helper(reader);
        } catch (const ihd::Error&) {
        }
      }
    }
    events.emplace_back(event, reader.text());
  }
  return events;
}

// The document the events describe, in compact form.
std::string write_events(const Events& events) {
  std::string out;
  std::vector<bool> container_has_items;
  bool after_key = false;
  for (const auto& [event, text] : events) {
    const bool closes = event == ihd::JsonEvent::end_object || event == ihd::JsonEvent::end_array;
    if (!closes && !after_key && !container_has_items.empty()) {
      if (container_has_items.back()) out += ',';
      container_has_items.back() = true;
    }
    after_key = event == ihd::JsonEvent::key;
    switch (event) {
      case ihd::JsonEvent::begin_object:
        out += '{';
        container_has_items.push_back(false);
        break;
      case ihd::JsonEvent::begin_array:
        out += '[';
        container_has_items.push_back(false);
        break;
      case ihd::JsonEvent::end_object:
      case ihd::JsonEvent::end_array:
        out += event == ihd::JsonEvent::end_object ? '}' : ']';
        container_has_items.pop_back();
        break;
      case ihd::JsonEvent::key:
        out += ihd::json_quote(text) + ':';
        break;
      case ihd::JsonEvent::string:
        out += ihd::json_quote(text);
        break;
      case ihd::JsonEvent::number:
        out += text;
        break;
      case ihd::JsonEvent::literal_true:
        out += "true";
        break;
      case ihd::JsonEvent::literal_false:
        out += "false";
        break;
      case ihd::JsonEvent::literal_null:
        out += "null";
        break;
      case ihd::JsonEvent::end_of_document:
        break;
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  try {
    const Events events = read_events(input, true);
    const std::string copy = write_events(events);
    if (read_events(copy, false) != events) std::abort();
  } catch (const ihd::Error&) {
  }

  const std::string quoted = ihd::json_quote(input);
  ihd::JsonReader reader(quoted, fuzz_options(quoted.size()));
  if (reader.next() != ihd::JsonEvent::string || reader.text() != ihd::valid_utf8(input) ||
      reader.next() != ihd::JsonEvent::end_of_document) {
    std::abort();
  }
  return 0;
}
