// Tensor factories, copies and autograd accessors.
#include "engine/tensor.h"

#include <cstring>

#include "common/error.h"
#include "engine/autograd.h"
#include "engine/dispatch.h"

namespace ihd {

Tensor Tensor::empty(Shape shape, Device device, DType dtype) {
  for (int64_t size : shape.sizes()) {
    IHD_CHECK(size >= 0, "negative size in shape ", shape.to_string());
  }
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = std::make_shared<Storage>(
      static_cast<std::size_t>(shape.numel()) * dtype_size_bytes(dtype), device);
  impl->shape = std::move(shape);
  impl->dtype = dtype;
  return Tensor(std::move(impl));
}

Tensor Tensor::zeros(Shape shape, Device device, DType dtype) {
  Tensor tensor = empty(std::move(shape), device, dtype);
  if (device.is_cpu()) {
    std::memset(tensor.raw_data(), 0, tensor.bytes());
  } else {
    IHD_CUDA_ONLY(fill_zero_bytes(tensor.raw_data(), tensor.bytes()));
  }
  return tensor;
}

Tensor Tensor::full(Shape shape, float value, Device device) {
  Tensor tensor = empty(std::move(shape), device);
  tensor.fill(value);
  return tensor;
}

Tensor Tensor::from_vector(Shape shape, const std::vector<float>& values, Device device) {
  IHD_CHECK(shape.numel() == static_cast<int64_t>(values.size()), "from_vector: shape ",
            shape.to_string(), " needs ", shape.numel(), " values, got ", values.size());
  Tensor tensor = empty(std::move(shape), device);
  copy_bytes(tensor.raw_data(), device, values.data(), Device::cpu(), tensor.bytes());
  return tensor;
}

Tensor Tensor::scalar(float value, Device device) {
  return full(Shape{}, value, device);
}

const Shape& Tensor::shape() const {
  IHD_CHECK(defined(), "use of an undefined tensor");
  return impl_->shape;
}
DType Tensor::dtype() const {
  return impl_->dtype;
}
Device Tensor::device() const {
  return impl_->storage->device();
}
void* Tensor::raw_data() const {
  return impl_->storage->data();
}

float* Tensor::data() const {
  IHD_CHECK(dtype() == DType::f32, "expected a float32 tensor, got ", dtype_name(dtype()));
  return static_cast<float*>(raw_data());
}

bfloat16* Tensor::data_bf16() const {
  IHD_CHECK(dtype() == DType::bf16, "expected a bfloat16 tensor, got ", dtype_name(dtype()));
  return static_cast<bfloat16*>(raw_data());
}

int64_t* Tensor::data_i64() const {
  IHD_CHECK(dtype() == DType::i64, "expected an int64 tensor, got ", dtype_name(dtype()));
  return static_cast<int64_t*>(raw_data());
}

Tensor Tensor::to(Device device) const {
  Tensor copy = empty(shape(), device, dtype());
  copy_bytes(copy.raw_data(), device, raw_data(), this->device(), bytes());
  return copy;
}

std::vector<float> Tensor::to_vector() const {
  std::vector<float> values(static_cast<std::size_t>(numel()));
  if (dtype() == DType::i64) {
    const Tensor host = to(Device::cpu());
    for (std::size_t i = 0; i < values.size(); ++i)
      values[i] = static_cast<float>(host.data_i64()[i]);
    return values;
  }
  if (dtype() == DType::bf16) {
    const Tensor host = to(Device::cpu());
    kernels::convert<kernels::Backend::cpu>(numel(), host.data_bf16(), values.data());
    return values;
  }
  IHD_CHECK(dtype() == DType::f32, "to_vector: unsupported dtype ", dtype_name(dtype()));
  copy_bytes(values.data(), Device::cpu(), raw_data(), device(), bytes());
  return values;
}

float Tensor::item() const {
  IHD_CHECK(numel() == 1, "item() needs a tensor with one element, got shape ",
            shape().to_string());
  return to_vector()[0];
}

Tensor Tensor::clone() const {
  return to(device());
}

void Tensor::copy_from(const Tensor& source) {
  IHD_CHECK(source.shape() == shape() && source.dtype() == dtype(), "copy_from: shape ",
            source.shape().to_string(), " ", dtype_name(source.dtype()), " into ",
            shape().to_string(), " ", dtype_name(dtype()));
  copy_bytes(raw_data(), device(), source.raw_data(), source.device(), bytes());
  mark_modified();
}

void Tensor::fill(float value) {
  IHD_ON_DEVICE(device(), fill, numel(), value, data());
  mark_modified();
}

uint64_t Tensor::version() const {
  IHD_CHECK(defined(), "version of an undefined tensor");
  return impl_->storage->version();
}

void Tensor::mark_modified() const {
  IHD_CHECK(defined(), "mark_modified on an undefined tensor");
  impl_->storage->mark_modified();
}

Tensor Tensor::view(Shape new_shape) const {
  IHD_CHECK(new_shape.numel() == numel(), "cannot view shape ", shape().to_string(), " as ",
            new_shape.to_string());
  auto impl = std::make_shared<TensorImpl>();
  impl->shape = std::move(new_shape);
  impl->dtype = dtype();
  impl->storage = impl_->storage;
  return Tensor(std::move(impl));
}

Tensor Tensor::detach() const {
  return view(shape());
}

bool Tensor::requires_grad() const {
  return defined() && impl_->requires_grad;
}

Tensor& Tensor::set_requires_grad(bool requires_grad) {
  IHD_CHECK(!requires_grad || dtype() == DType::f32 || dtype() == DType::bf16,
            "only float32 and bfloat16 tensors can require grad");
  impl_->requires_grad = requires_grad;
  return *this;
}

Tensor Tensor::grad() const {
  return impl_->grad;
}
void Tensor::set_grad(Tensor grad) const {
  impl_->grad = std::move(grad);
}
void Tensor::zero_grad() const {
  impl_->grad = Tensor();
}
const std::shared_ptr<Node>& Tensor::grad_fn() const {
  return impl_->grad_fn;
}

void Tensor::backward() const {
  run_backward(*this);
}

std::string Tensor::describe() const {
  if (!defined()) return "Tensor(undefined)";
  return "Tensor(" + shape().to_string() + ", " + std::string(dtype_name(dtype())) + ", " +
         device().to_string() + ")";
}

}  // namespace ihd
