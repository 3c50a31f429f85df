// The pre-parse check of a DICOM file's element structure, run before DCMTK reads the file.
//
// DCMTK 3.6.7 parses nested sequences by recursion, one level of C++ stack per sequence and item,
// with no depth limit: a file whose sequences nest 10,000 deep overflows the stack and kills the
// whole process (a batch of thousands of files dies with it). And it inflates a deflated data set
// (Deflated Explicit VR Little Endian) whole into memory: 4 MB on disk can become 4 GB. This check
// walks the same structure first, without recursion (an explicit stack of frames) and without
// keeping any value, and refuses (ErrorKind::too_large, one line naming the file and the limit)
//   - sequences nested deeper than max_sequence_nesting,
//   - an element value longer than max_value_bytes (inside the file: a value that runs past its
//     end is left to DCMTK, which reports the file truncated),
//   - a deflated data set that inflates to more than max_value_bytes (inflated in 64 KiB pieces and
//     counted, never held whole);
// and (ErrorKind::not_dicom) a meta group whose first element is a sequence that does not parse,
// the one damage DCMTK reads on from at a place no walk can predict.
//
// The depth it finds is an upper bound on the depth DCMTK reaches, so that every file it lets
// through is safe to parse:
//   - it reads the file the way DCMTK does: Part 10 preamble or none, the meta group in the
//     encoding DCMTK detects from its first bytes and ended by DCMTK's rule (the group length, or
//     while tags are group 0002), the data set in the transfer syntax the meta group names or, when
//     it names none, the one DCMTK's detection picks from the first six bytes; element headers
//     decoded with DCMTK's own VR and tag dictionary classes (DcmVR, DcmTag), items and sequences
//     ended by the same byte counts and delimiters;
//   - it descends wherever DCMTK may: every SQ; every element of undefined length (undefined-length
//     UN holds implicit little endian items, as DCMTK reads it) except encapsulated pixel data,
//     whose fragments are leaves to DCMTK too; and, speculatively, every defined-length value DCMTK
//     might take for a sequence under other settings or dictionaries (private elements, elements
//     of unknown VR or tag, elements whose dictionary VR is SQ): the depth of a speculative descent
//     counts even when the bytes turn out not to be a sequence, and the walk then goes on after
//     the value as DCMTK does;
//   - it stops only where DCMTK's parse fails too (a value past the end of the data, a non-item in
//     a sequence, a misplaced delimiter), so nothing after that point is parsed by DCMTK either;
//   - a transfer syntax UID not written plainly (white space in it, empty, another VR than UI,
//     inside a sequence, more than one) leaves DCMTK's choice open: the data set is then walked in
//     all four uncompressed encodings, and inflated too if the UID could be the deflated one.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace ihd::data {

// Real files nest a few levels (a CT slice 2 or 3, structured reports about 20); 64 is far below
// the depth at which DCMTK's recursion exhausts even a 2 MiB worker thread stack.
inline constexpr int max_sequence_nesting = 64;

struct DicomStructure {
  int nesting_depth = 0;             // deepest sequence nesting any walk reached (0: none)
  std::uint64_t inflated_bytes = 0;  // deflated data sets: their inflated size (0 otherwise)
};

// Walks the file's structure; throws Error (too_large, not_dicom as above, or unreadable when it
// cannot be opened). Any other damage is left for DCMTK to report.
DicomStructure check_dicom_structure(const std::filesystem::path& path,
                                     std::uint64_t max_value_bytes);

// "the limit of 256 MiB (raise it with --max-decoded-mb)": the end of every message about the
// decoded-bytes limit.
std::string decoded_bytes_limit_text(std::uint64_t max_decoded_bytes);

}  // namespace ihd::data
