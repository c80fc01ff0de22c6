// Tier-2 errors: everything a user, a file or a device can cause.
//
//   Result<Image> load(const Path& p) {
//     if (!exists(p)) return fail(ErrorCode::kNotFound, "no such file: {}", p.string());
//     ...
//   }
//   auto image = load(p);
//   if (!image) { print(image.error().to_string()); return 1; }
//
// Front ends print Error::to_string() as one line and exit non-zero. Exceptions from Torch,
// OpenCV and Vulkan are caught at module boundaries and turned into an Error.
#pragma once

#include <expected>
#include <string>
#include <string_view>
#include <utility>

#include "engine/core/format.h"

namespace mirage {

enum class ErrorCode {
  kInvalidArgument,  // a bad option, value or config field
  kNotFound,         // a missing file, device, identity, ...
  kIo,               // read/write failed (permissions, full disk)
  kCorrupt,          // a file exists but its content is damaged or foreign
  kUnsupported,      // valid input this build or machine cannot handle
  kDevice,           // a GPU/driver failure (no device, out of device memory, device lost)
  kCancelled,        // stopped on request
  kInternal,         // a bug surfaced as an error at a module boundary
};

std::string_view to_string(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;

  // One line: "<message>" (the code is for programs; people read the message).
  const std::string& to_string() const { return message; }
  // Prefixes context: error.with_context("loading project.json") -> "loading project.json: <message>".
  Error with_context(std::string_view context) const;
};

template <class T>
using Result = std::expected<T, Error>;
using Status = std::expected<void, Error>;

inline std::unexpected<Error> fail(ErrorCode code, std::string message) {
  return std::unexpected(Error{code, std::move(message)});
}

template <class... Args>
std::unexpected<Error> fail(ErrorCode code, std::string_view fmt, const Args&... args) {
  return std::unexpected(Error{code, format(fmt, args...)});
}

inline Status ok() { return {}; }

}  // namespace mirage
