// Shape helpers.
#include "engine/shape.h"

namespace ihd {

int64_t Shape::numel() const {
  int64_t count = 1;
  for (int64_t size : sizes_) count *= size;
  return count;
}

std::string Shape::to_string() const {
  std::string text = "[";
  for (std::size_t i = 0; i < sizes_.size(); ++i) {
    if (i) text += ", ";
    text += std::to_string(sizes_[i]);
  }
  return text + "]";
}

}  // namespace ihd
