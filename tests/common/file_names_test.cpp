// child_path(): an ID becomes a file name inside its folder, or is refused with a one-line error;
// nothing built from an ID can point outside the folder.
#include "common/file_names.h"

#include <doctest/doctest.h>

#include <string>

#include "common/error.h"

namespace ihd {

TEST_CASE("file names: IDs from RSNA, scanners and people are accepted") {
  for (const char* name :
       {"ID_5a5ef3a5e6.png", "IM-0001-0042.dcm", "-leading-dash", "Müller 2", "a..b", "x.png"}) {
    CAPTURE(name);
    CHECK(is_safe_file_name(name));
    CHECK(child_path("out", name) == std::filesystem::path("out") / name);
  }
}

TEST_CASE("file names: anything that could leave the folder or hide in it is refused") {
  for (const std::string& name :
       {std::string(""), std::string("."), std::string(".."), std::string("../../etc/passwd"),
        std::string("a/b"), std::string("a\\b"), std::string(".hidden"), std::string("tab\there"),
        std::string("new\nline"), std::string("nul\0byte", 8), std::string(201, 'x'),
        std::string("del\x7f")}) {
    CAPTURE(name);
    CHECK_FALSE(is_safe_file_name(name));
    try {
      child_path("out", name);
      FAIL("accepted");
    } catch (const Error& error) {
      CHECK(error.kind() == ErrorKind::bad_value);
      CHECK(std::string(error.what()).find('\n') == std::string::npos);
      CHECK(std::string(error.what()).find("not usable as a file name") != std::string::npos);
    }
  }
}

}  // namespace ihd
