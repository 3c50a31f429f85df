// The pre-parse check (see dicom_structure.h): two byte sources (the file itself, or its deflated
// data set inflated piece by piece), the walk of one element structure with an explicit stack of
// frames, and the choice of walks: the meta group, then the data set in each encoding DCMTK might
// read it in.
#include "data/dicom_structure.h"

#include <dcmtk/dcmdata/dctag.h>
#include <dcmtk/dcmdata/dcvr.h>
#include <dcmtk/dcmdata/dcxfer.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"

namespace ihd::data {
namespace {

constexpr std::uint32_t undefined_length = 0xFFFFFFFFu;
constexpr std::uint64_t no_end = std::numeric_limits<std::uint64_t>::max();
constexpr size_t piece_bytes = 64 * 1024;
constexpr std::uint16_t item_group = 0xFFFE;
constexpr std::uint16_t item_element = 0xE000;
constexpr std::uint16_t item_end_element = 0xE00D;
constexpr std::uint16_t sequence_end_element = 0xE0DD;

[[noreturn]] void refuse(const std::filesystem::path& path, const std::string& reason) {
  throw Error(ErrorKind::too_large, path.string(), reason);
}

std::string tag_text(std::uint16_t group, std::uint16_t element) {
  char text[16];
  std::snprintf(text, sizeof text, "(%04X,%04X)", group, element);
  return text;
}

// Up to `count` bytes of the file from `offset` (fewer at its end).
std::string bytes_at(const std::filesystem::path& path, std::uint64_t offset, size_t count) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorKind::unreadable, path.string(), "cannot open for reading");
  std::string bytes(count, '\0');
  in.seekg(static_cast<std::streamoff>(offset));
  in.read(bytes.data(), static_cast<std::streamsize>(count));
  bytes.resize(in ? count : static_cast<size_t>(std::max<std::streamsize>(0, in.gcount())));
  return bytes;
}

struct Encoding {
  bool explicit_vr = true;
  bool big_endian = false;
};
constexpr Encoding explicit_little{true, false};
constexpr Encoding implicit_little{false, false};
constexpr Encoding explicit_big{true, true};
constexpr Encoding implicit_big{false, true};

std::uint16_t decode16(const std::uint8_t* bytes, bool big_endian) {
  return static_cast<std::uint16_t>(big_endian ? bytes[0] << 8 | bytes[1]
                                               : bytes[1] << 8 | bytes[0]);
}

std::uint32_t decode32(const std::uint8_t* bytes, bool big_endian) {
  const std::uint32_t high = decode16(bytes + (big_endian ? 0 : 2), big_endian);
  const std::uint32_t low = decode16(bytes + (big_endian ? 2 : 0), big_endian);
  return high << 16 | low;
}

std::uint16_t swap16(std::uint16_t value) {
  return static_cast<std::uint16_t>(value << 8 | value >> 8);
}

// DCMTK's DcmItem::foundVR: two letters naming a standard VR.
bool names_standard_vr(const std::uint8_t* two) {
  if (!std::isalpha(two[0]) || !std::isalpha(two[1])) return false;
  const char name[3] = {static_cast<char>(two[0]), static_cast<char>(two[1]), '\0'};
  return DcmVR(name).isStandard();
}

// DCMTK's DcmItem::checkTransferSyntax: the encoding it guesses from the first tag and VR bytes
// of the meta group, or of a data set whose transfer syntax is not named.
Encoding detect_encoding(const std::string& first_bytes) {
  if (first_bytes.size() < 6) return explicit_little;
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(first_bytes.data());
  const std::uint16_t group = decode16(bytes, false);
  const std::uint16_t element = decode16(bytes + 2, false);
  const bool little_known = DcmTag(group, element).error().good();
  const bool big_known = DcmTag(swap16(group), swap16(element)).error().good();
  Encoding encoding{names_standard_vr(bytes + 4), false};
  if (little_known != big_known)
    encoding.big_endian = big_known;
  else if (little_known)
    encoding.big_endian = group > 0xff && swap16(group) <= 0xff;
  return encoding;
}

