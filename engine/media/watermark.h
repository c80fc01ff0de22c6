// The invisible watermark for Mirage clips: a 127-bit coded word spread over the luminance of
// every frame, the same word in every frame, read back by pooling frames.
//
//   media::WatermarkEmbedder mark({.day = media::watermark_day(now), .model = media::model_tag(sha)});
//   mark.embed(frame);                           // every frame, in place (BGR or grey, 8-bit)
//   media::WatermarkDetector reader;
//   for (each frame of a clip) reader.add(frame);
//   media::WatermarkReading r = reader.reading();   // r.found, r.payload
//
// Payload (57 bits): marker 0xA7 (8) | version 2 (4) | day since 2024-01-01 UTC (16) | model tag,
// the first 24 bits of the model's SHA-256 (24) | CRC-5 of the 52 bits before (5). The word is
// that payload coded by the BCH(127, 57) code of engine/media/bch.h: any 11 of its 127 bits may
// be wrong and the payload still reads exactly.
//
// Domain. Each frame's luma Y is averaged (by area) onto a canonical N x N grid, N = 64, whatever
// the frame's size or aspect: any rescale of the whole frame maps onto the same grid, so scale
// needs no search (the grid is the synchronisation; a crop is not handled). X = DCT-II
// (orthonormal) of that grid. The mark lives in the band B = {(u, v): 2 <= |(u, v)| <= 24}, about
// 450 coefficients: 1 to 12 cycles across the frame, patterns several macroblocks wide that H.264
// and resampling keep (measured: above ~20 cycles the coefficients carry codec noise that any
// re-encode replaces). A fixed key (mt19937_64) shuffles B and deals it into one interleaved group
// per coded bit (127 groups of 3-4 coefficients), with a chip c_i in {-1, +1} each, and draws a
// dither d_g in [0, 1) per group.
//
// Embedding: spread-transform dither modulation (Chen & Wornell's QIM along a spread direction).
// Per group g the projection is p_g = mean_{i in g} c_i X_i. Bit b moves p_g to the nearest point
// of its lattice Delta (Z + d_g + b / 2), Delta = 20: a change of at most Delta / 2 whatever the
// picture, so the picture never interferes with the bit (plain additive spread spectrum loses to
// it here: the bits do not fit under 42 dB that way). The change is spread evenly over the group
// (D_i = c_i delta_g), multiplied in the picture by a visibility mask m(x) = sigma_7x7(x) /
// (sigma_7x7(x) + 4), the local contrast in grey levels (small on flat areas), and refined twice
// through the channel the detector sees (upsampled to the frame, resampled back) so p_g lands on
// its lattice point. RMS(d) <= max_rms (2.0 grey levels: PSNR >= 42.1 dB). d is upsampled
// (linear) to the frame and added to B, G, R alike (luma moves by d, chroma not at all), rounded
// and saturated. Delta is in absolute luma units: a contrast change of the whole clip (not among
// the attacks measured) moves every lattice and would need a gain estimate first. The energy per
// coded bit is the frame's budget over 127 instead of over 72 (2.5 dB less per bit); the code more
// than buys it back (measured in docs/results/watermark.md).
//
// Detection: per frame and group the soft decision q_g = dist(p_g, lattice 0) - dist(p_g,
// lattice 1) in [-Delta / 2, Delta / 2]; pooled over frames (m_g = mean q_g), bit_g = [m_g > 0].
// Chase decoding: the hard word with each of the 2^5 patterns of flips of its 5 least reliable
// bits (smallest |m_g|) goes to the BCH decoder; of the payloads whose marker, version and CRC
// check out, the one whose codeword differs from the hard word on the least sum of |m_g| wins.
// So 11 wrong bits always read, and up to 16 when the extra ones are among the least reliable.
//
// False alarms. On a clip without the mark the key is independent of the picture, so each p_g
// sits at a uniformly random place relative to its dithered lattice (exactly so when p_g varies by
// more than Delta over the key's choices; natural frames' low-frequency projections spread over
// hundreds of units). Moving a group's dither by half a step flips the sign of its q_g and keeps
// its size, so every hard bit is a fair coin independent of all the |m_g| and of the other bits
// (disjoint chips and dithers): each of Chase's 32 trial words (flips at places chosen by |m_g|
// alone) is uniform over all 2^127. A trial is accepted only when it lies within 11 bits of a
// codeword whose payload passes the checks; 2^40 payloads do (day and model free; marker,
// version and CRC fixed), each with a ball of V = sum_{i <= 11} C(127, i) = 2^51.1 words:
// 2^40 V / 2^127 = 1.6e-11 per trial, 5.1e-10 for the 32. One pooled decision per clip, no
// search over offsets, scales or windows to multiply it. A picture with no energy in B (a flat
// frame) decodes to the one word its dithers give, which fails (tested).
//
// Version 1 (Mirage until 2026-12-06) carried the 52 payload bits and a CRC-20 uncoded, one group
// per bit (72 groups, another key, Delta = 16); the detector still reads it, and its own bound,
// 2^-32, adds to the one above: 7.4e-10 per clip for "found", under the 1e-9 budget.
#pragma once

