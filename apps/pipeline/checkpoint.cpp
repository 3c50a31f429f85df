// resume.safetensors: "model.<name>" (our layout), "optimizer.<name>", "partial.logits",
// "partial.targets", "partial.indices", and the position in the metadata.
#include "apps/pipeline/checkpoint.h"

#include <cstdio>
#include <string>

#include "common/decimal.h"
#include "common/error.h"
#include "engine/safetensors.h"

namespace ihd::pipeline {
namespace {

const std::string& metadata_at(const SafetensorsFile& file, const std::string& key) {
  const auto found = file.metadata.find(key);
  IHD_CHECK_INPUT(found != file.metadata.end(), file.path, ": checkpoint metadata lacks '", key,
                  "'");
  return found->second;
}

SafetensorsFile read_resume_file(const std::filesystem::path& run_dir) {
  SafetensorsFile file = read_safetensors((run_dir / kResumeCheckpointName).string());
  IHD_CHECK_INPUT(metadata_at(file, "format") == "ihd-resume-1", file.path,
                  ": not an ihd resume checkpoint");
  return file;
}

// The epoch, batch and step of `position` from the checkpoint's metadata.
void read_position(const SafetensorsFile& file, TrainingPosition& position) {
  position.next_epoch = std::stoi(metadata_at(file, "next_epoch"));
  position.next_batch = std::stoul(metadata_at(file, "next_batch"));
  position.global_step = std::stol(metadata_at(file, "global_step"));
}

}  // namespace

std::optional<TrainingPosition> read_checkpoint_position(const std::filesystem::path& run_dir) {
  if (!std::filesystem::exists(run_dir / kResumeCheckpointName)) return std::nullopt;
  TrainingPosition position;
  read_position(read_resume_file(run_dir), position);
  return position;
}

void save_resume_checkpoint(const std::filesystem::path& run_dir, const Module& model,
                            const Optimizer& optimizer, const TrainingPosition& position) {
  std::vector<NamedTensor> tensors;
  for (const auto& [name, tensor] : model.state()) tensors.emplace_back("model." + name, tensor);
  for (const auto& [name, tensor] : optimizer.state()) {
    tensors.emplace_back("optimizer." + name, tensor);
  }
  const int64_t samples = static_cast<int64_t>(position.partial.count());
  const int64_t outputs = static_cast<int64_t>(position.partial.scores.size());
  tensors.emplace_back("partial.logits",
                       Tensor::from_vector(Shape{samples, outputs}, position.partial_logits));
  tensors.emplace_back("partial.targets",
                       Tensor::from_vector(Shape{samples, outputs}, position.partial_targets));
  Tensor indices = Tensor::empty(Shape{samples}, Device::cpu(), DType::i64);
  for (int64_t i = 0; i < samples; ++i) {
    indices.data_i64()[i] = static_cast<int64_t>(position.partial.indices[i]);
  }
  tensors.emplace_back("partial.indices", indices);
  const std::map<std::string, std::string> metadata{
      {"format", "ihd-resume-1"},
      {"next_epoch", std::to_string(position.next_epoch)},
      {"next_batch", std::to_string(position.next_batch)},
      {"global_step", std::to_string(position.global_step)},
      {"optimizer_steps", std::to_string(optimizer.steps_taken())},
      {"partial_loss_sum", shortest_decimal(position.partial.loss_sum)},
      {"partial_seconds", shortest_decimal(position.partial_seconds)}};
  write_safetensors((run_dir / kResumeCheckpointName).string(), tensors, metadata);
}

void load_resume_checkpoint(const std::filesystem::path& run_dir, const Module& model,
                            Optimizer& optimizer, TrainingPosition& position,
                            const std::vector<std::string>& record_ids) {
  const SafetensorsFile file = read_resume_file(run_dir);
  // Check every model tensor before copying any, so a mismatch leaves the model untouched.
  std::vector<std::pair<Tensor, Tensor>> copies;
  for (const auto& [name, tensor] : model.state()) {
    const Tensor saved = file.at("model." + name).to_tensor();
    IHD_CHECK_INPUT(saved.shape() == tensor.shape() && saved.dtype() == tensor.dtype(), file.path,
                    ": tensor model.", name, " has shape ", saved.shape().to_string(),
                    " but the model's is ", tensor.shape().to_string());
    copies.emplace_back(tensor, saved);
  }
  for (auto& [target, saved] : copies) target.copy_from(saved);

  std::vector<NamedTensor> optimizer_state;
  const std::string prefix = "optimizer.";
  for (const SafetensorsEntry& entry : file.tensors) {
    if (entry.name.rfind(prefix, 0) == 0) {
      optimizer_state.emplace_back(entry.name.substr(prefix.size()), entry.to_tensor());
    }
  }
  optimizer.load_state(optimizer_state);
  optimizer.set_steps_taken(std::stol(metadata_at(file, "optimizer_steps")));

  read_position(file, position);
  position.partial_seconds = std::stod(metadata_at(file, "partial_seconds"));
  const Tensor logits = file.at("partial.logits").to_tensor();
  const Tensor targets = file.at("partial.targets").to_tensor();
  const Tensor indices = file.at("partial.indices").to_tensor();
  const int64_t samples = indices.numel();
  const int64_t outputs = static_cast<int64_t>(position.partial.scores.size());
  IHD_CHECK_INPUT(logits.shape() == Shape({samples, outputs}) && targets.shape() == logits.shape(),
                  file.path, ": partial predictions have the wrong shape");
  position.partial_logits = logits.to_vector();
  position.partial_targets = targets.to_vector();
  data::Batch replay;
  replay.n = static_cast<int>(samples);
  for (int64_t i = 0; i < samples; ++i) {
    const auto index = static_cast<size_t>(indices.data_i64()[i]);
    IHD_CHECK_INPUT(index < record_ids.size(), file.path, ": partial predictions name record ",
                    index, " of a dataset with ", record_ids.size());
    replay.indices.push_back(index);
    replay.ids.push_back(record_ids[index]);
  }
  position.partial = make_predictions(static_cast<int>(outputs));
  append_batch(position.partial, position.partial_logits, position.partial_targets, replay, 0.0);
  position.partial.loss_sum = std::stod(metadata_at(file, "partial_loss_sum"));
}

}  // namespace ihd::pipeline
