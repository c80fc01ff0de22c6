// What every parser here promises about its errors: one line, not empty.
#pragma once

#include <string>

#include "tests/fuzz/fuzz_target.h"

namespace mirage::fuzz {

inline bool is_one_line(const std::string& message) {
  return !message.empty() && message.find('\n') == std::string::npos;
}

}  // namespace mirage::fuzz
