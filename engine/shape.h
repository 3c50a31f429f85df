// Shape: the sizes of a tensor's dimensions, outermost first. 4-D activations are NHWC.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace ihd {

class Shape {
 public:
  Shape() = default;
  Shape(std::initializer_list<int64_t> sizes) : sizes_(sizes) {}
  explicit Shape(std::vector<int64_t> sizes) : sizes_(std::move(sizes)) {}

  int rank() const { return static_cast<int>(sizes_.size()); }
  // Size of dimension i; negative i counts from the end.
  int64_t operator[](int i) const { return sizes_.at(i < 0 ? i + rank() : i); }
  int64_t numel() const;
  const std::vector<int64_t>& sizes() const { return sizes_; }
  std::string to_string() const;
  bool operator==(const Shape&) const = default;

 private:
  std::vector<int64_t> sizes_;
};

}  // namespace ihd