// DCMTK's DcmMetaInfo::nextTagIsMeta: group 0002 in either byte order.
bool starts_with_group_0002(const std::uint8_t* bytes) {
  return (bytes[0] == 0x02 && bytes[1] == 0x00) || (bytes[0] == 0x00 && bytes[1] == 0x02);
}

bool is_unknown_vr(DcmEVR vr) {
  return vr == EVR_UN || vr == EVR_UNKNOWN || vr == EVR_UNKNOWN2B;
}

bool is_private_data_element(std::uint16_t group, std::uint16_t element) {
  return (group & 1) != 0 && element >= 0x1000;
}

bool is_private_creator(std::uint16_t group, std::uint16_t element) {
  return (group & 1) != 0 && element >= 0x0010 && element <= 0x00FF;
}

std::string trimmed(const std::string& text) {
  const auto is_padding = [](char c) { return c == ' ' || c == '\0'; };
  const auto first = std::find_if_not(text.begin(), text.end(), is_padding);
  const auto last = std::find_if_not(text.rbegin(), text.rend(), is_padding).base();
  return first < last ? std::string(first, last) : std::string();
}

// Sequential bytes of the data being walked, counted from where the walk starts.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Reads exactly `count` bytes; false when the data ends first.
  virtual bool read(std::uint8_t* out, size_t count) = 0;
  // Skips `count` bytes; false when the data ends first.
  virtual bool skip(std::uint64_t count) = 0;
  // How many bytes are left, when that is known without reading them.
  virtual std::uint64_t known_remaining() const = 0;
  std::uint64_t position() const { return position_; }

 protected:
  std::uint64_t position_ = 0;
};

class FileSource final : public ByteSource {
 public:
  FileSource(const std::filesystem::path& path, std::uint64_t start) : in_(path, std::ios::binary) {
    std::error_code error;
    size_ = std::filesystem::file_size(path, error);
    if (!in_ || error) throw Error(ErrorKind::unreadable, path.string(), "cannot open for reading");
    position_ = std::min(start, size_);
    in_.seekg(static_cast<std::streamoff>(position_));
  }

  bool read(std::uint8_t* out, size_t count) override {
    if (count > known_remaining()) return false;
    in_.read(reinterpret_cast<char*>(out), static_cast<std::streamsize>(count));
    position_ += count;
    return static_cast<bool>(in_);
  }

  bool skip(std::uint64_t count) override {
    if (count > known_remaining()) return false;
    position_ += count;
    in_.seekg(static_cast<std::streamoff>(position_));
    return static_cast<bool>(in_);
  }

  std::uint64_t known_remaining() const override { return size_ - position_; }

 private:
  std::ifstream in_;
  std::uint64_t size_ = 0;
};

// A raw deflate stream (as DCMTK reads Deflated Explicit VR Little Endian) inflated 64 KiB at a
// time; throws too_large as soon as more than max_bytes came out. A damaged stream ends there,
// as it ends DCMTK's read.
class InflatedSource final : public ByteSource {
 public:
  InflatedSource(const std::filesystem::path& path, std::uint64_t compressed_start,
                 std::uint64_t max_bytes)
      : path_(path), in_(path, std::ios::binary), max_bytes_(max_bytes) {
    if (!in_) throw Error(ErrorKind::unreadable, path.string(), "cannot open for reading");
    in_.seekg(static_cast<std::streamoff>(compressed_start));
    if (inflateInit2(&stream_, -MAX_WBITS) != Z_OK)
      throw Error(ErrorKind::general, path.string(), "cannot start zlib's inflater");
  }
  InflatedSource(const InflatedSource&) = delete;
  InflatedSource& operator=(const InflatedSource&) = delete;
  ~InflatedSource() override { inflateEnd(&stream_); }

  bool read(std::uint8_t* out, size_t count) override { return consume(out, count); }
  bool skip(std::uint64_t count) override { return consume(nullptr, count); }
  std::uint64_t known_remaining() const override { return no_end; }

  // Inflates (and drops) the rest of the stream: the data set's whole inflated size.
  std::uint64_t inflate_to_end() {
    while (refill()) {
    }
    return inflated_bytes_;
  }

