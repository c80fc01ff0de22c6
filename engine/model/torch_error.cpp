#include "engine/model/torch_error.h"

#include <new>
#include <string>

#include <c10/util/Exception.h>

namespace mirage::model::detail {
namespace {

std::string first_line(std::string_view text) {
  const auto end = text.find('\n');
  return std::string(text.substr(0, end));
}

}  // namespace

Error torch_error(const std::exception& exception, std::string_view context) {
  // c10::Error::what() carries a multi-line C++ backtrace; people need only the message.
  if (const auto* oom = dynamic_cast<const c10::OutOfMemoryError*>(&exception)) {
    return Error{ErrorCode::kDevice,
                 format("{}: out of device memory ({})", context,
                        first_line(oom->what_without_backtrace()))};
  }
  if (dynamic_cast<const std::bad_alloc*>(&exception) != nullptr) {
    return Error{ErrorCode::kDevice, format("{}: out of host memory", context)};
  }
  if (const auto* error = dynamic_cast<const c10::Error*>(&exception)) {
    return Error{ErrorCode::kInternal,
                 format("{}: {}", context, first_line(error->what_without_backtrace()))};
  }
  return Error{ErrorCode::kInternal, format("{}: {}", context, first_line(exception.what()))};
}

}  // namespace mirage::model::detail
