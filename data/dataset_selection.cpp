// Balancing, limits, class weights and group splits.
#include "data/dataset_selection.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>

#include "common/random.h"

namespace ihd::data {

std::string_view to_string(Split split) {
  switch (split) {
    case Split::train:
      return "train";
    case Split::validation:
      return "validation";
    case Split::test:
      return "test";
  }
  return "train";
}

Split parse_split(std::string_view text) {
  if (text == "train") return Split::train;
  if (text == "validation") return Split::validation;
  if (text == "test") return Split::test;
  throw std::invalid_argument("unknown split '" + std::string(text) + "'");
}

void deterministic_shuffle(std::vector<size_t>& values, std::uint64_t seed) {
  Random random(seed);
  for (size_t i = values.size(); i > 1; --i) std::swap(values[i - 1], values[random.below(i)]);
}

std::vector<size_t> balance_by_undersampling(const std::vector<bool>& is_positive,
                                             std::uint64_t seed) {
  std::vector<size_t> positives, negatives;
  for (size_t i = 0; i < is_positive.size(); ++i)
    (is_positive[i] ? positives : negatives).push_back(i);
  deterministic_shuffle(negatives, seed);
  negatives.resize(std::min(negatives.size(), positives.size()));
  std::vector<size_t> selected = positives;
  selected.insert(selected.end(), negatives.begin(), negatives.end());
  deterministic_shuffle(selected, seed + 1);
  return selected;
}

std::vector<size_t> limit_balanced(const std::vector<size_t>& indices,
                                   const std::vector<bool>& is_positive, size_t limit) {
  if (indices.size() <= limit) return indices;
  size_t positives = 0;
  for (size_t i : indices) positives += is_positive[i];
  const size_t negatives = indices.size() - positives;
  size_t take_positive = std::min(positives, (limit + 1) / 2);
  const size_t take_negative = std::min(negatives, limit - take_positive);
  take_positive = std::min(positives, limit - take_negative);
  std::vector<size_t> kept;
  size_t kept_positive = 0, kept_negative = 0;
  for (size_t i : indices) {
    if (is_positive[i] && kept_positive < take_positive) {
      ++kept_positive;
      kept.push_back(i);
    } else if (!is_positive[i] && kept_negative < take_negative) {
      ++kept_negative;
      kept.push_back(i);
    }
  }
  return kept;
}

std::array<double, 2> class_weights(size_t positives, size_t negatives) {
  const double total = static_cast<double>(positives + negatives);
  return {negatives ? total / (2.0 * negatives) : 0.0, positives ? total / (2.0 * positives) : 0.0};
}

std::vector<Split> split_by_group(const std::vector<std::string>& group_of_image,
                                  SplitFractions fractions, std::uint64_t seed) {
  if (fractions.validation < 0 || fractions.test < 0 || fractions.validation + fractions.test > 1)
    throw std::invalid_argument("split fractions must be >= 0 and sum to at most 1");
  std::map<std::string, std::vector<size_t>> images_of_group;
  for (size_t i = 0; i < group_of_image.size(); ++i)
    images_of_group[group_of_image[i]].push_back(i);
  std::vector<const std::vector<size_t>*> groups;
  for (const auto& [name, images] : images_of_group) groups.push_back(&images);
  std::vector<size_t> order(groups.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  deterministic_shuffle(order, seed);

  const double total = static_cast<double>(group_of_image.size());
  const double test_target = std::round(fractions.test * total);
  const double validation_target = std::round(fractions.validation * total);
  double test_count = 0, validation_count = 0;
  std::vector<Split> splits(group_of_image.size(), Split::train);
  for (size_t g : order) {
    const auto& images = *groups[g];
    Split split = Split::train;
    if (test_count < test_target) {
      split = Split::test;
      test_count += images.size();
    } else if (validation_count < validation_target) {
      split = Split::validation;
      validation_count += images.size();
    }
    for (size_t i : images) splits[i] = split;
  }
  return splits;
}

}  // namespace ihd::data
