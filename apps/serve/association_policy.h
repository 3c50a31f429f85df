// Who may open an association with the node: the calling AE titles of --allow-ae (a list, or "*"
// for any: an explicit choice, never a default), and only with the node's own AE title as the
// called one. Everyone else is rejected at association, before any data is exchanged.
#pragma once

#include <string>
#include <vector>

namespace ihd::serve {

class AssociationPolicy {
 public:
  // `allowed_calling` as given to --allow-ae: AE titles separated by commas, or "*". Throws
  // Error naming the flag when an AE title is empty, longer than 16 characters or holds a
  // backslash or a control character (what PS3.5 forbids in an AE value).
  AssociationPolicy(std::string node_ae_title, const std::string& allowed_calling);

  bool accepts_calling(const std::string& calling_ae_title) const;
  bool accepts_called(const std::string& called_ae_title) const;
  const std::string& node_ae_title() const { return node_ae_title_; }

 private:
  std::string node_ae_title_;
  bool any_calling_ = false;
  std::vector<std::string> allowed_calling_;
};

// Throws Error naming `flag` when `title` is not a valid AE title (above); returns it trimmed of
// surrounding spaces (which PS3.5 says are not significant).
std::string checked_ae_title(const std::string& title, const std::string& flag);

}  // namespace ihd::serve
