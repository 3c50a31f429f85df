// Parity with PyTorch at full size: torchvision's resnet18 and resnet50 (1000 outputs, 64 x 64
// images, batch 8), from references that ctest generates into the build folder by running
// make_resnet_reference.py with Debian's PyTorch (this binary is built only where it is present).
#include "parity.h"

namespace ihd::testing {
namespace {

TEST_CASE("torchvision resnet18 at full size matches PyTorch in eval, train and gradients") {
  check_parity_with_pytorch(IHD_TORCH_REFERENCE_DIR, "resnet18");
}

TEST_CASE("torchvision resnet50 at full size matches PyTorch in eval, train and gradients") {
  check_parity_with_pytorch(IHD_TORCH_REFERENCE_DIR, "resnet50");
}

}  // namespace
}  // namespace ihd::testing
