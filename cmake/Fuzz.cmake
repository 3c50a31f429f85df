# IHD_FUZZ: builds the libFuzzer targets of tests/fuzz (clang only). Every library is compiled
# with coverage instrumentation for the fuzzer and with AddressSanitizer and
# UndefinedBehaviorSanitizer, so a fuzz input that corrupts memory stops the run with a report.
# Use a build folder of its own: scripts/fuzz.sh configures one.
option(IHD_FUZZ "Build the libFuzzer targets in tests/fuzz (needs clang)" OFF)
if(IHD_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "IHD_FUZZ needs clang (e.g. -DCMAKE_CXX_COMPILER=clang++-14)")
  endif()
  if(NOT IHD_DATA)
    message(FATAL_ERROR "IHD_FUZZ needs IHD_DATA (the DICOM, CSV and PNG readers)")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)
  add_subdirectory(tests/fuzz)
endif()
