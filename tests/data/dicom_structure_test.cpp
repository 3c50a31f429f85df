// The pre-parse check against DCMTK itself: over every pydicom test file DCMTK loads, the check
// lets it through and its depth is at least the depth of DCMTK's parsed tree; on files built here
// (each encoding, defined and undefined lengths, UN, private and encapsulated elements) the depths
// agree exactly where DCMTK descends and the check counts more only where DCMTK might; and on
// thousands of randomly damaged 80-deep files, whenever the check lets one through, DCMTK's tree
// (even a partial one from a failed parse) is no deeper than the check said.
#include "data/dicom_structure.h"

#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcstack.h>
#include <dcmtk/oflog/oflog.h>
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/random.h"
#include "data/dicom_bytes.h"
#include "data/test_paths.h"

namespace ihd::data {
namespace {

namespace fs = std::filesystem;
using namespace dicom_bytes;

constexpr std::uint64_t default_limit_bytes = std::uint64_t{256} << 20;

// The deepest count of sequences (SQ or pixel sequences) around any object DCMTK parsed, also
// when its parse failed part way.
int parsed_tree_depth(DcmFileFormat& file) {
  int deepest = 0;
  DcmStack stack;
  while (file.nextObject(stack, OFTrue).good()) {
    int depth = 0;
    for (unsigned long i = 0; i < stack.card(); ++i) {
      const DcmEVR ident = stack.elem(i)->ident();
      depth += ident == EVR_SQ || ident == EVR_pixelSQ;
    }
    deepest = std::max(deepest, depth);
  }
  return deepest;
}

// DCMTK's parse as the reader runs it: its tree depth, or nullopt when DCMTK refuses the file.
std::optional<int> dcmtk_depth(const fs::path& path) {
  OFLog::configure(OFLogger::OFF_LOG_LEVEL);
  DcmFileFormat file;
  if (file.loadFile(path.c_str(), EXS_Unknown, EGL_noChange, 4096, ERM_autoDetect).bad())
    return std::nullopt;
  return parsed_tree_depth(file);
}

// 80 nested sequences in every encoding and wrapping the check knows (the nesting alone, or
// inside an undefined-length UN, or a known private SQ; deflated; without preamble or meta group).
std::vector<std::string> deep_files() {
  const Syntax ele = Syntax::explicit_little, ile = Syntax::implicit_little;
  const Syntax ebe = Syntax::explicit_big;
  const int depth = 80;
  const std::string private_sequence = item(ile, nested_sequences(ile, depth, true), true);
  return {
      part10(explicit_little_uid,
             image_attributes(ele, 4, 4) + nested_sequences(ele, depth, false)),
      part10(explicit_little_uid, image_attributes(ele, 4, 4) + nested_sequences(ele, depth, true)),
      part10(implicit_little_uid,
             image_attributes(ile, 4, 4) + nested_sequences(ile, depth, false)),
      part10(explicit_big_uid, image_attributes(ebe, 4, 4) + nested_sequences(ebe, depth, false)),
      image_attributes(ile, 4, 4) + nested_sequences(ile, depth, false),
      part10(explicit_little_uid, nested_sequences(ele, depth, false)).substr(128),
      part10(explicit_little_uid, element_header(ele, {0x0009, 0x1010}, "UN", undefined_length) +
                                      item(ile, nested_sequences(ile, depth, false), false) +
                                      tag_bytes(ile, {0xFFFE, 0xE0DD}) + std::string(4, '\0')),
      part10(implicit_little_uid, text(ile, {0x0009, 0x0010}, "LO", "CARDIO-D.R. 1.0") +
                                      element(ile, {0x0009, 0x1040}, "SQ", private_sequence)),
      part10(deflated_uid,
             RawDeflater()
                 .bytes(image_attributes(ele, 4, 4) + nested_sequences(ele, depth, false))
                 .finish()),
  };
}

// A few random changes: bytes overwritten, flipped, inserted, deleted or copied from elsewhere,
// the transfer syntax UID replaced (padded, empty, deflated...), a VR replaced.
std::string damaged(std::string bytes, Random& random) {
  const char* uids[] = {implicit_little_uid,
                        explicit_little_uid,
                        explicit_big_uid,
                        deflated_uid,
                        " 1.2.840.10008.1.2",
                        "1.2.840.10008.1.2.5",
                        ""};
  const char* vrs[] = {"SQ", "UN", "OB", "OW", "LO", "UT", "XX", "ox"};
  for (int change = random.integer(1, 4); change > 0; --change) {
    const size_t span = random.chance(0.5) ? std::min<size_t>(bytes.size(), 400) : bytes.size();
    const size_t at = random.below(span);
    if (random.chance(0.25)) {
      const size_t uid = bytes.find("1.2.840.10008.1.2", 128);
      if (uid != std::string::npos)
        bytes.replace(uid, bytes.find_first_not_of("0123456789.", uid) - uid,
                      uids[random.below(std::size(uids))]);
      continue;
    }
    if (random.chance(0.2)) {
      const size_t vr = bytes.find("SQ", at);
      if (vr != std::string::npos) bytes.replace(vr, 2, vrs[random.below(std::size(vrs))]);
      continue;
    }
    switch (random.below(5)) {
      case 0:
        bytes[at] = static_cast<char>(random.next());
        break;
      case 1:
        bytes[at] = static_cast<char>(bytes[at] ^ (1 << random.below(8)));
        break;
      case 2:
        bytes.insert(at, random.integer(1, 8), static_cast<char>(random.next()));
        break;
      case 3:
        bytes.erase(at, random.integer(1, 8));
        break;
      default:
        bytes.insert(at, bytes.substr(random.below(bytes.size()), random.integer(4, 12)));
        break;
    }
  }
  return bytes;
}

int scanned_depth(const fs::path& path) {
  return check_dicom_structure(path, default_limit_bytes).nesting_depth;
}

void write_file(const fs::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

}  // namespace

TEST_CASE("dicom structure: every pydicom test file DCMTK loads passes, with at least its depth") {
  int loaded = 0;
  for (const auto& entry : fs::recursive_directory_iterator(pydicom_test_file(""))) {
    if (!entry.is_regular_file()) continue;
    const fs::path& path = entry.path();
    CAPTURE(path);
    const std::optional<int> dcmtk = dcmtk_depth(path);
    if (!dcmtk) {
      try {
        check_dicom_structure(path, default_limit_bytes);
      } catch (const Error&) {
      }
      continue;
    }
    ++loaded;
    int scanned = -1;
    CHECK_NOTHROW(scanned = scanned_depth(path));
    CHECK(scanned >= *dcmtk);
  }
  CHECK(loaded >= 100);
}

TEST_CASE("dicom structure: depths agree with DCMTK in every encoding and length form") {
  const fs::path dir = scratch_dir("dicom_structure_depths");
  const struct {
    Syntax syntax;
    const char* uid;
  } syntaxes[] = {{Syntax::explicit_little, explicit_little_uid},
                  {Syntax::implicit_little, implicit_little_uid},
                  {Syntax::explicit_big, explicit_big_uid}};
  for (const auto& encoding : syntaxes) {
    const Syntax syntax = encoding.syntax;
    const std::string uid = encoding.uid;
    for (bool defined : {false, true}) {
      for (int depth : {1, 5, 40}) {
        const fs::path path = dir / "nested.dcm";
        const std::string innermost = text(syntax, {0x0010, 0x0010}, "PN", "Deep^Patient");
        write_file(path, part10(uid, image_attributes(syntax, 4, 4) +
                                         nested_sequences(syntax, depth, defined, innermost)));
        CAPTURE(uid);
        CAPTURE(defined);
        CAPTURE(depth);
        REQUIRE(dcmtk_depth(path) == depth);
        CHECK(scanned_depth(path) == depth);
      }
    }
  }
}

TEST_CASE("dicom structure: UN, private and encapsulated elements") {
  const fs::path dir = scratch_dir("dicom_structure_kinds");
  const Syntax ele = Syntax::explicit_little;
  const Syntax ile = Syntax::implicit_little;

  // Undefined-length UN: implicit little endian items, descended as DCMTK does.
  write_file(dir / "un.dcm", part10(explicit_little_uid,
                                    element_header(ele, {0x0009, 0x1010}, "UN", undefined_length) +
                                        item(ile, nested_sequences(ile, 3, false), false) +
                                        tag_bytes(ile, {0xFFFE, 0xE0DD}) + std::string(4, '\0')));
  CHECK(dcmtk_depth(dir / "un.dcm") == 4);
  CHECK(scanned_depth(dir / "un.dcm") == 4);

  // A private implicit VR element of unknown creator holding items: a leaf to DCMTK, a possible
  // sequence to the check (a private dictionary could make it one).
  const std::string private_items = item(ile, nested_sequences(ile, 2, true), true);
  write_file(dir / "private.dcm",
             part10(implicit_little_uid, element(ile, {0x0009, 0x1010}, "UN", private_items) +
                                             text(ile, {0x0010, 0x0010}, "PN", "After^Private")));
  CHECK(dcmtk_depth(dir / "private.dcm") == 0);
  CHECK(scanned_depth(dir / "private.dcm") == 3);

  // The same bytes as a fragment of encapsulated pixel data are a leaf to both.
  write_file(dir / "fragments.dcm",
             part10("1.2.840.10008.1.2.5",
                    image_attributes(ele, 4, 4) +
                        element_header(ele, pixel_data_tag, "OB", undefined_length) +
                        item(ele, "", true) + item(ele, private_items, true) +
                        tag_bytes(ele, {0xFFFE, 0xE0DD}) + std::string(4, '\0')));
  CHECK(scanned_depth(dir / "fragments.dcm") == 1);
  CHECK(dcmtk_depth(dir / "fragments.dcm") <= 1);

  // A deflated data set: its inflated size is counted.
  const std::string data_set = image_attributes(ele, 4, 4) + nested_sequences(ele, 3, false);
  write_file(dir / "deflated.dcm", part10(deflated_uid, RawDeflater().bytes(data_set).finish()));
  const DicomStructure deflated = check_dicom_structure(dir / "deflated.dcm", default_limit_bytes);
  CHECK(deflated.inflated_bytes == data_set.size());
  CHECK(deflated.nesting_depth == 3);
  CHECK(dcmtk_depth(dir / "deflated.dcm") == 3);
}

TEST_CASE("dicom structure: an oddly written transfer syntax UID is walked in every encoding") {
  const fs::path dir = scratch_dir("dicom_structure_odd_uid");
  // " 1.2.840.10008.1.2" with a space: DCMTK's input correction drops it; the check cannot be sure
  // which encoding DCMTK will take, so it walks all of them and finds the implicit nesting.
  const Syntax ile = Syntax::implicit_little;
  write_file(dir / "odd_uid.dcm", part10(" 1.2.840.10008.1.2", nested_sequences(ile, 70, false)));
  try {
    check_dicom_structure(dir / "odd_uid.dcm", default_limit_bytes);
    FAIL("no Error for 70 nested sequences");
  } catch (const Error& error) {
    CHECK(error.kind() == ErrorKind::too_large);
  }
}

TEST_CASE("dicom structure: a meta group whose first element is a broken sequence is refused") {
  // DCMTK reads the first meta element apart; when it is a sequence that does not parse, DCMTK
  // goes on from wherever its parse stopped (here: into 80 nested sequences) instead of failing.
  const fs::path dir = scratch_dir("dicom_structure_first_meta");
  const Syntax ele = Syntax::explicit_little;
  const std::string not_an_item = "UL" + uint_bytes(4, 2, false) + uint_bytes(112, 4, false);
  const std::string file = part10(explicit_little_uid, nested_sequences(ele, 80, false));
  write_file(
      dir / "first_meta_sequence.dcm",
      file.substr(0, 132) + element(ele, {0x0002, 0x4000}, "SQ", not_an_item) + file.substr(144));
  try {
    check_dicom_structure(dir / "first_meta_sequence.dcm", default_limit_bytes);
    FAIL("no Error for a broken first meta element");
  } catch (const Error& error) {
    CHECK(error.kind() == ErrorKind::not_dicom);
    CHECK(std::string(error.what()).find("damaged File Meta Information") != std::string::npos);
  }
  CHECK(dcmtk_depth(dir / "first_meta_sequence.dcm") == 80);
}

TEST_CASE("dicom structure: on damaged deep files the check's depth bounds DCMTK's parse") {
  OFLog::configure(OFLogger::OFF_LOG_LEVEL);
  const fs::path path = scratch_dir("dicom_structure_damaged") / "damaged.dcm";
  const std::vector<std::string> files = deep_files();
  Random random(20240611);
  int passed = 0;
  for (int attempt = 0; attempt < 3000; ++attempt) {
    write_file(path, damaged(files[random.below(files.size())], random));
    int checked = 0;
    try {
      checked = scanned_depth(path);
    } catch (const Error&) {
      continue;
    }
    ++passed;
    DcmFileFormat file;
    file.loadFile(path.c_str(), EXS_Unknown, EGL_noChange, 4096, ERM_autoDetect);
    CAPTURE(attempt);
    CHECK(parsed_tree_depth(file) <= checked);
  }
  CHECK(passed > 1000);
}

}  // namespace ihd::data
