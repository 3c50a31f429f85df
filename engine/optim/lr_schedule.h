// Learning-rate schedules, as a pure function of the optimizer step: constant, step decay
// (x gamma every step_size steps), cosine annealing to min_lr over total_steps; any of them after
// an optional linear warm-up from 0 over warmup_steps.
#pragma once

#include <cstdint>
#include <string>

namespace ihd {

struct LrSchedule {
  enum class Kind { constant, step, cosine };
  Kind kind = Kind::constant;
  float base_lr = 1e-3f;
  int64_t warmup_steps = 0;
  int64_t step_size = 1;    // step decay period, in steps
  float gamma = 0.1f;       // step decay factor
  int64_t total_steps = 1;  // cosine horizon, warm-up included
  float min_lr = 0.0f;      // cosine floor

  // Learning rate for the optimizer step with index `step` (0 for the first).
  float lr_at(int64_t step) const;
  // "constant", "step" or "cosine"; throws ihd::Error otherwise.
  static Kind parse_kind(const std::string& name);
};

}  // namespace ihd
