// Tensor: a handle (shared pointer) to a contiguous n-dimensional array on one device, with the
// autograd fields that make it part of a computation graph. Copying a Tensor copies the handle,
// not the data. Layout rules: contiguous row-major; 4-D activations are NHWC; convolution weights
// are OHWI (out, kernel h, kernel w, in), converted from and to PyTorch's OIHW at load/save time.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/device.h"
#include "engine/dtype.h"
#include "engine/shape.h"
#include "engine/storage.h"
#include "kernels/bfloat16.h"

namespace ihd {

struct Node;
struct TensorImpl;

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  // Factories. Memory from empty() is uninitialised.
  static Tensor empty(Shape shape, Device device = Device::cpu(), DType dtype = DType::f32);
  static Tensor zeros(Shape shape, Device device = Device::cpu(), DType dtype = DType::f32);
  static Tensor full(Shape shape, float value, Device device = Device::cpu());
  static Tensor from_vector(Shape shape, const std::vector<float>& values,
                            Device device = Device::cpu());
  static Tensor scalar(float value, Device device = Device::cpu());

  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const;
  int64_t size(int dim) const { return shape()[dim]; }
  int rank() const { return shape().rank(); }
  int64_t numel() const { return shape().numel(); }
  DType dtype() const;
  Device device() const;
  std::size_t bytes() const {
    return static_cast<std::size_t>(numel()) * dtype_size_bytes(dtype());
  }

  // Raw element pointers; typed access checks the dtype.
  void* raw_data() const;
  float* data() const;
  bfloat16* data_bf16() const;
  int64_t* data_i64() const;

  // Copies (never views): to another device, to a host vector (any dtype, as float values), the
  // single value of a 1-element tensor, a deep copy with no graph history.
  Tensor to(Device device) const;
  std::vector<float> to_vector() const;
  float item() const;
  Tensor clone() const;
  // Copies the values of `source` (same shape and dtype, any device) into this tensor.
  void copy_from(const Tensor& source);
  void fill(float value);
  // The storage's version stamp (storage.h). copy_from, fill, the optimizers' steps, batch norm's
  // running update and the random fills advance it; code that writes an existing tensor's values
  // through data() must call mark_modified() so that what was derived from them is remade.
  uint64_t version() const;
  void mark_modified() const;

  // A view of the same storage with another shape (same numel), outside autograd.
  Tensor view(Shape shape) const;
  // The same storage, cut out of the graph.
  Tensor detach() const;

  // Autograd.
  bool requires_grad() const;
  Tensor& set_requires_grad(bool requires_grad);
  Tensor grad() const;
  void set_grad(Tensor grad) const;
  void zero_grad() const;
  const std::shared_ptr<Node>& grad_fn() const;
  // Runs reverse-mode autograd from this scalar, seeding its gradient with 1.
  void backward() const;

  TensorImpl* impl() const { return impl_.get(); }
  std::string describe() const;

 private:
  std::shared_ptr<TensorImpl> impl_;
};

// What a Tensor handle points at. Only the engine touches these fields directly.
struct TensorImpl {
  Shape shape;
  DType dtype = DType::f32;
  std::shared_ptr<Storage> storage;
  bool requires_grad = false;
  Tensor grad;                    // accumulated gradient of a leaf (a parameter or an input)
  std::shared_ptr<Node> grad_fn;  // the op that produced this tensor, if it needs a gradient
};

}  // namespace ihd
