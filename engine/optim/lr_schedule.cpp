// lr_at(): warm-up first, then the schedule over the remaining steps.
#include "engine/optim/lr_schedule.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "common/error.h"

namespace ihd {

float LrSchedule::lr_at(int64_t step) const {
  if (step < warmup_steps) {
    return base_lr * static_cast<float>(step + 1) / static_cast<float>(warmup_steps);
  }
  const int64_t after_warmup = step - warmup_steps;
  switch (kind) {
    case Kind::constant:
      return base_lr;
    case Kind::step:
      return base_lr *
             std::pow(gamma, static_cast<float>(after_warmup / std::max<int64_t>(step_size, 1)));
    case Kind::cosine: {
      const int64_t horizon = std::max<int64_t>(total_steps - warmup_steps, 1);
      const double progress = std::min<double>(static_cast<double>(after_warmup) / horizon, 1.0);
      return static_cast<float>(min_lr + (base_lr - min_lr) * 0.5 *
                                             (1.0 + std::cos(std::numbers::pi * progress)));
    }
  }
  return base_lr;
}

LrSchedule::Kind LrSchedule::parse_kind(const std::string& name) {
  if (name == "constant") return Kind::constant;
  if (name == "step") return Kind::step;
  if (name == "cosine") return Kind::cosine;
  throw Error("unknown learning-rate schedule '" + name + "': expected constant, step or cosine");
}

}  // namespace ihd
