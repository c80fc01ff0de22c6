#include "engine/model/device.h"

#include <charconv>

#include <ATen/Version.h>
#include <torch/cuda.h>
#include <torch/torch.h>

#include "engine/model/torch_error.h"

namespace mirage::model {
namespace {

constexpr std::string_view kCudaPrefix = "cuda:";

Status require_cuda(std::string_view name) {
  if (torch::cuda::is_available()) return ok();
  if (at::show_config().find("USE_CUDA=ON") == std::string::npos) {
    return fail(ErrorCode::kUnsupported,
                "device '{}' is not available: this LibTorch is a CPU-only build (use 'cpu', or "
                "build Mirage against a CUDA LibTorch)",
                name);
  }
  return fail(ErrorCode::kUnsupported,
              "device '{}' is not available: no usable CUDA device (check the NVIDIA driver and "
              "CUDA_VISIBLE_DEVICES, or use 'cpu')",
              name);
}

Result<c10::Device> cuda_device(std::string_view name, std::string_view ordinal_text) {
  int ordinal = 0;
  const auto [end, ec] =
      std::from_chars(ordinal_text.data(), ordinal_text.data() + ordinal_text.size(), ordinal);
  if (ordinal_text.empty() || ec != std::errc() ||
      end != ordinal_text.data() + ordinal_text.size() || ordinal < 0) {
    return fail(ErrorCode::kInvalidArgument, "unknown device '{}' (use auto, cpu, cuda or cuda:N)",
                name);
  }
  if (const Status cuda = require_cuda(name); !cuda) return std::unexpected(cuda.error());
  const auto count = static_cast<int>(torch::cuda::device_count());
  if (ordinal >= count) {
    return fail(ErrorCode::kNotFound, "device '{}' does not exist: this machine has {} CUDA device{}",
                name, count, count == 1 ? "" : "s");
  }
  return c10::Device(c10::DeviceType::CUDA, static_cast<c10::DeviceIndex>(ordinal));
}

}  // namespace

Result<c10::Device> select_device(std::string_view name) {
  try {
    if (name == "cpu") return c10::Device(c10::DeviceType::CPU);
    if (name == "auto") {
      return torch::cuda::is_available() ? c10::Device(c10::DeviceType::CUDA, 0)
                                         : c10::Device(c10::DeviceType::CPU);
    }
    if (name == "cuda") return cuda_device(name, "0");
    if (name.starts_with(kCudaPrefix)) return cuda_device(name, name.substr(kCudaPrefix.size()));
  } catch (const std::exception& exception) {
    return std::unexpected(detail::torch_error(exception, format("selecting device '{}'", name)));
  }
  return fail(ErrorCode::kInvalidArgument, "unknown device '{}' (use auto, cpu, cuda or cuda:N)",
              name);
}

}  // namespace mirage::model
