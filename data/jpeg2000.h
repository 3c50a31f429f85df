// JPEG 2000 decoding of one DICOM frame (transfer syntaxes 1.2.840.10008.1.2.4.90, lossless only,
// and .91, lossless or lossy), through OpenJPEG: DCMTK's free toolkit has no JPEG 2000 codec, and
// archives store CT this way often. A frame is a raw J2K codestream (what DICOM requires) or, as
// some writers make it, a JP2 file; both are accepted.
//
// The bytes are untrusted: the codestream's size segment is read by hand first, and the image must
// be what the DICOM header declares (its rows and columns, one component, a tile grid of at most
// 4096 tiles) before OpenJPEG reads anything; then its header (one grey component of at most 16
// bits, no subsampling) before it allocates the pixels. Its errors become one line.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace ihd::data {

struct Jpeg2000Frame {
  int rows = 0;
  int columns = 0;
  int precision = 0;       // bits per sample, 1..16
  bool is_signed = false;  // two's-complement samples
  std::vector<std::int32_t> samples;  // rows x columns, row-major, the stored values
};

// Decodes `size` bytes at `bytes`. Throws ihd::Error (a plain reason, no file name: the caller
// adds it) when the stream is damaged or its image is not `rows` x `columns` of one grey
// component.
Jpeg2000Frame decode_jpeg2000(const std::uint8_t* bytes, std::size_t size, int rows, int columns);

}  // namespace ihd::data
