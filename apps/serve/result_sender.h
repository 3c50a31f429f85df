// Sending a study's results back: the SR and SC files C-STOREd, in one association, to the
// destination given as AE@HOST:PORT (--send-to), through DCMTK's DcmSCU. A failure (the peer
// unreachable, an association rejected, a store answered with an error) is reported, never
// thrown: the results stay on disk and the node goes on.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace ihd::serve {

struct Destination {
  std::string ae_title;
  std::string host;
  int port = 0;
};

// "VIEWER@10.0.0.5:104" -> {VIEWER, 10.0.0.5, 104}. Throws Error naming --send-to otherwise.
Destination parse_destination(const std::string& text);

// C-STOREs `files` to `destination` as `calling_ae_title`; returns "" when every store succeeded,
// else the first failure in one line.
std::string send_files(const Destination& destination, const std::string& calling_ae_title,
                       const std::vector<std::filesystem::path>& files, int timeout_seconds);

}  // namespace ihd::serve
