// Which compute device the models run on. The header needs only c10's Device (torch::Device is
// an alias of c10::Device), not the rest of LibTorch.
//
//   const Result<c10::Device> device = mirage::model::select_device(config.device);
//   if (!device) return std::unexpected(device.error());  // one line, e.g. no CUDA here
//   model->to(*device);
#pragma once

#include <string_view>

#include <c10/core/Device.h>

#include "engine/core/error.h"

namespace mirage::model {

// name: "auto" (the first CUDA device when one is usable, else the CPU), "cpu", "cuda" (same as
// "cuda:0") or "cuda:N" (N = CUDA ordinal).
// Errors: ErrorCode::kUnsupported for cuda on a machine or LibTorch without usable CUDA;
// ErrorCode::kNotFound for an ordinal past the last device; ErrorCode::kInvalidArgument for
// any other name. Thread-safe.
Result<c10::Device> select_device(std::string_view name);

}  // namespace mirage::model