 private:
  bool consume(std::uint8_t* out, std::uint64_t count) {
    while (count > 0) {
      if (next_ == output_.size() && !refill()) return false;
      const size_t taken =
          static_cast<size_t>(std::min<std::uint64_t>(count, output_.size() - next_));
      if (out != nullptr) {
        std::memcpy(out, output_.data() + next_, taken);
        out += taken;
      }
      next_ += taken;
      count -= taken;
      position_ += taken;
    }
    return true;
  }

  // The next piece of inflated bytes; false at the end of the stream.
  bool refill() {
    output_.resize(piece_bytes);
    stream_.next_out = output_.data();
    stream_.avail_out = static_cast<uInt>(output_.size());
    while (!finished_ && stream_.avail_out == output_.size()) {
      if (stream_.avail_in == 0) {
        in_.read(reinterpret_cast<char*>(input_.data()),
                 static_cast<std::streamsize>(input_.size()));
        stream_.next_in = input_.data();
        stream_.avail_in = static_cast<uInt>(in_.gcount());
        if (stream_.avail_in == 0) finished_ = true;
      }
      if (!finished_) {
        const int status = inflate(&stream_, Z_NO_FLUSH);
        const bool needs_input = status == Z_BUF_ERROR && stream_.avail_in == 0;
        finished_ = status != Z_OK && !needs_input;
      }
    }
    output_.resize(output_.size() - stream_.avail_out);
    next_ = 0;
    inflated_bytes_ += output_.size();
    if (inflated_bytes_ > max_bytes_)
      refuse(path_,
             "the deflated data set inflates to more than " + decoded_bytes_limit_text(max_bytes_));
    return !output_.empty();
  }

  std::filesystem::path path_;
  std::ifstream in_;
  std::uint64_t max_bytes_;
  z_stream stream_{};
  std::vector<std::uint8_t> input_ = std::vector<std::uint8_t>(piece_bytes);
  std::vector<std::uint8_t> output_;
  size_t next_ = 0;
  bool finished_ = false;
  std::uint64_t inflated_bytes_ = 0;
};

// One level of the walk: the meta group or data set at the top, an item, or a sequence.
enum class FrameKind { meta_group, data_set, item, sequence };

struct Frame {
  Frame(FrameKind kind, Encoding encoding, std::uint64_t content_start,
        std::uint32_t length = undefined_length, int depth = 0)
      : kind(kind),
        encoding(encoding),
        content_start(content_start),
        length(length),
        depth(depth) {}

  FrameKind kind;
  Encoding encoding;
  std::uint64_t content_start;
  std::uint32_t length;
  int depth;  // sequences around this frame's content
  // The element of a speculative frame may be a leaf to DCMTK: when the walk inside fails, it goes
  // on after the element. Nothing inside one may run past its end (hard_end) either.
  bool speculative = false;
  std::uint64_t hard_end = no_end;
  bool items_are_fragments = false;  // encapsulated pixel data: its items are leaves
  std::map<std::uint32_t, std::string> private_creators;  // (group << 8 | block) -> creator
};

// Where the meta group ends, by DCMTK's rule: its group length (0002,0000) when that is its first
// element, else the first tag outside group 0002.
enum class MetaGroupEnd { not_yet_known, by_group_length, by_group_0002 };

struct TransferSyntaxValue {
  std::optional<std::string> text;  // nullopt: too long to read (over 1 KiB)
  bool nested = false;              // inside a sequence of the meta group
  bool is_ui = true;  // DCMTK reads it as a UID (an explicit VR other than UI: as whatever that is)
};

// How the walk of the meta group ended.
enum class MetaGroupWalk {
  complete,
  failed,  // DCMTK's read of the meta group fails too: it reads no data set
  // DCMTK reads the first element apart (for the group length) and, when that element is a
  // sequence it cannot parse, goes on reading the meta group from wherever its parse stopped:
  // no walk can follow it there.
  first_element_damaged,
};

class StructureWalk {
 public:
  StructureWalk(ByteSource& source, const std::filesystem::path& path,
                std::uint64_t max_value_bytes)
      : source_(source), path_(path), max_value_bytes_(max_value_bytes) {}

