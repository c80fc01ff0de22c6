#include <array>
#include <cstdint>
#include <string>

#include "engine/train/trainer.h"

namespace mirage::train {
namespace {

std::uint32_t crc32(const std::string& bytes, std::size_t from) {
  static const auto table = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t n = 0; n < 256; ++n) {
      std::uint32_t c = n;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
      t[n] = c;
    }
    return t;
  }();
  std::uint32_t c = 0xffffffffu;
  for (std::size_t i = from; i < bytes.size(); ++i) {
    c = table[(c ^ static_cast<std::uint8_t>(bytes[i])) & 0xff] ^ (c >> 8);
  }
  return c ^ 0xffffffffu;
}

void put32(std::string& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}

void chunk(std::string& out, const char* type, const std::string& data) {
  put32(out, static_cast<std::uint32_t>(data.size()));
  const std::size_t start = out.size();
  out += type;
  out += data;
  put32(out, crc32(out, start));
}

}  // namespace

std::string encode_png(const PreviewImage& image) {
  // Scanlines with filter 0, wrapped in zlib "stored" blocks: larger than compressed PNG, but
  // no dependency, and previews are small.
  std::string raw;
  const auto row = static_cast<std::size_t>(image.width) * 3;
  for (int y = 0; y < image.height; ++y) {
    raw.push_back('\0');
    raw.append(reinterpret_cast<const char*>(image.rgb.data()) + y * row, row);
  }
  std::string zlib{"\x78\x01", 2};
  std::uint32_t a = 1, b = 0;
  for (const char c : raw) {
    a = (a + static_cast<std::uint8_t>(c)) % 65521;
    b = (b + a) % 65521;
  }
  for (std::size_t pos = 0; pos < raw.size() || pos == 0; pos += 65535) {
    const std::size_t len = std::min<std::size_t>(65535, raw.size() - pos);
    const bool last = pos + len >= raw.size();
    zlib.push_back(last ? '\x01' : '\x00');
    zlib.push_back(static_cast<char>(len & 0xff));
    zlib.push_back(static_cast<char>(len >> 8));
    zlib.push_back(static_cast<char>(~len & 0xff));
    zlib.push_back(static_cast<char>((~len >> 8) & 0xff));
    zlib.append(raw, pos, len);
    if (last) break;
  }
  put32(zlib, (b << 16) | a);
  std::string out{"\x89PNG\r\n\x1a\n", 8};
  std::string header;
  put32(header, static_cast<std::uint32_t>(image.width));
  put32(header, static_cast<std::uint32_t>(image.height));
  header += std::string{"\x08\x02\x00\x00\x00", 5};  // 8-bit RGB, no interlace
  chunk(out, "IHDR", header);
  chunk(out, "IDAT", zlib);
  chunk(out, "IEND", "");
  return out;
}

}  // namespace mirage::train
