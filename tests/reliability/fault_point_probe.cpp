// ihd_fault_point_probe NAME CALLS: a program that reaches fault points and says how far it got,
// for fault_point_test.cpp. Each of its CALLS rounds calls fault_point("probe-other") and then
// fault_point(NAME), then prints the round's number (1, 2, ...) on a line of its own and flushes,
// so the output shows exactly which call killed it. Exits 0 when every round ran, 1 when
// fault_point threw (a malformed IHD_FAULT_KILL), 2 on a wrong command line.
#include <cstdio>
#include <cstdlib>
#include <exception>

#include "common/fault_injection.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s NAME CALLS\n", argv[0]);
    return 2;
  }
  const int calls = std::atoi(argv[2]);
  try {
    for (int round = 1; round <= calls; ++round) {
      ihd::fault_point("probe-other");
      ihd::fault_point(argv[1]);
      std::printf("%d\n", round);
      std::fflush(stdout);
    }
  } catch (const std::exception& error) {
    std::fprintf(stderr, "%s\n", error.what());
    return 1;
  }
  return 0;
}
