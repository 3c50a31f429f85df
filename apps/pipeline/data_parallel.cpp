// The collectives of a data-parallel run, each in the layout its callers need: flat records of
// doubles (exact for float32 values and for record indices below 2^53), one per rank.
#include "apps/pipeline/data_parallel.h"

#include <cmath>
#include <map>
#include <sstream>

#include "common/error.h"
#include "engine/storage.h"

namespace ihd::pipeline {
namespace {

using distributed::ProcessGroup;

// Rank 0's copy of `tensor` (any device) replaces this rank's, through host memory (MPI is not
// assumed to read GPU memory).
void broadcast_tensor(const ProcessGroup& group, const Tensor& tensor) {
  Tensor host = tensor.to(Device::cpu());
  group.broadcast(host.raw_data(), host.bytes());
  if (!group.is_root()) const_cast<Tensor&>(tensor).copy_from(host);
}

// One line per tensor: name, dtype number, sizes.
std::string describe_shapes(const std::vector<NamedTensor>& tensors) {
  std::ostringstream text;
  for (const auto& [name, tensor] : tensors) {
    text << name << ' ' << static_cast<int>(tensor.dtype());
    for (int64_t d : tensor.shape().sizes()) text << ' ' << d;
    text << '\n';
  }
  return text.str();
}

}  // namespace

void check_same_settings(const ProcessGroup& group, const ConfigValues& settings) {
  if (!group.distributed()) return;
  std::string root_text;
  for (const auto& [key, value] : settings) root_text += key + "\n" + value + "\n";
  std::string mine = root_text;
  group.broadcast(root_text);
  std::string differing;
  if (mine != root_text) {
    std::map<std::string, std::string> root_values;
    size_t at = 0;
    while (at < root_text.size()) {
      const size_t key_end = root_text.find('\n', at);
      const size_t value_end = root_text.find('\n', key_end + 1);
      root_values[root_text.substr(at, key_end - at)] =
          root_text.substr(key_end + 1, value_end - key_end - 1);
      at = value_end + 1;
    }
    for (const auto& [key, value] : settings) {
      const auto found = root_values.find(key);
      if (found == root_values.end() || found->second != value) {
        differing = "--" + key + " is " + value + " here but " +
                    (found == root_values.end() ? std::string("absent") : found->second) +
                    " on rank 0";
        break;
      }
    }
    if (differing.empty()) differing = "the settings differ from rank 0's";
  }
  double mismatches = differing.empty() ? 0 : 1;
  group.sum(&mismatches, 1);
  if (mismatches > 0) {
    throw Error(differing.empty()
                    ? "another rank's settings differ from rank 0's (its message names them)"
                    : "the ranks must train with the same settings: " + differing);
  }
}

void broadcast_training_state(const ProcessGroup& group, const Module& model, Optimizer& optimizer,
                              TrainingPosition& position) {
  if (!group.distributed()) return;
  for (const auto& [name, tensor] : model.state()) broadcast_tensor(group, tensor);
  // The optimizer's state exists once it has stepped: rank 0 says which tensors it holds.
  std::vector<NamedTensor> state = optimizer.state();
  std::string manifest = describe_shapes(state);
  group.broadcast(manifest);
  if (!group.is_root()) {
    state.clear();
    size_t at = 0;
    while (at < manifest.size()) {
      const size_t end = manifest.find('\n', at);
      std::istringstream line(manifest.substr(at, end - at));
      std::string name;
      int dtype = 0;
      line >> name >> dtype;
      std::vector<int64_t> dims;
      for (int64_t d; line >> d;) dims.push_back(d);
      state.emplace_back(name, Tensor::zeros(Shape(dims), Device::cpu(),
                                             static_cast<DType>(dtype)));
      at = end + 1;
    }
  }
  for (auto& [name, tensor] : state) {
    Tensor host = tensor.to(Device::cpu());
    group.broadcast(host.raw_data(), host.bytes());
    tensor = host;
  }
  if (!group.is_root()) optimizer.load_state(state);
  std::int64_t numbers[4] = {optimizer.steps_taken(), position.next_epoch,
                             static_cast<std::int64_t>(position.next_batch), position.global_step};
  group.broadcast(numbers, sizeof numbers);
  optimizer.set_steps_taken(numbers[0]);
  position.next_epoch = static_cast<int>(numbers[1]);
  position.next_batch = static_cast<size_t>(numbers[2]);
  position.global_step = static_cast<long>(numbers[3]);
}

void broadcast_buffers(const ProcessGroup& group, const Module& model) {
  if (!group.distributed()) return;
  for (const auto& [name, tensor] : model.named_buffers()) broadcast_tensor(group, tensor);
}

GatheredStep gather_step(const ProcessGroup& group, const data::ImageDataset& dataset,
                         const data::Batch& share, const std::vector<float>& logits,
                         const std::vector<float>& targets, double mean_loss) {
  GatheredStep step;
  if (!group.distributed()) {
    step.batch.n = share.n;
    step.batch.batch_index = share.batch_index;
    step.batch.ids = share.ids;
    step.batch.indices = share.indices;
    step.logits = logits;
    step.targets = targets;
    step.mean_loss = mean_loss;
    return step;
  }
  // One record per rank: loss, then each image's index, logits and targets.
  const size_t n = static_cast<size_t>(share.n);
  const size_t outputs = n ? logits.size() / n : 0;
  std::vector<double> record;
  record.reserve(1 + n * (1 + 2 * outputs));
  record.push_back(mean_loss);
  for (size_t i = 0; i < n; ++i) record.push_back(static_cast<double>(share.indices[i]));
  record.insert(record.end(), logits.begin(), logits.end());
  record.insert(record.end(), targets.begin(), targets.end());
  const std::vector<double> all = group.all_gather(record.data(), record.size());
  step.batch.n = static_cast<int>(n) * group.size();
  step.batch.batch_index = share.batch_index;
  for (int r = 0; r < group.size(); ++r) {
    const double* from = all.data() + static_cast<size_t>(r) * record.size();
    step.mean_loss += from[0] / group.size();
    for (size_t i = 0; i < n; ++i) {
      const size_t index = static_cast<size_t>(from[1 + i]);
      step.batch.indices.push_back(index);
      step.batch.ids.push_back(dataset.records()[index].id);
    }
    const double* logit = from + 1 + n;
    const double* target = logit + n * outputs;
    for (size_t i = 0; i < n * outputs; ++i) step.logits.push_back(static_cast<float>(logit[i]));
    for (size_t i = 0; i < n * outputs; ++i) step.targets.push_back(static_cast<float>(target[i]));
  }
  return step;
}

int agreed_stop_signal(const ProcessGroup& group, int stop_signal) {
  const double mine = stop_signal;
  for (double signal : group.all_gather(&mine, 1)) {
    if (signal != 0) return static_cast<int>(signal);
  }
  return 0;
}

std::vector<size_t> validation_share(const std::vector<size_t>& indices, int rank, int ranks) {
  std::vector<size_t> share;
  for (size_t i = static_cast<size_t>(rank); i < indices.size(); i += static_cast<size_t>(ranks)) {
    share.push_back(indices[i]);
  }
  return share;
}

Predictions gather_predictions(const ProcessGroup& group, const data::ImageDataset& dataset,
                               const Predictions& share, size_t total) {
  if (!group.distributed()) return share;
  const size_t outputs = share.scores.size();
  // Per image: its index, then each output's logit and label; the share's loss sum last.
  std::vector<double> record;
  for (size_t i = 0; i < share.count(); ++i) {
    record.push_back(static_cast<double>(share.indices[i]));
    for (size_t k = 0; k < outputs; ++k) record.push_back(share.logits[k][i]);
    for (size_t k = 0; k < outputs; ++k) record.push_back(share.labels[k][i]);
  }
  record.push_back(share.loss_sum);
  const std::vector<double> all = group.all_gather_varying(record);
  const size_t ranks = static_cast<size_t>(group.size());
  const size_t per_image = 1 + 2 * outputs;
  // Rank r scored positions r, r + ranks, ...: its records start after those of ranks below it.
  std::vector<size_t> record_start(ranks);
  size_t offset = 0;
  double loss_sum = 0;
  for (size_t r = 0; r < ranks; ++r) {
    const size_t images = (total + ranks - 1 - r) / ranks;
    record_start[r] = offset;
    offset += images * per_image;
    loss_sum += all.at(offset);
    offset += 1;
  }
  IHD_CHECK(offset == all.size(), "gathered predictions: ", all.size(), " values, expected ",
            offset);
  Predictions merged = make_predictions(static_cast<int>(outputs));
  for (size_t position = 0; position < total; ++position) {
    const double* from = all.data() + record_start[position % ranks] +
                         (position / ranks) * per_image;
    const size_t index = static_cast<size_t>(from[0]);
    merged.indices.push_back(index);
    merged.ids.push_back(dataset.records()[index].id);
    for (size_t k = 0; k < outputs; ++k) {
      const double logit = static_cast<float>(from[1 + k]);
      merged.logits[k].push_back(logit);
      merged.scores[k].push_back(1.0 / (1.0 + std::exp(-logit)));
      merged.labels[k].push_back(static_cast<int>(from[1 + outputs + k]));
    }
  }
  merged.loss_sum = loss_sum;
  return merged;
}

ReplicaSum replica_sum_over(const ProcessGroup& group, Device device) {
  if (device.is_cpu()) {
    return [&group](float* values, int64_t count) {
      group.sum(values, static_cast<std::size_t>(count));
    };
  }
  return [&group, device](float* values, int64_t count) {
    std::vector<float> host(static_cast<std::size_t>(count));
    copy_bytes(host.data(), Device::cpu(), values, device, host.size() * sizeof(float));
    group.sum(host.data(), host.size());
    copy_bytes(values, device, host.data(), Device::cpu(), host.size() * sizeof(float));
  };
}

std::uint64_t parameters_hash(const Module& model) {
  std::uint64_t hash = 14695981039346656037ull;
  for (const auto& [name, tensor] : model.named_parameters()) {
    const Tensor host = tensor.to(Device::cpu());
    const auto* bytes = static_cast<const unsigned char*>(host.raw_data());
    for (size_t i = 0; i < host.bytes(); ++i) {
      hash = (hash ^ bytes[i]) * 1099511628211ull;
    }
  }
  return hash;
}

void check_replicas_agree(const ProcessGroup& group, const Module& model,
                          const std::string& when) {
  if (!group.distributed()) return;
  const std::vector<std::uint64_t> hashes = group.all_gather(parameters_hash(model));
  for (size_t r = 1; r < hashes.size(); ++r) {
    if (hashes[r] != hashes[0]) {
      throw Error("the ranks' weights differ " + when + ": rank " + std::to_string(r) +
                  "'s parameters are not rank 0's (hashes " + std::to_string(hashes[r]) + " and " +
                  std::to_string(hashes[0]) + ")");
    }
  }
}

}  // namespace ihd::pipeline
