// Atomic file output for run folders: contents go to a temporary file beside the destination,
// which is then renamed over it, so a reader (a resumed run, a browser) never sees half a file.
#pragma once

#include <filesystem>
#include <span>
#include <string_view>

namespace ihd::training {

// Throws std::runtime_error naming the path when the file cannot be written or renamed.
void write_file_atomically(const std::filesystem::path& path, std::string_view contents);
void write_file_atomically(const std::filesystem::path& path,
                           std::span<const unsigned char> contents);

}  // namespace ihd::training
