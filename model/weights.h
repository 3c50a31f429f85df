// Model weights in and out as safetensors files with PyTorch's names and layouts, so that a
// torchvision state_dict exported in one line of Python loads here and ours loads there.
//
// A module's state() (parameters and buffers, torch names and order) is written as is, except
// that 4-D convolution weights are transposed from our OHWI to PyTorch's OIHW; loading reverses
// it. Loading is all or nothing: every name, shape and dtype is checked before the first value is
// copied, and a mismatch throws one ihd::Error that lists every missing, unexpected and
// mismatched tensor. To fine-tune from ImageNet weights with a different head, ask the loader to
// keep the model's freshly initialised head (HeadPolicy::keep_initialised).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "engine/module.h"

namespace ihd {

enum class HeadPolicy {
  load,              // the head's tensors load like all others and must match
  keep_initialised,  // the file's head tensors are ignored; the model keeps its own head
};

struct WeightLoadOptions {
  HeadPolicy head = HeadPolicy::load;
  std::string head_prefix = "fc.";  // which tensors form the head (torchvision: fc.*)
};

struct WeightLoadReport {
  std::vector<std::string> loaded;            // model tensors that received the file's values
  std::vector<std::string> kept_initialised;  // model head tensors left as they were
  std::vector<std::string> ignored;           // file head tensors not used
};

// Writes module.state() to `path` (atomically), with optional string metadata.
void save_weights(const Module& module, const std::string& path,
                  const std::map<std::string, std::string>& metadata = {});

// Loads `path` into module's state; F16/BF16 files load into float32 tensors.
WeightLoadReport load_weights(const Module& module, const std::string& path,
                              const WeightLoadOptions& options = {});

// Layout conversion of one 4-D convolution weight: ours [O, KH, KW, I] <-> PyTorch [O, I, KH, KW].
// Other ranks are returned as they are. Results are new host tensors.
Tensor to_torch_layout(const Tensor& tensor);
Tensor from_torch_layout(const Tensor& tensor);

}  // namespace ihd
