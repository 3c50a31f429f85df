// A small ResNet-18 (width 1/8) with initial weights, as a TrainedModel with one output `any`
// (temperature 1, threshold 0.5): for the pipeline tests that need a model but no training run.
#pragma once

#include "apps/pipeline/inference.h"
#include "apps/pipeline/model_setup.h"

namespace ihd::pipeline {

inline TrainedModel untrained_model(int image_size) {
  TrainedModel trained;
  trained.options.arch = "resnet18";
  trained.options.width = 0.125;
  trained.options.image_size = image_size;
  trained.model = build_model(trained.options);
  trained.model->eval();
  trained.label_names = {"any"};
  trained.temperatures = {1.0};
  trained.decision_thresholds = {0.5};
  return trained;
}

}  // namespace ihd::pipeline
