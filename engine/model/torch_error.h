// Internal to engine/model: turns exceptions thrown by LibTorch into Mirage errors at the
// module's boundary (STYLE.md, errors tier 3 -> tier 2). Not part of the public API.
//
//   try { ... } catch (const std::exception& e) { return std::unexpected(torch_error(e, "train step")); }
#pragma once

#include <exception>
#include <string_view>

#include "engine/core/error.h"

namespace mirage::model::detail {

// One-line Error "<context>: <first line of the message>". Out of memory (host or device) maps
// to ErrorCode::kDevice, every other exception to ErrorCode::kInternal.
Error torch_error(const std::exception& exception, std::string_view context);

}  // namespace mirage::model::detail