  // The meta group, from the source's position (its first tag is group 0002).
  MetaGroupWalk walk_meta_group(Encoding encoding) {
    meta_group_end_rule_ = MetaGroupEnd::not_yet_known;
    if (walk(Frame(FrameKind::meta_group, encoding, source_.position())))
      return MetaGroupWalk::complete;
    return first_meta_element_open_ && !data_ended_ ? MetaGroupWalk::first_element_damaged
                                                    : MetaGroupWalk::failed;
  }

  void walk_data_set(Encoding encoding) {
    walk(Frame(FrameKind::data_set, encoding, source_.position()));
  }

  int deepest() const { return deepest_; }
  std::uint64_t meta_group_end() const { return meta_group_end_; }
  const std::vector<TransferSyntaxValue>& transfer_syntax_uids() const {
    return transfer_syntax_uids_;
  }

 private:
  // True when the top frame ended as DCMTK ends it.
  bool walk(Frame top) {
    stack_.clear();
    stack_.push_back(std::move(top));
    while (!stack_.empty()) {
      const bool stepped =
          stack_.back().kind == FrameKind::sequence ? step_in_sequence() : step_in_item();
      if (!stepped && !unwind()) return false;
    }
    return true;
  }

  Frame& frame() { return stack_.back(); }
  bool in_speculation() { return frame().hard_end != no_end; }
  std::uint64_t consumed() { return source_.position() - frame().content_start; }

  // Reads or skips bytes of the frame at the top; false past its hard end or the end of the data.
  bool take(std::uint8_t* out, size_t count) {
    if (count > frame().hard_end - source_.position()) return broken();
    data_ended_ = !source_.read(out, count);
    return !data_ended_;
  }
  bool pass(std::uint64_t count) {
    if (count > frame().hard_end - source_.position()) return broken();
    data_ended_ = !source_.skip(count);
    return !data_ended_;
  }
  // A failure that is not the end of the data: bytes that are not the structure DCMTK expects.
  bool broken() {
    data_ended_ = false;
    return false;
  }

  void finish_top(std::uint64_t end) {
    if (frame().kind == FrameKind::meta_group) meta_group_end_ = end;
    stack_.pop_back();
  }

  // A value about to be read or skipped: refused when longer than the limit (and, in the file,
  // not running past its end, which DCMTK reports as truncation). Inside a speculative frame every
  // value lies within an element already checked.
  void check_value_length(std::uint16_t group, std::uint16_t element, std::uint32_t length) {
    if (!in_speculation() && length > max_value_bytes_ && length <= source_.known_remaining())
      refuse(path_, "element " + tag_text(group, element) + " declares a value of " +
                        std::to_string(length) + " bytes, more than " +
                        decoded_bytes_limit_text(max_value_bytes_));
  }

  void push_sequence(Encoding encoding, std::uint32_t length, bool speculative,
                     bool items_are_fragments) {
    Frame sequence(FrameKind::sequence, encoding, source_.position(), length, frame().depth + 1);
    sequence.speculative = speculative;
    sequence.hard_end =
        speculative ? std::min(frame().hard_end, source_.position() + length) : frame().hard_end;
    sequence.items_are_fragments = items_are_fragments;
    deepest_ = std::max(deepest_, sequence.depth);
    if (deepest_ > max_sequence_nesting)
      refuse(path_, "sequences nest more than " + std::to_string(max_sequence_nesting) +
                        " levels deep (DICOM images nest a few; refused before parsing)");
    stack_.push_back(std::move(sequence));
  }

  // The VR DCMTK gives an implicit VR element: its dictionary's, with the private creator of its
  // block where the item names one.
  DcmEVR dictionary_vr(std::uint16_t group, std::uint16_t element) {
    DcmTag tag(group, element);
    if (is_private_data_element(group, element)) {
      const auto creator = frame().private_creators.find(std::uint32_t{group} << 8 | element >> 8);
      if (creator != frame().private_creators.end()) {
        tag.setPrivateCreator(creator->second.c_str());
        tag.lookupVRinDictionary();
      }
    }
    return tag.getEVR();
  }

  // A defined-length value that DCMTK, under other settings or dictionaries, might take for a
  // sequence (dcmEnableUnknownVRConversion, dcmPreferVRFromDataDictionary, private dictionaries,
  // VOI LUT Sequence as OW).
  bool might_be_sequence(std::uint16_t group, std::uint16_t element, DcmEVR vr) {
    return is_unknown_vr(vr) || is_private_data_element(group, element) ||
           DcmTag(group, element).getEVR() == EVR_SQ;
  }

