// Storage: one reference-counted block of memory on one device, shared by the tensors that view
// it (a reshape shares its input's storage). Blocks come from a caching allocator per device, so a
// training loop that allocates the same shapes every step stops calling the system allocator after
// its first step.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "engine/device.h"

namespace ihd {

class Storage {
 public:
  Storage(std::size_t bytes, Device device);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() const { return data_; }
  std::size_t bytes() const { return bytes_; }
  Device device() const { return device_; }
  // A stamp that changes whenever values are written into this block in place (mark_modified),
  // drawn from one counter for all blocks, so no two blocks, nor two states of one, share a stamp:
  // what is derived from the values (folded inference weights) keeps the stamp it was made from.
  uint64_t version() const { return version_; }
  void mark_modified();

 private:
  void* data_ = nullptr;
  uint64_t version_;
  std::size_t bytes_ = 0;
  Device device_;
  bool checked_ = false;  // allocated while checked allocations were on: has a guard zone
};

// Checked allocations, for the op tests (tests/ops): while on, every new block is filled with
// 0xFF bytes (NaN in float32 and in bfloat16, so that an element a kernel forgets to write shows
// up in its result) and followed by a guard zone of the same bytes, read back when the block is
// freed; a guard zone found changed (a write past the end of a tensor) is counted. Slow: each free
// reads the guard back (from the GPU too). Not for training.
void set_checked_allocations(bool on);
// Blocks freed so far whose guard zone had been overwritten.
int64_t guard_zone_violations();

// Byte counts of the caching allocator of one device kind: in use now, highest in use so far.
struct MemoryStats {
  std::size_t in_use_bytes = 0;
  std::size_t peak_bytes = 0;
  std::size_t cached_bytes = 0;
};
MemoryStats memory_stats(Device device);
void reset_peak_memory(Device device);
// Returns cached (free) blocks to the system.
void release_cached_memory(Device device);

// Copies bytes between any two devices (host<->host, host<->cuda, cuda<->cuda).
void copy_bytes(void* destination, Device destination_device, const void* source,
                Device source_device, std::size_t bytes);

}  // namespace ihd
