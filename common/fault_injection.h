// Fault injection, for tests only: named points in the code where a test can make the process
// die by SIGKILL, exactly as if the machine lost power or the OOM killer struck (no destructors,
// no flushing, no cleanup). The reliability test (tests/reliability/fault_injection_test.cpp)
// uses them to kill ihd_train at chosen moments (after an optimizer step, in validation, in data
// preparation, halfway through writing a checkpoint) and checks that a resumed run still ends
// bit-identical. Killing on progress instead of after a wall-clock delay makes that test
// deterministic on a machine of any speed or load.
//
// Arming: the environment variable IHD_FAULT_KILL="<name>:<N>" (N >= 1) makes the N-th call of
// fault_point("<name>") in this process raise SIGKILL on the process. The variable is read once,
// at the first call. Unset (normal use), fault_point does nothing but test one flag.
#pragma once

#include <string_view>

namespace ihd {

// The environment variable that arms one point.
inline constexpr const char* kFaultKillVariable = "IHD_FAULT_KILL";

// Counts this call of the point `name`; kills the process when it is the armed point's N-th.
// Thread-safe. Throws Error when IHD_FAULT_KILL is set but not of the form "<name>:<N>".
void fault_point(std::string_view name);

}  // namespace ihd