  std::optional<std::string> read_value(std::uint32_t length) {
    std::string value(length, '\0');
    if (!take(reinterpret_cast<std::uint8_t*>(value.data()), length)) return std::nullopt;
    return value;
  }

  // One element of the meta group, data set or item at the top of the stack.
  bool step_in_item() {
    Frame& current = frame();
    const bool is_meta_group = current.kind == FrameKind::meta_group;
    if (is_meta_group) first_meta_element_open_ = false;
    if (current.kind == FrameKind::item && current.length != undefined_length &&
        consumed() >= current.length) {
      stack_.pop_back();
      return true;
    }
    if (is_meta_group && meta_group_end_rule_ == MetaGroupEnd::by_group_length &&
        source_.position() >= meta_group_end_target_) {
      finish_top(source_.position());
      return true;
    }
    std::uint8_t header[8];
    if (!take(header, 4)) {
      if (current.kind == FrameKind::item) return false;  // the data ended inside an item
      finish_top(source_.position());
      return true;
    }
    if (is_meta_group && meta_group_end_rule_ == MetaGroupEnd::by_group_0002 &&
        !starts_with_group_0002(header)) {
      finish_top(source_.position() - 4);
      return true;
    }
    const Encoding encoding = current.encoding;
    const std::uint16_t group = decode16(header, encoding.big_endian);
    const std::uint16_t element = decode16(header + 2, encoding.big_endian);
    if (group == item_group && (element == item_element || element == item_end_element ||
                                element == sequence_end_element)) {
      if (!take(header + 4, 4)) return false;
      if (element != item_end_element) return broken();  // DCMTK fails on it here
      if (current.kind == FrameKind::item) {
        stack_.pop_back();
      } else {
        finish_top(source_.position());
      }
      return true;
    }

    DcmEVR vr = EVR_UNKNOWN;
    std::uint32_t length = 0;
    if (encoding.explicit_vr) {
      if (!take(header + 4, 2)) return false;
      const char name[3] = {static_cast<char>(header[4]), static_cast<char>(header[5]), '\0'};
      const DcmVR file_vr(name);
      const bool pixel_data_as_ox =
          group == 0x7FE0 && element == 0x0010 && header[4] == 'O' && header[5] == 'X';
      vr = pixel_data_as_ox ? EVR_OW : file_vr.getEVR();
      if (file_vr.usesExtendedLengthEncoding()) {
        if (!take(header, 6)) return false;
        length = decode32(header + 2, encoding.big_endian);
      } else {
        if (!take(header, 2)) return false;
        length = decode16(header, encoding.big_endian);
      }
    } else {
      vr = dictionary_vr(group, element);
      if (!take(header, 4)) return false;
      length = decode32(header, encoding.big_endian);
    }

    if (is_meta_group && meta_group_end_rule_ == MetaGroupEnd::not_yet_known) {
      meta_group_end_rule_ = MetaGroupEnd::by_group_0002;
      first_meta_element_open_ = true;
      if (group == 0x0002 && element == 0x0000 && vr == EVR_UL && length > 0 &&
          length != undefined_length)
        return read_meta_group_length(length);
    }
    if (vr == EVR_SQ) {
      push_sequence(encoding, length, false, false);
      return true;
    }
    if (length == undefined_length) {
      // As DCMTK's newDicomElement: OB or OW PixelData is encapsulated pixel data; UN is a
      // sequence of implicit little endian items (CP-246); any other VR is taken for a sequence
      // too (DCMTK fails on those, or converts OB/OW to SQ when told to).
      const bool encapsulated_pixel_data =
          group == 0x7FE0 && element == 0x0010 &&
          (vr == EVR_OB || vr == EVR_OW || vr == EVR_ox || vr == EVR_px);
      push_sequence(is_unknown_vr(vr) ? implicit_little : encoding, length, false,
                    encapsulated_pixel_data);
      return true;
    }
    check_value_length(group, element, length);
    if (is_meta_group && group == 0x0002 && element == 0x0010) {
      const bool readable = length <= 1024;
      const auto value = readable ? read_value(length) : std::nullopt;
      if (readable && !value) return false;
      transfer_syntax_uids_.push_back({value, stack_.size() > 1, vr == EVR_UI});
      return readable || pass(length);
    }
    if (!encoding.explicit_vr && is_private_creator(group, element) && length <= 1024) {
      const auto value = read_value(length);
      if (!value) return false;
      frame().private_creators[std::uint32_t{group} << 8 | element] = trimmed(*value);
      return true;
    }
    if (might_be_sequence(group, element, vr)) {
      push_sequence(encoding.explicit_vr && is_unknown_vr(vr) ? implicit_little : encoding, length,
                    true, false);
      return true;
    }
    return pass(length);
  }

