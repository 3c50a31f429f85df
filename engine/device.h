// Where a tensor's memory lives: the host (cpu) or one CUDA GPU (cuda:N). A process uses one GPU:
// its first CUDA tensor selects it, and a tensor on any other index throws (see storage.cpp).
#pragma once

#include <string>
#include <vector>

namespace ihd {

struct Device {
  enum class Kind { cpu, cuda };
  Kind kind = Kind::cpu;
  int index = 0;

  static Device cpu() { return {Kind::cpu, 0}; }
  static Device cuda(int index = 0) { return {Kind::cuda, index}; }
  // Parses "cpu", "cuda" or "cuda:N"; throws ihd::Error on anything else.
  static Device parse(const std::string& text);

  bool is_cpu() const { return kind == Kind::cpu; }
  bool is_cuda() const { return kind == Kind::cuda; }
  std::string to_string() const;
  bool operator==(const Device&) const = default;
};

// True when this build contains the CUDA backend (a GPU may still be absent at run time).
bool cuda_compiled();
// Why `text` names no device ("expected cpu, cuda or cuda:N"), or "" when Device::parse takes it.
std::string device_refusal(const std::string& text);
// True when the CUDA backend is compiled and at least one GPU is usable.
bool cuda_available();
// Returns once the work queued on `device` has finished: CUDA ops run asynchronously on the
// engine's compute stream (a timing must wait for them); CPU ops have finished when they return.
void synchronize(Device device);
// One line per GPU this process sees ("cuda:0: NVIDIA H200, 139.8 GiB, compute capability 9.0");
// none without the CUDA backend or a GPU.
std::vector<std::string> cuda_device_descriptions();

}  // namespace ihd
