#include "engine/model/tensor_io.h"

#include <cstring>
#include <string>

#include <torch/torch.h>

#include "engine/core/check.h"
#include "engine/core/format.h"

namespace mirage::model {
namespace {

TensorType type_of(at::ScalarType type) {
  switch (type) {
    case at::kFloat: return TensorType::kFloat32;
    case at::kDouble: return TensorType::kFloat64;
    case at::kLong: return TensorType::kInt64;
    case at::kInt: return TensorType::kInt32;
    case at::kByte: return TensorType::kUint8;
    case at::kBFloat16: return TensorType::kBfloat16;
    case at::kHalf: return TensorType::kFloat16;
    case at::kBool: return TensorType::kBool;
    default: MIRAGE_CHECK(false && "a tensor type the archive has no code for");
  }
  return TensorType::kFloat32;
}

at::ScalarType scalar_type(TensorType type) {
  switch (type) {
    case TensorType::kFloat32: return at::kFloat;
    case TensorType::kFloat64: return at::kDouble;
    case TensorType::kInt64: return at::kLong;
    case TensorType::kInt32: return at::kInt;
    case TensorType::kUint8: return at::kByte;
    case TensorType::kBfloat16: return at::kBFloat16;
    case TensorType::kFloat16: return at::kHalf;
    case TensorType::kBool: return at::kBool;
  }
  return at::kFloat;
}

std::string shape_text(at::IntArrayRef sizes) {
  std::string text = "[";
  for (std::size_t i = 0; i < sizes.size(); ++i) text += (i ? ", " : "") + std::to_string(sizes[i]);
  return text + "]";
}

}  // namespace

void write_tensor(TensorArchiveWriter& out, std::string_view name, const at::Tensor& tensor) {
  const at::Tensor cpu = tensor.detach().to(at::kCPU).contiguous();
  out.add(name, type_of(cpu.scalar_type()), cpu.sizes().vec(), cpu.data_ptr(), cpu.nbytes());
}

at::Tensor read_tensor(const TensorEntry& entry) {
  at::Tensor tensor = at::empty(entry.shape, at::TensorOptions().dtype(scalar_type(entry.type)));
  if (!entry.bytes.empty()) std::memcpy(tensor.data_ptr(), entry.bytes.data(), entry.bytes.size());
  return tensor;
}

void write_module(TensorArchiveWriter& out, std::string_view prefix, const torch::nn::Module& module) {
  for (const auto& p : module.named_parameters()) write_tensor(out, format("{}.{}", prefix, p.key()), p.value());
  for (const auto& b : module.named_buffers()) write_tensor(out, format("{}.{}", prefix, b.key()), b.value());
}

Status load_module(const TensorArchive& in, std::string_view prefix, torch::nn::Module& module,
                   std::string_view source, std::string_view skip) {
  const torch::NoGradGuard no_grad;
  const auto load = [&](const std::string& key, at::Tensor& target) -> Status {
    if (!skip.empty() && key.starts_with(skip)) return ok();
    const std::string name = format("{}.{}", prefix, key);
    const TensorEntry* entry = in.find(name);
    if (entry == nullptr) return fail(ErrorCode::kCorrupt, "{}: damaged checkpoint (tensor '{}' is missing)", source, name);
    if (scalar_type(entry->type) != target.scalar_type() || !target.sizes().equals(entry->shape)) {
      return fail(ErrorCode::kCorrupt, "{}: damaged checkpoint (tensor '{}' is {} {}, the model needs {} {})", source,
                  name, to_string(entry->type), shape_text(entry->shape), to_string(type_of(target.scalar_type())),
                  shape_text(target.sizes()));
    }
    target.copy_(read_tensor(*entry));
    return ok();
  };
  for (auto& p : module.named_parameters()) {
    if (auto s = load(p.key(), p.value()); !s) return s;
  }
  for (auto& b : module.named_buffers()) {
    if (auto s = load(b.key(), b.value()); !s) return s;
  }
  return ok();
}

}  // namespace mirage::model
