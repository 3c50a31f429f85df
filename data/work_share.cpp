// WorkShare's barrier and sums, through the callbacks its maker gave it.
#include "data/work_share.h"

namespace ihd::data {
namespace {

// How many kinds of error there are: ErrorKind's last, io, plus one (common/error.h).
constexpr int kErrorKindCount = static_cast<int>(ErrorKind::io) + 1;

}  // namespace

std::vector<size_t> WorkShare::owned(size_t count) const {
  std::vector<size_t> items;
  for (size_t index = static_cast<size_t>(rank); index < count;
       index += static_cast<size_t>(ranks)) {
    items.push_back(index);
  }
  return items;
}

void WorkShare::barrier() const {
  if (wait_for_all) wait_for_all();
}

void WorkShare::sum(std::initializer_list<size_t*> counts) const {
  if (!sum_over_ranks) return;
  std::vector<double> values;
  for (const size_t* count : counts) values.push_back(static_cast<double>(*count));
  sum_over_ranks(values);
  size_t k = 0;
  for (size_t* count : counts) *count = static_cast<size_t>(values[k++]);
}

void WorkShare::sum(std::map<ErrorKind, size_t>& count_by_kind) const {
  if (!sum_over_ranks) return;
  std::vector<double> values(kErrorKindCount, 0.0);
  for (const auto& [kind, count] : count_by_kind) values[static_cast<int>(kind)] = count;
  sum_over_ranks(values);
  count_by_kind.clear();
  for (int kind = 0; kind < kErrorKindCount; ++kind) {
    if (values[kind] > 0)
      count_by_kind[static_cast<ErrorKind>(kind)] = static_cast<size_t>(values[kind]);
  }
}

}  // namespace ihd::data
