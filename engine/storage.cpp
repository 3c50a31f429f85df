// Storage and the per-device caching allocators. Freed blocks are kept in a pool keyed by their
// exact (rounded) size and handed out again for the next request of that size. Checked
// allocations (the op tests') poison each new block and guard its end.
#include "engine/storage.h"

#include <atomic>
#include <bit>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <vector>

#include "common/error.h"
#include "kernels/backend.h"
#include "kernels/elementwise.h"

#ifdef IHD_WITH_CUDA
#include "kernels/cuda/memory.h"
#endif

namespace ihd {
namespace {

constexpr std::size_t kHostAlignmentBytes = 64;

void* system_allocate(std::size_t bytes, Device device) {
  if (device.is_cpu()) {
    void* block = std::aligned_alloc(kHostAlignmentBytes, bytes);
    IHD_CHECK(block != nullptr, "out of host memory allocating ", bytes, " bytes");
    return block;
  }
#ifdef IHD_WITH_CUDA
  return kernels::cuda::device_allocate(bytes);
#else
  throw Error(kernels::kNoCudaBackend);
#endif
}

void system_release(void* block, Device device) {
  if (device.is_cpu()) {
    std::free(block);
    return;
  }
#ifdef IHD_WITH_CUDA
  kernels::cuda::device_release(block);
#endif
}

// One pool per device kind. Sizes are rounded up to the alignment so that near sizes share blocks.
class CachingAllocator {
 public:
  explicit CachingAllocator(Device device) : device_(device) {}

  void* allocate(std::size_t bytes) {
    bytes = round_up(bytes);
    std::lock_guard lock(mutex_);
    void* block = nullptr;
    auto free_blocks = free_blocks_by_size_.find(bytes);
    if (free_blocks != free_blocks_by_size_.end() && !free_blocks->second.empty()) {
      block = free_blocks->second.back();
      free_blocks->second.pop_back();
      stats_.cached_bytes -= bytes;
    } else {
      block = system_allocate(bytes, device_);
    }
    stats_.in_use_bytes += bytes;
    if (stats_.in_use_bytes > stats_.peak_bytes) stats_.peak_bytes = stats_.in_use_bytes;
    return block;
  }

  void release(void* block, std::size_t bytes) {
    bytes = round_up(bytes);
    std::lock_guard lock(mutex_);
    free_blocks_by_size_[bytes].push_back(block);
    stats_.in_use_bytes -= bytes;
    stats_.cached_bytes += bytes;
  }

  void release_cached() {
    std::lock_guard lock(mutex_);
    for (auto& [bytes, blocks] : free_blocks_by_size_) {
      for (void* block : blocks) system_release(block, device_);
    }
    free_blocks_by_size_.clear();
    stats_.cached_bytes = 0;
  }

  MemoryStats stats() {
    std::lock_guard lock(mutex_);
    return stats_;
  }

  void reset_peak() {
    std::lock_guard lock(mutex_);
    stats_.peak_bytes = stats_.in_use_bytes;
  }

 private:
  static std::size_t round_up(std::size_t bytes) {
    if (bytes == 0) bytes = 1;
    return (bytes + kHostAlignmentBytes - 1) / kHostAlignmentBytes * kHostAlignmentBytes;
  }

  Device device_;
  std::mutex mutex_;
  std::map<std::size_t, std::vector<void*>> free_blocks_by_size_;
  MemoryStats stats_;
};

// Allocators live for the whole program: storages may be freed during static destruction.
CachingAllocator& allocator_for(Device device) {
  static auto* host = new CachingAllocator(Device::cpu());
  static auto* gpu = new CachingAllocator(Device::cuda());
  return device.is_cpu() ? *host : *gpu;
}

// Memory on `device`. One GPU per process: the first CUDA storage selects its GPU, and a storage
// on any other GPU throws (kernels::cuda::select_device), cached blocks or not.
void* allocate(std::size_t bytes, Device device) {
  if (device.is_cuda()) {
#ifdef IHD_WITH_CUDA
    IHD_CHECK(cuda_available(),
              "no usable CUDA GPU (or no NVIDIA driver) on this machine: use --device cpu");
    kernels::cuda::select_device(device.index);
#else
    throw Error(kernels::kNoCudaBackend);
#endif
  }
  return allocator_for(device).allocate(bytes);
}

}  // namespace

namespace {
uint64_t next_version() {
  static std::atomic<uint64_t> counter{0};
  return ++counter;
}

constexpr std::size_t kGuardZoneBytes = 256;
constexpr unsigned char kPoisonByte = 0xFF;
std::atomic<bool> checked_allocations{false};
std::atomic<int64_t> guard_violations{0};

// Fills `bytes` (a multiple of 4) at `block` with kPoisonByte.
void poison(void* block, std::size_t bytes, Device device) {
  if (device.is_cpu()) {
    std::memset(block, kPoisonByte, bytes);
    return;
  }
  const auto all_ones = std::bit_cast<float>(~uint32_t{0});
  IHD_ON_BACKEND(kernels::Backend::cuda, fill, static_cast<int64_t>(bytes / 4), all_ones,
                 static_cast<float*>(block));
}

bool guard_intact(const void* block, std::size_t data_bytes, Device device) {
  std::vector<unsigned char> guard(kGuardZoneBytes);
  copy_bytes(guard.data(), Device::cpu(), static_cast<const unsigned char*>(block) + data_bytes,
             device, kGuardZoneBytes);
  for (const unsigned char byte : guard) {
    if (byte != kPoisonByte) return false;
  }
  return true;
}

// The data bytes rounded up to whole floats: the guard zone starts there.
std::size_t guarded_data_bytes(std::size_t bytes) {
  return (bytes + 3) / 4 * 4;
}
}  // namespace

void set_checked_allocations(bool on) {
  checked_allocations = on;
}
int64_t guard_zone_violations() {
  return guard_violations;
}

Storage::Storage(std::size_t bytes, Device device)
    : version_(next_version()), bytes_(bytes), device_(device), checked_(checked_allocations) {
  if (!checked_) {
    data_ = allocate(bytes, device);
    return;
  }
  const std::size_t total = guarded_data_bytes(bytes) + kGuardZoneBytes;
  data_ = allocate(total, device);
  poison(data_, total, device);
}

void Storage::mark_modified() {
  version_ = next_version();
}

Storage::~Storage() {
  if (!checked_) {
    allocator_for(device_).release(data_, bytes_);
    return;
  }
  const std::size_t data_bytes = guarded_data_bytes(bytes_);
  if (!guard_intact(data_, data_bytes, device_)) ++guard_violations;
  allocator_for(device_).release(data_, data_bytes + kGuardZoneBytes);
}

MemoryStats memory_stats(Device device) {
  return allocator_for(device).stats();
}
void reset_peak_memory(Device device) {
  allocator_for(device).reset_peak();
}
void release_cached_memory(Device device) {
  allocator_for(device).release_cached();
}

void copy_bytes(void* destination, Device destination_device, const void* source,
                Device source_device, std::size_t bytes) {
  if (bytes == 0) return;
  if (destination_device.is_cpu() && source_device.is_cpu()) {
    std::memcpy(destination, source, bytes);
    return;
  }
#ifdef IHD_WITH_CUDA
  kernels::cuda::copy_bytes(destination, destination_device.is_cuda(), source,
                            source_device.is_cuda(), bytes);
#else
  throw Error(kernels::kNoCudaBackend);
#endif
}

}  // namespace ihd
