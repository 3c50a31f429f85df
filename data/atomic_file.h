// Atomic file output: write to "<path>.tmp.<pid>.<thread>" and rename over the destination, so a
// reader (or a resumed run) never sees a half-written file.
#pragma once

#include <filesystem>
#include <span>
#include <string_view>

namespace ihd::data {

// Throws DataError (io) when the temporary file cannot be written or renamed.
void write_file_atomically(const std::filesystem::path& path, std::string_view contents);
void write_file_atomically(const std::filesystem::path& path, std::span<const unsigned char> bytes);

// A temporary name next to path, unique to this process and thread.
std::filesystem::path temporary_path_for(const std::filesystem::path& path);

// Renames tmp onto path; throws DataError (io) on failure.
void commit_temporary(const std::filesystem::path& tmp, const std::filesystem::path& path);

// Removes the temporaries in `folder` ("<name>.tmp.<pid>" or "<name>.tmp.<pid>.<thread>", the
// names above and the safetensors writer's) whose writing process no longer runs: what a run
// killed in the middle of a write leaves behind. Returns how many it removed; never throws.
int remove_abandoned_temporaries(const std::filesystem::path& folder);

}  // namespace ihd::data
