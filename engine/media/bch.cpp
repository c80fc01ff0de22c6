#include "engine/media/bch.h"

#include <array>
#include <cstdint>
#include <vector>

namespace mirage::media::bch127 {
namespace {

constexpr int kFieldBits = 7;
constexpr int kOrder = kLength;                  // multiplicative order of the field: 2^7 - 1
constexpr int kPrimitive = 0x89;                 // x^7 + x^3 + 1
constexpr int kChecks = kLength - kData;         // 70: the degree of g(x)
constexpr int kSyndromes = 2 * kCorrectable;     // 22

struct Field {
  std::array<int, 2 * kOrder> exp{};  // a^i, doubled so that exp[log a + log b] needs no modulo
  std::array<int, kOrder + 1> log{};
  int mul(int a, int b) const { return a == 0 || b == 0 ? 0 : exp[log[a] + log[b]]; }
  int div(int a, int b) const { return a == 0 ? 0 : exp[log[a] + kOrder - log[b]]; }
  int power(int i) const { return exp[((i % kOrder) + kOrder) % kOrder]; }  // a^i, any i
};

const Field& field() {
  static const Field f = [] {
    Field out;
    int x = 1;
    for (int i = 0; i < kOrder; ++i) {
      out.exp[i] = out.exp[i + kOrder] = x;
      out.log[x] = i;
      x <<= 1;
      if (x & (1 << kFieldBits)) x ^= kPrimitive;
    }
    return out;
  }();
  return f;
}

// g(x): the product of the minimal polynomials of a^1, a^3, ..., a^21, coefficients in GF(2),
// g[i] the coefficient of x^i.
const std::array<std::uint8_t, kChecks + 1>& generator() {
  static const std::array<std::uint8_t, kChecks + 1> g = [] {
    const Field& f = field();
    std::vector<int> product = {1};  // over GF(2^7), though every coefficient ends in {0, 1}
    std::array<bool, kOrder> used{};
    for (int root = 1; root <= kSyndromes; ++root) {
      if (used[root]) continue;
      for (int j = root; !used[j]; j = (2 * j) % kOrder) {  // the cyclotomic coset of `root`
        used[j] = true;
        std::vector<int> next(product.size() + 1, 0);  // product * (x + a^j)
        for (std::size_t i = 0; i < product.size(); ++i) {
          next[i + 1] ^= product[i];
          next[i] ^= f.mul(product[i], f.power(j));
        }
        product = std::move(next);
      }
    }
    std::array<std::uint8_t, kChecks + 1> out{};
    for (int i = 0; i <= kChecks; ++i) out[i] = static_cast<std::uint8_t>(product[i]);
    return out;
  }();
  return g;
}

}  // namespace

Word encode(const Data& data) {
  const auto& g = generator();
  std::array<std::uint8_t, kLength> remainder{};
  for (int i = 0; i < kData; ++i) remainder[kChecks + i] = data[i] ? 1 : 0;
  for (int i = kLength - 1; i >= kChecks; --i) {  // long division by g(x) over GF(2)
    if (!remainder[i]) continue;
    for (int j = 0; j <= kChecks; ++j) remainder[i - kChecks + j] ^= g[j];
  }
  Word word;
  for (int i = 0; i < kChecks; ++i) word[i] = remainder[i] != 0;
  for (int i = 0; i < kData; ++i) word[kChecks + i] = data[i];
  return word;
}

std::optional<Decoded> decode(const Word& received) {
  const Field& f = field();
  std::array<int, kSyndromes + 1> s{};  // s[j] = r(a^j)
  bool clean = true;
  for (int j = 1; j <= kSyndromes; ++j) {
    int v = 0;
    for (int i = 0; i < kLength; ++i) {
      if (received[i]) v ^= f.power(i * j);
    }
    s[j] = v;
    clean = clean && v == 0;
  }
  Word word = received;
  Decoded out;
  if (!clean) {
    // Berlekamp-Massey: the shortest LFSR c(x) (the error locator) that generates s[1 ...].
    std::vector<int> c = {1}, b = {1};
    int length = 0, shift = 1, last = 1;
    for (int n = 0; n < kSyndromes; ++n) {
      int d = s[n + 1];
      for (int i = 1; i <= length && i < static_cast<int>(c.size()); ++i) d ^= f.mul(c[i], s[n + 1 - i]);
      if (d == 0) {
        ++shift;
        continue;
      }
      std::vector<int> t = c;
      const int scale = f.div(d, last);
      if (c.size() < b.size() + shift) c.resize(b.size() + shift, 0);
      for (std::size_t i = 0; i < b.size(); ++i) c[i + shift] ^= f.mul(scale, b[i]);
      if (2 * length <= n) {
        length = n + 1 - length;
        b = std::move(t);
        last = d;
        shift = 1;
      } else {
        ++shift;
      }
    }
    if (length > kCorrectable) return std::nullopt;
    // Chien search: position i is wrong where c(a^-i) = 0.
    int roots = 0;
    for (int i = 0; i < kLength; ++i) {
      int v = 0;
      for (std::size_t k = 0; k < c.size(); ++k) v ^= f.mul(c[k], f.power(-i * static_cast<int>(k)));
      if (v == 0) {
        word.flip(i);
        ++roots;
      }
    }
    if (roots != length) return std::nullopt;  // more errors than the code can place
    out.corrected = roots;
  }
  for (int i = 0; i < kData; ++i) out.data[i] = word[kChecks + i];
  return out;
}

}  // namespace mirage::media::bch127