  // DCMTK takes the meta group's length from the first value of (0002,0000) and reads whole
  // elements until that many bytes after it are consumed.
  bool read_meta_group_length(std::uint32_t length) {
    check_value_length(0x0002, 0x0000, length);
    std::uint8_t value[4];
    if (length < 4) return broken();
    if (!take(value, 4) || !pass(length - 4)) return false;
    meta_group_end_rule_ = MetaGroupEnd::by_group_length;
    meta_group_end_target_ = source_.position() + decode32(value, frame().encoding.big_endian);
    return true;
  }

  // One item header of the sequence at the top of the stack.
  bool step_in_sequence() {
    Frame& sequence = frame();
    if (sequence.length != undefined_length && consumed() >= sequence.length) {
      stack_.pop_back();
      return true;
    }
    std::uint8_t header[8];
    if (!take(header, 8)) return false;
    const bool big_endian = sequence.encoding.big_endian;
    const std::uint16_t group = decode16(header, big_endian);
    const std::uint16_t element = decode16(header + 2, big_endian);
    const std::uint32_t length = decode32(header + 4, big_endian);
    if (group == item_group && element == sequence_end_element && !sequence.speculative) {
      stack_.pop_back();
      return true;
    }
    if (group != item_group || element != item_element) return broken();
    if (sequence.items_are_fragments) {
      if (length == undefined_length) return broken();  // DCMTK fails on it
      check_value_length(group, element, length);
      return pass(length);
    }
    Frame item(FrameKind::item, sequence.encoding, source_.position(), length, sequence.depth);
    item.hard_end = sequence.hard_end;
    stack_.push_back(std::move(item));
    return true;
  }

  // After a failure: back to the innermost speculative frame, whose element becomes a leaf, and
  // on after it. False when no speculative frame is left (DCMTK's parse fails here as well).
  bool unwind() {
    for (;;) {
      const auto speculative = std::find_if(stack_.rbegin(), stack_.rend(),
                                            [](const Frame& frame) { return frame.speculative; });
      if (speculative == stack_.rend()) return false;
      const std::uint64_t end = speculative->content_start + speculative->length;
      stack_.erase(std::prev(speculative.base()), stack_.end());
      if (pass(end - source_.position())) return true;
    }
  }

  ByteSource& source_;
  const std::filesystem::path& path_;
  std::uint64_t max_value_bytes_;
  std::vector<Frame> stack_;
  int deepest_ = 0;
  bool data_ended_ = false;  // the last failure was the end of the data
  MetaGroupEnd meta_group_end_rule_ = MetaGroupEnd::not_yet_known;
  bool first_meta_element_open_ = false;
  std::uint64_t meta_group_end_target_ = 0;
  std::uint64_t meta_group_end_ = 0;
  std::vector<TransferSyntaxValue> transfer_syntax_uids_;
};

// The UID as DCMTK compares it: up to the first NUL, white space removed (its input correction).
std::string uid_as_dcmtk_reads_it(const std::string& value) {
  std::string uid = value.substr(0, value.find('\0'));
  std::erase_if(uid, [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; });
  return uid;
}

// One non-empty UID in the meta group itself, as a UI, without white space: DCMTK reads it as we
// do. (An empty string, for one, is the UID of DCMTK's virtual Big Endian Implicit.)
bool written_plainly(const std::vector<TransferSyntaxValue>& values) {
  if (values.size() != 1 || values[0].nested || !values[0].is_ui || !values[0].text) return false;
  const std::string& text = *values[0].text;
  const std::string uid = uid_as_dcmtk_reads_it(text);
  return !uid.empty() && uid == text.substr(0, text.find('\0'));
}

