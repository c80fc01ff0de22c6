// SHA-256 (FIPS 180-4) of bytes and of files, for provenance records and model fingerprints.
//
//   Sha256 h;  h.update(bytes);  std::string hex = h.hex();   // 64 lower-case hex digits
//   auto digest = sha256_file("renders/take1.mp4");           // streamed, 1 MiB at a time
//
// Not a keyed MAC and not a signature: it says whether bytes changed, not who wrote them.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

#include "engine/core/error.h"

namespace mirage {

class Sha256 {
 public:
  Sha256();
  void update(std::span<const std::uint8_t> bytes);
  void update(std::string_view text);
  // The digest of everything given so far; the object must not be updated afterwards.
  std::array<std::uint8_t, 32> digest();
  std::string hex();

 private:
  void block(const std::uint8_t* p);
  std::array<std::uint32_t, 8> state_;
  std::array<std::uint8_t, 64> buffer_{};
  std::size_t buffered_ = 0;
  std::uint64_t total_bytes_ = 0;
  bool finished_ = false;
};

std::string sha256_hex(std::string_view bytes);
// Errors: kNotFound (no such file), kIo (unreadable).
Result<std::string> sha256_file(const std::filesystem::path& path);

}  // namespace mirage
