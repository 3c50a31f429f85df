// Fault injection, for tests only: named points in the code where a test can make the process
// die by SIGKILL, exactly as if the machine lost power or the OOM killer struck (no destructors,
// no flushing, no cleanup), or receive SIGINT or SIGTERM, as if a user pressed Ctrl-C or a
// scheduler stopped the job. The reliability tests (tests/reliability/fault_injection_test.cpp,
// tests/cli/interrupt_test.cpp) use them to kill or stop ihd_train at chosen moments (after an
// optimizer step, in validation, in data preparation, halfway through writing a checkpoint) and
// check that a resumed run still ends bit-identical. Signalling on progress instead of after a
// wall-clock delay makes those tests deterministic on a machine of any speed or load.
//
// Arming: the environment variable IHD_FAULT_KILL="<name>:<N>[:<signal>]" (N >= 1; signal KILL,
// the default, INT or TERM) makes the N-th call of fault_point("<name>") in this process raise
// that signal on the calling thread; several such entries, separated by commas, arm several
// (each counts the calls of its own point). The variable is read once, at the first call. Unset
// (normal use), fault_point does nothing but test one flag.
#pragma once

#include <string_view>

namespace ihd {

// The environment variable that arms the points.
inline constexpr const char* kFaultKillVariable = "IHD_FAULT_KILL";

// Counts this call of the point `name`; raises the armed signal when it is an armed entry's N-th.
// Thread-safe. Throws Error when IHD_FAULT_KILL is set but not of the form above.
void fault_point(std::string_view name);

}  // namespace ihd
