// The armed point, parsed once from IHD_FAULT_KILL, and its counter. Only the armed point's calls
// are counted (no other count is ever read), so an unarmed call is a couple of loads and a branch.
#include "common/fault_injection.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <charconv>
#include <cstdlib>
#include <string>

#include "common/error.h"

namespace ihd {
namespace {

struct ArmedKill {
  std::string point;
  long at_call = 0;  // 0: nothing is armed
};

ArmedKill parse_fault_kill_variable() {
  const char* value = std::getenv(kFaultKillVariable);
  if (value == nullptr) return {};
  const std::string_view text(value);
  const std::size_t colon = text.rfind(':');
  ArmedKill armed;
  const std::string_view count =
      colon == std::string_view::npos ? std::string_view() : text.substr(colon + 1);
  const auto [end, error] =
      std::from_chars(count.data(), count.data() + count.size(), armed.at_call);
  if (colon == std::string_view::npos || colon == 0 || error != std::errc() ||
      end != count.data() + count.size() || armed.at_call < 1) {
    throw Error(std::string(kFaultKillVariable) + "='" + std::string(text) +
                "': expected <point name>:<call number from 1>, e.g. step:3");
  }
  armed.point = std::string(text.substr(0, colon));
  return armed;
}

// Parsed at the first call: a function-local static's initialisation is thread-safe, and one that
// throws is tried again at the next call.
const ArmedKill& armed_kill() {
  static const ArmedKill armed = parse_fault_kill_variable();
  return armed;
}

std::atomic<long> armed_point_calls{0};

}  // namespace

void fault_point(std::string_view name) {
  const ArmedKill& armed = armed_kill();
  if (armed.at_call == 0 || name != armed.point) return;
  if (armed_point_calls.fetch_add(1) + 1 == armed.at_call) ::kill(::getpid(), SIGKILL);
}

}  // namespace ihd
