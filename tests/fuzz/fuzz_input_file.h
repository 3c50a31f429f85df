// Every parser under fuzz reads a path, so each fuzz input is written to one scratch file (private
// to this process, under /dev/shm when it exists) and the parser is pointed at it.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

namespace ihd::fuzz {

inline std::filesystem::path write_fuzz_input(const uint8_t* data, size_t size,
                                              const std::string& extension) {
  const std::filesystem::path folder =
      std::filesystem::exists("/dev/shm") ? "/dev/shm" : std::filesystem::temp_directory_path();
  const std::filesystem::path path =
      folder / ("ihd_fuzz." + std::to_string(::getpid()) + extension);
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  return path;
}

}  // namespace ihd::fuzz
