// save_weights / load_weights: name matching, the OHWI <-> OIHW transposes, and the check-all-
// then-copy loader.
#include "model/weights.h"

#include <array>
#include <set>

#include "common/error.h"
#include "engine/safetensors.h"

namespace ihd {
namespace {

// Copies a 4-D tensor's elements into a new host tensor whose dimensions are the source's taken in
// the order `order` (out[i0, i1, i2, i3] = in at the permuted index).
Tensor permute4(const Tensor& tensor, std::array<int, 4> order) {
  const Tensor host = tensor.to(Device::cpu());
  const Shape& in_shape = host.shape();
  const Shape out_shape{in_shape[order[0]], in_shape[order[1]], in_shape[order[2]],
                        in_shape[order[3]]};
  std::array<int64_t, 4> in_strides{in_shape[1] * in_shape[2] * in_shape[3],
                                    in_shape[2] * in_shape[3], in_shape[3], 1};
  Tensor out = Tensor::empty(out_shape);
  const float* source = host.data();
  float* target = out.data();
  for (int64_t a = 0; a < out_shape[0]; ++a) {
    for (int64_t b = 0; b < out_shape[1]; ++b) {
      for (int64_t c = 0; c < out_shape[2]; ++c) {
        for (int64_t d = 0; d < out_shape[3]; ++d) {
          *target++ = source[a * in_strides[order[0]] + b * in_strides[order[1]] +
                             c * in_strides[order[2]] + d * in_strides[order[3]]];
        }
      }
    }
  }
  return out;
}

bool is_conv_weight(const Tensor& tensor) {
  return tensor.rank() == 4 && tensor.dtype() == DType::f32;
}

Shape torch_shape(const Tensor& tensor) {
  const Shape& s = tensor.shape();
  return is_conv_weight(tensor) ? Shape{s[0], s[3], s[1], s[2]} : s;
}

bool starts_with(const std::string& text, const std::string& prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

// "  name" lines, at most `limit` of them, then a count of the rest.
std::string name_list(const std::vector<std::string>& lines) {
  constexpr std::size_t kLimit = 20;
  std::string out;
  for (std::size_t i = 0; i < lines.size() && i < kLimit; ++i) out += "\n    " + lines[i];
  if (lines.size() > kLimit)
    out += "\n    ... and " + std::to_string(lines.size() - kLimit) + " more";
  return out;
}

}  // namespace

Tensor to_torch_layout(const Tensor& tensor) {
  return is_conv_weight(tensor) ? permute4(tensor, {0, 3, 1, 2}) : tensor.to(Device::cpu());
}

Tensor from_torch_layout(const Tensor& tensor) {
  return is_conv_weight(tensor) ? permute4(tensor, {0, 2, 3, 1}) : tensor.to(Device::cpu());
}

void save_weights(const Module& module, const std::string& path,
                  const std::map<std::string, std::string>& metadata) {
  std::vector<NamedTensor> on_disk;
  for (const auto& [name, tensor] : module.state())
    on_disk.emplace_back(name, to_torch_layout(tensor));
  write_safetensors(path, on_disk, metadata);
}

WeightLoadReport load_weights(const Module& module, const std::string& path,
                              const WeightLoadOptions& options) {
  const SafetensorsFile file = read_safetensors(path);
  const bool keep_head = options.head == HeadPolicy::keep_initialised;
  auto is_head = [&](const std::string& name) {
    return keep_head && starts_with(name, options.head_prefix);
  };

  // Pass 1: match every name, shape and dtype; copy nothing yet.
  WeightLoadReport report;
  std::vector<std::string> missing, unexpected, mismatched;
  std::vector<std::pair<Tensor, const SafetensorsEntry*>> copies;
  std::set<std::string> model_names;
  for (const auto& [name, tensor] : module.state()) {
    model_names.insert(name);
    if (is_head(name)) {
      report.kept_initialised.push_back(name);
      continue;
    }
    const SafetensorsEntry* entry = file.find(name);
    if (entry == nullptr) {
      missing.push_back(name);
      continue;
    }
    const bool integer_tensor = tensor.dtype() == DType::i64;
    const bool integer_entry = entry->dtype == "I64";
    const Shape expected = torch_shape(tensor);
    if (entry->shape != expected || integer_tensor != integer_entry) {
      mismatched.push_back(name + ": file has " + entry->dtype + " " + entry->shape.to_string() +
                           ", model expects " + std::string(dtype_name(tensor.dtype())) + " " +
                           expected.to_string());
      continue;
    }
    copies.emplace_back(tensor, entry);
    report.loaded.push_back(name);
  }
  for (const SafetensorsEntry& entry : file.tensors) {
    if (is_head(entry.name)) {
      report.ignored.push_back(entry.name);
    } else if (!model_names.count(entry.name)) {
      unexpected.push_back(entry.name);
    }
  }
  if (!missing.empty() || !unexpected.empty() || !mismatched.empty()) {
    std::string message = "cannot load weights from '" + path + "': the model was left unchanged.";
    if (!missing.empty()) message += "\n  missing from the file:" + name_list(missing);
    if (!unexpected.empty()) message += "\n  not in the model:" + name_list(unexpected);
    if (!mismatched.empty()) message += "\n  shape or dtype differs:" + name_list(mismatched);
    if (!keep_head) {
      message += "\n  (to fine-tune with a different head, load with HeadPolicy::keep_initialised)";
    }
    throw Error(message);
  }

  // Pass 2: convert and copy.
  for (auto& [tensor, entry] : copies) {
    Tensor values = from_torch_layout(entry->to_tensor());
    tensor.copy_from(values);
  }
  return report;
}

}  // namespace ihd
