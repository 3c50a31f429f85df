// Flat JSON writing and a strict reader for exactly that shape: { "key": "value", ... } with the
// standard string escapes.
#include "apps/pipeline/run_config.h"

#include <cctype>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "common/atomic_file.h"
#include "common/error.h"

namespace ihd::pipeline {
namespace {

std::string json_string(const std::string& text) {
  std::string out = "\"";
  for (const char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char escaped[8];
          std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
          out += escaped;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

// Reads the JSON string that starts at text[position] (a quote); advances position past it.
std::string read_json_string(const std::string& text, std::size_t& position,
                             const std::string& file) {
  if (position >= text.size() || text[position] != '"') {
    throw Error(file + ": expected a string at byte " + std::to_string(position));
  }
  std::string out;
  for (++position; position < text.size(); ++position) {
    const char c = text[position];
    if (c == '"') {
      ++position;
      return out;
    }
    if (c != '\\') {
      out += c;
      continue;
    }
    if (++position >= text.size()) break;
    switch (text[position]) {
      case '"':
        out += '"';
        break;
      case '\\':
        out += '\\';
        break;
      case '/':
        out += '/';
        break;
      case 'n':
        out += '\n';
        break;
      case 't':
        out += '\t';
        break;
      case 'r':
        out += '\r';
        break;
      case 'u': {
        const std::string hex = text.substr(position + 1, 4);
        if (hex.size() != 4 ||
            hex.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) {
          throw Error(file + ": bad \\u escape at byte " + std::to_string(position));
        }
        const int code = std::stoi(hex, nullptr, 16);
        if (code > 0x7f) throw Error(file + ": non-ASCII \\u escapes are not supported");
        out += static_cast<char>(code);
        position += 4;
        break;
      }
      default:
        throw Error(file + ": bad escape in a string");
    }
  }
  throw Error(file + ": unterminated string");
}

void skip_space(const std::string& text, std::size_t& position) {
  while (position < text.size() && std::isspace(static_cast<unsigned char>(text[position]))) {
    ++position;
  }
}

}  // namespace

void write_run_config(const std::filesystem::path& path, const ConfigValues& values) {
  std::string text = "{\n";
  for (std::size_t i = 0; i < values.size(); ++i) {
    text += "  " + json_string(values[i].first) + ": " + json_string(values[i].second);
    text += i + 1 < values.size() ? ",\n" : "\n";
  }
  text += "}\n";
  write_file_atomically(path, text);
}

std::map<std::string, std::string> read_run_config(const std::filesystem::path& path) {
  const std::string file = path.string();
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(file + ": cannot open");
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();
  std::map<std::string, std::string> values;
  std::size_t position = 0;
  skip_space(text, position);
  if (position >= text.size() || text[position++] != '{') throw Error(file + ": expected '{'");
  skip_space(text, position);
  if (position < text.size() && text[position] == '}') return values;
  while (true) {
    skip_space(text, position);
    std::string key = read_json_string(text, position, file);
    skip_space(text, position);
    if (position >= text.size() || text[position++] != ':') throw Error(file + ": expected ':'");
    skip_space(text, position);
    values[std::move(key)] = read_json_string(text, position, file);
    skip_space(text, position);
    if (position < text.size() && text[position] == ',') {
      ++position;
      continue;
    }
    if (position < text.size() && text[position] == '}') return values;
    throw Error(file + ": expected ',' or '}' at byte " + std::to_string(position));
  }
}

}  // namespace ihd::pipeline