#include <bitset>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <opencv2/core.hpp>

namespace mirage::media {

inline constexpr int kWatermarkVersion = 2;
inline constexpr int kWatermarkBits = 127;              // the coded word (version 2)
using WatermarkWord = std::bitset<kWatermarkBits>;      // bit g is carried by group g
inline constexpr double kWatermarkFalseAlarm = 1e-9;  // per clip: what the bound above must stay under

struct WatermarkPayload {
  int version = kWatermarkVersion;  // 4 bits
  std::uint16_t day = 0;            // days since 2024-01-01 UTC
  std::uint32_t model = 0;          // 24 bits: model_tag() of the weights' SHA-256
  bool operator==(const WatermarkPayload&) const = default;
};

// The version-2 word of a payload (its `version` is written as 2).
WatermarkWord encode_payload(const WatermarkPayload& payload);
// nullopt when the word is more than 11 bits from every codeword, or the marker, the version or
// the CRC does not check out; `corrected`, when given, receives the bits the code put right.
std::optional<WatermarkPayload> decode_payload(const WatermarkWord& word, int* corrected = nullptr);
// Chase decoding (above) of pooled soft decisions, one per coded bit: the sign is the bit, the
// size its reliability. nullopt when no trial word decodes to a payload that checks out.
std::optional<WatermarkPayload> decode_soft(const std::vector<double>& soft, int* corrected = nullptr);
std::uint16_t watermark_day(std::chrono::system_clock::time_point when);
std::string watermark_date(std::uint16_t day);  // "2026-12-03"
// The first 24 bits of a SHA-256 given as hex (0 when it is not hex).
std::uint32_t model_tag(std::string_view sha256_hex);
std::string model_tag_hex(std::uint32_t tag);    // 6 hex digits

struct WatermarkStrength {
  double max_rms = 2.0;    // grey levels: the delta's RMS cap (PSNR >= 20 log10(255 / 2.0) = 42.1 dB)
};

class WatermarkEmbedder {
 public:
  // payload.version 2 (the default) writes the current word; 1 writes the old uncoded one (tests).
  explicit WatermarkEmbedder(const WatermarkPayload& payload, const WatermarkStrength& strength = {});
  // frame: CV_8UC3 (BGR) or CV_8UC1, at least 16 px a side; marked in place. Thread-safe (const).
  void embed(cv::Mat& frame) const;

 private:
  std::vector<float> target_;  // the bit of every group
  int scheme_ = 0;             // index of the payload's version in the scheme table
  WatermarkStrength strength_;
};

struct WatermarkReading {
  int frames = 0;
  double bit_agreement = 0;     // mean over bits of |pooled soft decision| / (Delta / 2): 1 = every frame sure
  WatermarkWord bits;           // the version-2 word as read, before correction
  int corrected = 0;            // bits of it the code put right (when found in version 2)
  double weakest_bit_t = 0;     // min over bits of |mean| / (sd / sqrt(frames)) of its per-frame correlations
  std::optional<WatermarkPayload> payload;  // when the bits check out
  bool found = false;           // the verdict above
};

class WatermarkDetector {
 public:
  WatermarkDetector();
  // frame: CV_8UC3 (BGR) or CV_8UC1, at least 16 px a side; others are ignored.
  void add(const cv::Mat& frame);
  WatermarkReading reading() const;
  int frames() const { return frames_; }

 private:
  std::vector<std::vector<double>> per_frame_;  // per scheme: every frame's soft decisions, frames x groups
  int frames_ = 0;
};

// A frame's luma averaged (by area) onto the canonical N x N grid the mark lives on, CV_32F;
// frames smaller than the grid are interpolated up. What the embedder and the detector see.
cv::Mat watermark_grid(const cv::Mat& frame);

// The bound derived above: the probability that a clip without the mark is found marked
// (version 2's 2^40 V / 2^127 plus version 1's 2^-32).
double watermark_payload_false_alarm();

}  // namespace mirage::media
