// File names made from outside strings. An image ID from a DICOM header, a CSV or a cache manifest
// becomes a file name only through child_path(), which refuses anything that could leave the
// output folder or hide in it. The documented rule for a file name built from an ID: 1 to 200
// bytes, no control character (bytes below 0x20 and 0x7f, so no NUL, TAB or newline), no '/' and
// no '\', and no leading '.' (so neither "." nor ".." nor a hidden file). So "../../etc/x" or
// "a/b" never become paths; UTF-8 names such as "Müller" do.
#pragma once

#include <filesystem>
#include <string_view>

namespace ihd {

// Whether `name` is a safe single file name by the rule above.
bool is_safe_file_name(std::string_view name);

// folder / name, when `name` is safe; throws Error(bad_value) naming the ID otherwise.
std::filesystem::path child_path(const std::filesystem::path& folder, std::string_view name);

}  // namespace ihd
