// The input checks both sequence ops (gru.cpp, temporal_conv.cpp) share: x is a padded batch
// [N, T, C] of float32 series and `lengths` holds N real lengths in 1..T.
#pragma once

#include <string_view>
#include <vector>

#include "common/error.h"
#include "engine/tensor.h"

namespace ihd {

inline void check_sequence_input(std::string_view op, const Tensor& x,
                                 const std::vector<int>& lengths) {
  IHD_CHECK(x.rank() == 3 && x.numel() > 0, op,
            ": input must be a non-empty [batch, steps, channels] tensor, got shape ",
            x.shape().to_string());
  IHD_CHECK(x.dtype() == DType::f32, op, ": input must be float32, got ", dtype_name(x.dtype()));
  IHD_CHECK(static_cast<int64_t>(lengths.size()) == x.size(0), op, ": ", lengths.size(),
            " lengths for a batch of ", x.size(0), " sequences");
  for (std::size_t n = 0; n < lengths.size(); ++n) {
    IHD_CHECK(lengths[n] >= 1 && lengths[n] <= x.size(1), op, ": sequence ", n, " has length ",
              lengths[n], ", outside 1..", x.size(1), " (the padded number of steps)");
  }
}

}  // namespace ihd
