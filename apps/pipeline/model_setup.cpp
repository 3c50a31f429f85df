// Model construction for training and inference.
#include "apps/pipeline/model_setup.h"

#include <cstdio>
#include <cstdlib>

#include "common/error.h"
#include "model/weights.h"

namespace ihd::pipeline {

ResNetConfig resnet_config_for(const TrainOptions& options) {
  ResNetConfig config = resnet_config(arch_depth(options.arch));
  config.input_channels = options.channels;
  config.num_outputs = output_count(options);
  config.width_multiplier = options.width;
  config.head_hidden_units = options.head == "mlp512" ? 512 : 0;
  config.seed = static_cast<uint64_t>(options.seed);
  return config;
}

std::unique_ptr<ResNet> build_model(const TrainOptions& options) {
  auto model = std::make_unique<ResNet>(resnet_config_for(options));
  if (!options.init.empty()) {
    // The whole file when it fits (our own checkpoints); otherwise everything but the head, as when
    // fine-tuning ImageNet weights for another number of outputs.
    WeightLoadReport report;
    try {
      report = load_weights(*model, options.init);
    } catch (const Error&) {
      WeightLoadOptions without_head;
      without_head.head = HeadPolicy::keep_initialised;
      report = load_weights(*model, options.init, without_head);
    }
    std::printf("init: loaded %zu tensors from %s; %zu head tensors kept as initialised\n",
                report.loaded.size(), options.init.c_str(), report.kept_initialised.size());
  }
  if (options.freeze_backbone) model->freeze_backbone(true);
  return model;
}

TrainOptions options_from_config(const std::map<std::string, std::string>& config,
                                 const std::string& config_path) {
  TrainOptions options;
  FlagSet flags("config.json", "");
  add_train_flags(flags, options);
  std::vector<std::string> arguments{"config"};
  for (const auto& [flag, value] : flags.values()) {
    const auto found = config.find(flag);
    if (found != config.end()) arguments.push_back("--" + flag + "=" + found->second);
  }
  std::vector<const char*> argv;
  for (const std::string& argument : arguments) argv.push_back(argument.c_str());
  try {
    flags.parse(static_cast<int>(argv.size()), argv.data());
    // Not a flag: the ranks the run trained on (absent before data-parallel training: 1).
    if (const auto ranks = config.find("ranks"); ranks != config.end()) {
      char* end = nullptr;
      const long value = std::strtol(ranks->second.c_str(), &end, 10);
      IHD_CHECK_INPUT(!ranks->second.empty() && *end == '\0' && value >= 1 && value <= 1'000'000,
                      "\"ranks\" is \"", ranks->second, "\", not a rank count");
      options.ranks = static_cast<int>(value);
    }
    TrainOptions checked = options;
    checked.device = "cpu";
    validate(checked);
  } catch (const Error& error) {
    throw Error(ErrorKind::bad_config, config_path, error.what());
  }
  return options;
}

}  // namespace ihd::pipeline
