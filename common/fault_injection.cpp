// The armed entries, parsed once from IHD_FAULT_KILL, and their counters. Only calls of armed
// points are counted (no other count is ever read), so an unarmed call is a couple of loads and a
// branch.
#include "common/fault_injection.h"

#include <signal.h>

#include <atomic>
#include <charconv>
#include <cstdlib>
#include <deque>
#include <string>

#include "common/error.h"

namespace ihd {
namespace {

struct ArmedFault {
  std::string point;
  long at_call = 0;
  int signal = SIGKILL;
  std::atomic<long> calls{0};
};

[[noreturn]] void refuse(std::string_view text) {
  throw Error(std::string(kFaultKillVariable) + "='" + std::string(text) +
              "': expected <point name>:<call number from 1>[:KILL|INT|TERM], comma-separated, "
              "e.g. step:3 or step:3:INT");
}

// One entry, "<name>:<N>" or "<name>:<N>:<signal>".
void parse_entry(std::string_view entry, std::string_view whole, ArmedFault& armed) {
  std::string_view count = entry;
  const std::size_t first_colon = entry.find(':');
  if (first_colon == std::string_view::npos || first_colon == 0) refuse(whole);
  armed.point = std::string(entry.substr(0, first_colon));
  count = entry.substr(first_colon + 1);
  if (const std::size_t colon = count.find(':'); colon != std::string_view::npos) {
    const std::string_view signal = count.substr(colon + 1);
    count = count.substr(0, colon);
    if (signal == "INT") {
      armed.signal = SIGINT;
    } else if (signal == "TERM") {
      armed.signal = SIGTERM;
    } else if (signal != "KILL") {
      refuse(whole);
    }
  }
  const auto [end, error] =
      std::from_chars(count.data(), count.data() + count.size(), armed.at_call);
  if (error != std::errc() || end != count.data() + count.size() || armed.at_call < 1) {
    refuse(whole);
  }
}

std::deque<ArmedFault> parse_fault_kill_variable() {
  std::deque<ArmedFault> armed;
  const char* value = std::getenv(kFaultKillVariable);
  if (value == nullptr) return armed;
  const std::string_view text(value);
  for (std::size_t start = 0;;) {
    const std::size_t comma = text.find(',', start);
    parse_entry(text.substr(start, comma - start), text, armed.emplace_back());
    if (comma == std::string_view::npos) return armed;
    start = comma + 1;
  }
}

// Parsed at the first call: a function-local static's initialisation is thread-safe, and one that
// throws is tried again at the next call.
std::deque<ArmedFault>& armed_faults() {
  static std::deque<ArmedFault> armed = parse_fault_kill_variable();
  return armed;
}

}  // namespace

void fault_point(std::string_view name) {
  for (ArmedFault& armed : armed_faults()) {
    if (name != armed.point) continue;
    if (armed.calls.fetch_add(1) + 1 == armed.at_call) ::raise(armed.signal);
  }
}

}  // namespace ihd
