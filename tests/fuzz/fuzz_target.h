// The contract of every fuzz target in tests/fuzz: one function that takes arbitrary bytes, feeds
// them to one parser of files a user can hand over, and checks what the parser promises (one
// clear error or a value that survives a round trip). A broken promise aborts with a message, so
// libFuzzer (and the corpus replay in every build) reports it like a crash.
//
//   extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
//     const std::string_view text = mirage::fuzz::as_text(data, size);
//     auto parsed = parse(text);
//     if (parsed) MIRAGE_FUZZ_EXPECT(parse(write(*parsed)).has_value(), "round trip");
//     return 0;
//   }
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace mirage::fuzz {

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

[[noreturn]] inline void broken_promise(const char* what, const char* file, int line) {
  std::fprintf(stderr, "%s:%d: fuzz target: %s\n", file, line, what);
  std::abort();
}

}  // namespace mirage::fuzz

#define MIRAGE_FUZZ_EXPECT(condition, what) \
  ((condition) ? void(0) : ::mirage::fuzz::broken_promise(what, __FILE__, __LINE__))
