// The calling and called AE title checks: see association_policy.h.
#include "apps/serve/association_policy.h"

#include <algorithm>

#include "common/error.h"
#include "common/json.h"

namespace ihd::serve {
namespace {

std::string trimmed(const std::string& text) {
  const auto first = text.find_first_not_of(' ');
  if (first == std::string::npos) return "";
  return text.substr(first, text.find_last_not_of(' ') - first + 1);
}

}  // namespace

std::string checked_ae_title(const std::string& title, const std::string& flag) {
  const std::string value = trimmed(title);
  const bool forbidden_byte = std::any_of(value.begin(), value.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte < 0x20 || byte == 0x7f || c == '\\';
  });
  IHD_CHECK_INPUT(!value.empty() && value.size() <= 16 && !forbidden_byte, flag, ": '",
                  json_escape(title),
                  "' is not an AE title (1 to 16 characters, no backslash or control character)");
  return value;
}

AssociationPolicy::AssociationPolicy(std::string node_ae_title, const std::string& allowed_calling)
    : node_ae_title_(checked_ae_title(node_ae_title, "--ae-title")) {
  if (trimmed(allowed_calling) == "*") {
    any_calling_ = true;
    return;
  }
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = allowed_calling.find(',', start);
    allowed_calling_.push_back(
        checked_ae_title(allowed_calling.substr(start, comma - start), "--allow-ae"));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
}

bool AssociationPolicy::accepts_calling(const std::string& calling_ae_title) const {
  if (any_calling_) return true;
  const std::string title = trimmed(calling_ae_title);
  return std::find(allowed_calling_.begin(), allowed_calling_.end(), title) !=
         allowed_calling_.end();
}

bool AssociationPolicy::accepts_called(const std::string& called_ae_title) const {
  return trimmed(called_ae_title) == node_ae_title_;
}

}  // namespace ihd::serve
