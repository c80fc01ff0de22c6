// The binary BCH code of length 127 that protects the watermark's word: 57 data bits, 70 check
// bits, minimum distance 23, so up to 11 wrong bits anywhere in a word are found and corrected.
//
//   const bch127::Word sent = bch127::encode(data);      // data: std::bitset<57>
//   ... up to 11 bits of `sent` flip on the way ...
//   if (auto d = bch127::decode(received)) use(d->data, d->corrected);
//
// Field GF(2^7) from the primitive polynomial x^7 + x^3 + 1; the generator g(x) is the product of
// the minimal polynomials of a^1, a^3, ..., a^21 (ten cyclotomic cosets of 7: degree 70), so
// a^1 ... a^22 are roots of every codeword. Systematic: codeword c(x) = d(x) x^70 + (d(x) x^70
// mod g(x)); bit i of a Word is the coefficient of x^i (data in bits 70..126). Decoding: the 22
// syndromes, Berlekamp-Massey for the error locator, a Chien search for its roots; a word with
// more than 11 errors is refused (nullopt) when the locator's degree and its roots disagree, and
// otherwise decodes to another codeword (what the payload's checks are there to catch).
#pragma once

#include <bitset>
#include <optional>

namespace mirage::media::bch127 {

inline constexpr int kLength = 127;
inline constexpr int kData = 57;
inline constexpr int kCorrectable = 11;
using Word = std::bitset<kLength>;
using Data = std::bitset<kData>;

Word encode(const Data& data);

struct Decoded {
  Data data;
  int corrected = 0;  // bits flipped back, 0 ... kCorrectable
};
std::optional<Decoded> decode(const Word& received);

}  // namespace mirage::media::bch127
