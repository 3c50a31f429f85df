// Choosing which images train and which validate, as the seed did and better: balancing by
// undersampling (every positive plus as many negatives drawn at random), class weights as the
// alternative, subsets (--limit), and splits into train/validation/test either by patient (no
// patient's near-duplicate slices on both sides) or at random by image (the seed's way).
// Everything is seeded and independent of thread counts.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ihd::data {

enum class Split : std::uint8_t { train = 0, validation = 1, test = 2 };
std::string_view to_string(Split split);
Split parse_split(std::string_view text);  // throws std::invalid_argument

// All positives plus min(#negatives, #positives) random negatives; returns indices into
// is_positive, shuffled.
std::vector<size_t> balance_by_undersampling(const std::vector<bool>& is_positive,
                                             std::uint64_t seed);

// A subset of at most limit of the given indices with the positive share kept as even as
// possible: ceil(limit/2) positives and the rest negatives while both last. Order preserved.
std::vector<size_t> limit_balanced(const std::vector<size_t>& indices,
                                   const std::vector<bool>& is_positive, size_t limit);

// {negative weight, positive weight} = total / (2 x class count): the loss weights that make both
// classes count equally without undersampling.
std::array<double, 2> class_weights(size_t positives, size_t negatives);

struct SplitFractions {
  double validation = 0.2;
  double test = 0.0;
};

// Assigns whole groups (patients, or images for a random split) to test, then validation, then
// train, in a seeded random group order, until each split holds its fraction of the images.
// group_of_image[i] names image i's group. Returns one Split per image.
std::vector<Split> split_by_group(const std::vector<std::string>& group_of_image,
                                  SplitFractions fractions, std::uint64_t seed);

// A seeded shuffle that is the same on every platform (std::shuffle's algorithm is not).
void deterministic_shuffle(std::vector<size_t>& values, std::uint64_t seed);

}  // namespace ihd::data
