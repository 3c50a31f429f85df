// The first line of every test case that needs a CUDA GPU: without one (or in a build without
// the CUDA backend) the case reports itself skipped and returns; ctest lists it as skipped
// through the binary's SKIP_REGULAR_EXPRESSION "SKIPPED \(no CUDA GPU\)".
#pragma once

#include <doctest/doctest.h>

#include <string>

#include "engine/device.h"

#define IHD_SKIP_WITHOUT_GPU()                                                    \
  do {                                                                            \
    if (!::ihd::cuda_available()) {                                               \
      MESSAGE("SKIPPED (no CUDA GPU): "                                           \
              << std::string(doctest::getContextOptions()->currentTest->m_name)); \
      return;                                                                     \
    }                                                                             \
  } while (0)
