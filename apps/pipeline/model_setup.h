// From options to a ResNet: the architecture config a run's flags (or its config.json) describe,
// and the model built from it, initialised from --init weights when given.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "apps/pipeline/train_options.h"
#include "model/resnet.h"

namespace ihd::pipeline {

ResNetConfig resnet_config_for(const TrainOptions& options);
// Builds the model on the CPU; loads options.init (keeping our head when its shape differs from
// the file's); freezes the backbone if asked. Messages go to stdout.
std::unique_ptr<ResNet> build_model(const TrainOptions& options);

// TrainOptions back from a run's config.json (the keys are the flag names, and "ranks"), parsed
// and validated exactly as the same flags on a command line would be (the device aside: whoever
// uses the options checks it); any problem is an Error(bad_config) naming `config_path` with the message
// the flag would give.
TrainOptions options_from_config(const std::map<std::string, std::string>& config,
                                 const std::string& config_path);

}  // namespace ihd::pipeline
