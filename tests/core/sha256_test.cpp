#include "engine/core/sha256.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "tests/core/temp_dir.h"

namespace mirage {
namespace {

// FIPS 180-4 examples and the NIST byte-oriented vectors.
TEST(Sha256, KnownVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(sha256_hex(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, PiecewiseUpdatesEqualOneUpdate) {
  std::string text;
  for (int i = 0; i < 300; ++i) text.push_back(static_cast<char>(i * 7));
  const std::string whole = sha256_hex(text);
  for (std::size_t cut : {0u, 1u, 55u, 56u, 63u, 64u, 65u, 129u, 299u}) {
    Sha256 h;
    h.update(std::string_view(text).substr(0, cut));
    h.update(std::string_view(text).substr(cut));
    EXPECT_EQ(h.hex(), whole) << "cut at " << cut;
  }
}

TEST(Sha256, FileDigestEqualsTheBytesDigestAndMissingFileIsNamed) {
  const TempDir dir;
  const auto file = dir.path() / "clip.bin";
  std::string bytes(3 * (1 << 20) + 17, 'x');
  for (std::size_t i = 0; i < bytes.size(); i += 4099) bytes[i] = static_cast<char>(i);
  std::ofstream(file, std::ios::binary) << bytes;
  auto digest = sha256_file(file);
  ASSERT_TRUE(digest) << digest.error().message;
  EXPECT_EQ(*digest, sha256_hex(bytes));
  auto missing = sha256_file(dir.path() / "none.bin");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace mirage