struct DataSetReading {
  Encoding encoding;
  bool deflated = false;
};

// The readings of the data set DCMTK may choose, given the meta group's transfer syntax UIDs and
// the data set's first bytes.
std::vector<DataSetReading> readings_dcmtk_may_choose(const std::vector<TransferSyntaxValue>& uids,
                                                      const std::string& first_bytes) {
  if (uids.empty()) return {{detect_encoding(first_bytes)}};
  if (written_plainly(uids)) {
    const DcmXfer xfer(uid_as_dcmtk_reads_it(*uids[0].text).c_str());
    if (xfer.getXfer() == EXS_Unknown) return {{detect_encoding(first_bytes)}};
    if (xfer.getStreamCompression() == ESC_zlib) return {{explicit_little, true}};
    if (xfer.getStreamCompression() != ESC_none) return {};  // DCMTK refuses to read it
    return {{{xfer.isExplicitVR(), xfer.getByteOrder() == EBO_BigEndian}}};
  }
  std::vector<DataSetReading> readings = {
      {implicit_little}, {explicit_little}, {explicit_big}, {implicit_big}};
  const bool may_be_deflated = std::any_of(uids.begin(), uids.end(), [](const auto& uid) {
    return !uid.text ||
           DcmXfer(uid_as_dcmtk_reads_it(*uid.text).c_str()).getStreamCompression() == ESC_zlib;
  });
  if (may_be_deflated) readings.push_back({explicit_little, true});
  return readings;
}

}  // namespace

std::string decoded_bytes_limit_text(std::uint64_t max_decoded_bytes) {
  const bool whole_mib = max_decoded_bytes % (1 << 20) == 0;
  return "the limit of " +
         (whole_mib ? std::to_string(max_decoded_bytes >> 20) + " MiB"
                    : std::to_string(max_decoded_bytes) + " bytes") +
         " (raise it with --max-decoded-mb)";
}

DicomStructure check_dicom_structure(const std::filesystem::path& path,
                                     std::uint64_t max_value_bytes) {
  const std::string start = bytes_at(path, 0, 132);
  const std::uint64_t meta_group_start =
      start.size() == 132 && start.compare(128, 4, "DICM") == 0 ? 132 : 0;
  DicomStructure structure;
  std::uint64_t data_set_start = meta_group_start;
  std::vector<TransferSyntaxValue> uids;
  const std::string meta_group_first = bytes_at(path, meta_group_start, 6);
  if (meta_group_first.size() >= 2 &&
      starts_with_group_0002(reinterpret_cast<const std::uint8_t*>(meta_group_first.data()))) {
    FileSource source(path, meta_group_start);
    StructureWalk walk(source, path, max_value_bytes);
    const MetaGroupWalk meta_group = walk.walk_meta_group(detect_encoding(meta_group_first));
    structure.nesting_depth = walk.deepest();
    if (meta_group == MetaGroupWalk::first_element_damaged)
      throw Error(ErrorKind::not_dicom, path.string(),
                  "damaged File Meta Information (its first element is a sequence that does not "
                  "parse)");
    if (meta_group == MetaGroupWalk::failed) return structure;
    data_set_start = walk.meta_group_end();
    uids = walk.transfer_syntax_uids();
  }
  const std::string data_set_first = bytes_at(path, data_set_start, 6);
  for (const DataSetReading& reading : readings_dcmtk_may_choose(uids, data_set_first)) {
    if (reading.deflated) {
      InflatedSource source(path, data_set_start, max_value_bytes);
      StructureWalk walk(source, path, max_value_bytes);
      walk.walk_data_set(reading.encoding);
      structure.inflated_bytes = source.inflate_to_end();
      structure.nesting_depth = std::max(structure.nesting_depth, walk.deepest());
    } else {
      FileSource source(path, data_set_start);
      StructureWalk walk(source, path, max_value_bytes);
      walk.walk_data_set(reading.encoding);
      structure.nesting_depth = std::max(structure.nesting_depth, walk.deepest());
    }
  }
  return structure;
}

}  // namespace ihd::data
