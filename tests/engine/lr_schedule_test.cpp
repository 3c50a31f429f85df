// Learning-rate schedules against hand-computed values.
#include "engine/optim/lr_schedule.h"

#include <doctest/doctest.h>

#include "common/error.h"

namespace ihd {

TEST_CASE("constant, step and cosine schedules with linear warm-up") {
  LrSchedule schedule;
  schedule.base_lr = 0.1f;
  schedule.warmup_steps = 4;
  CHECK(schedule.lr_at(0) == doctest::Approx(0.025));
  CHECK(schedule.lr_at(3) == doctest::Approx(0.1));
  CHECK(schedule.lr_at(100) == doctest::Approx(0.1));

  schedule.kind = LrSchedule::Kind::step;
  schedule.step_size = 10;
  schedule.gamma = 0.5f;
  CHECK(schedule.lr_at(4) == doctest::Approx(0.1));
  CHECK(schedule.lr_at(13) == doctest::Approx(0.1));
  CHECK(schedule.lr_at(14) == doctest::Approx(0.05));
  CHECK(schedule.lr_at(34) == doctest::Approx(0.0125));

  schedule.kind = LrSchedule::Kind::cosine;
  schedule.total_steps = 104;
  schedule.min_lr = 0.001f;
  CHECK(schedule.lr_at(4) == doctest::Approx(0.1));
  CHECK(schedule.lr_at(54) == doctest::Approx(0.001 + 0.099 * 0.5));
  CHECK(schedule.lr_at(104) == doctest::Approx(0.001));
  CHECK(schedule.lr_at(500) == doctest::Approx(0.001));
}

TEST_CASE("schedule names parse, and a bad name is refused") {
  CHECK(LrSchedule::parse_kind("cosine") == LrSchedule::Kind::cosine);
  CHECK_THROWS_WITH_AS(LrSchedule::parse_kind("linear"), doctest::Contains("linear"), Error);
}

}  // namespace ihd
