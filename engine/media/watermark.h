// The invisible watermark for Mirage clips: 72 coded bits spread over the luminance of every
// frame, the same word in every frame, read back by pooling frames.
//
//   media::WatermarkEmbedder mark({.day = media::watermark_day(now), .model = media::model_tag(sha)});
//   mark.embed(frame);                           // every frame, in place (BGR or grey, 8-bit)
//   media::WatermarkDetector reader;
//   for (each frame of a clip) reader.add(frame);
//   media::WatermarkReading r = reader.reading();   // r.found, r.payload
//
// Word (72 bits): marker 0xA7 (8) | version (4) | day since 2024-01-01 UTC (16) | model tag, the
// first 24 bits of the model's SHA-256 (24) | CRC-20 of the 52 bits before (20). The payload
// proper (marker, version, day, model) is 52 bits.
//
// Domain. Each frame's luma Y is resampled (area) to a canonical N x N grid, N = 64, whatever the
// frame's size or aspect: any rescale of the whole frame maps onto the same grid, so scale needs
// no search (the grid is the synchronisation; a crop is not handled). X = DCT-II (orthonormal) of
// that grid. The mark lives in the band B = {(u, v): 2 <= |(u, v)| <= 24}, about 450
// coefficients: 1 to 12 cycles across the frame, patterns several macroblocks wide that H.264 and
// resampling keep (measured: above ~20 cycles the coefficients carry codec noise that any
// re-encode replaces). A fixed key (mt19937_64, seed "MIRAGE1") shuffles B and deals it into 72
// interleaved groups, one per bit (about 6 coefficients each), with a chip c_i in {-1, +1} each,
// and draws a dither d_g in [0, 1) per group.
//
// Embedding: spread-transform dither modulation (Chen & Wornell's QIM along a spread direction).
// Per group g the projection is p_g = mean_{i in g} c_i X_i. Bit b moves p_g to the nearest point
// of its lattice Delta (Z + d_g + b / 2), Delta = 16: a change of at most Delta / 2 whatever the
// picture, so the picture never interferes with the bit (plain additive spread spectrum loses to
// it here: 72 bits from 2 s of a talking head do not fit under 42 dB that way). The change is
// spread evenly over the group (D_i = c_i delta_g), multiplied in the picture by a visibility mask
// m(x) = sigma_7x7(x) / (sigma_7x7(x) + 4), the local contrast in grey levels (small on flat
// areas), and refined twice through the channel the detector sees (upsampled to the frame,
// resampled back) so p_g lands on its lattice point. RMS(d) <= max_rms (1.9 grey levels: PSNR >=
// 42.6 dB). d is upsampled (linear) to the frame and added to B, G, R alike (luma moves by d,
// chroma not at all), rounded and saturated. Delta is in absolute luma units: a contrast change
// of the whole clip (not among the attacks measured) moves every lattice and would need a gain
// estimate first.
//
// Detection: per frame and group the soft decision q_g = dist(p_g, lattice 0) - dist(p_g,
// lattice 1) in [-Delta / 2, Delta / 2]; pooled over frames, bit_g = [sum q_g > 0].
//
// False alarms. On a clip without the mark the key is independent of the picture, so each p_g
// sits at a uniformly random place relative to its dithered lattice (exactly so when p_g varies by
// more than Delta over the key's choices; natural frames' low-frequency projections spread over
// hundreds of units): each decoded bit is a fair coin and the 72 are independent (disjoint chips
// and dithers). A random word passes the marker (8 bits), the version (4) and the CRC (20) with
// probability 2^-32 = 2.3e-10 <= 1e-9 per clip; one pooled decision per clip, no search over
// offsets, scales or windows to multiply it. A picture with no energy in B (a flat frame) decodes
// to the one word its dithers give, which fails the CRC (tested).
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

inline constexpr int kWatermarkVersion = 1;
inline constexpr int kWatermarkBits = 72;               // the coded word
using WatermarkWord = std::bitset<kWatermarkBits>;      // [71] is the first bit carried
inline constexpr double kWatermarkFalseAlarm = 1e-9;  // per clip: what the bound above must stay under

struct WatermarkPayload {
  int version = kWatermarkVersion;  // 4 bits
  std::uint16_t day = 0;            // days since 2024-01-01 UTC
  std::uint32_t model = 0;          // 24 bits: model_tag() of the weights' SHA-256
  bool operator==(const WatermarkPayload&) const = default;
};

WatermarkWord encode_payload(const WatermarkPayload& payload);
// nullopt when the marker, the version or the CRC does not check out.
std::optional<WatermarkPayload> decode_payload(const WatermarkWord& word);
std::uint16_t watermark_day(std::chrono::system_clock::time_point when);
std::string watermark_date(std::uint16_t day);  // "2026-12-03"
// The first 24 bits of a SHA-256 given as hex (0 when it is not hex).
std::uint32_t model_tag(std::string_view sha256_hex);
std::string model_tag_hex(std::uint32_t tag);    // 6 hex digits

struct WatermarkStrength {
  double max_rms = 1.9;    // grey levels: the delta's RMS cap (PSNR >= 20 log10(255 / 1.9) = 42.6 dB)
};

class WatermarkEmbedder {
 public:
  explicit WatermarkEmbedder(const WatermarkPayload& payload, const WatermarkStrength& strength = {});
  // frame: CV_8UC3 (BGR) or CV_8UC1, at least 16 px a side; marked in place. Thread-safe (const).
  void embed(cv::Mat& frame) const;

 private:
  std::vector<float> target_;  // the bit of every group
  WatermarkStrength strength_;
};

struct WatermarkReading {
  int frames = 0;
  double bit_agreement = 0;     // mean over bits of |pooled soft decision| / (Delta / 2): 1 = every frame sure
  WatermarkWord bits;           // the decoded word (meaningful when found)
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
  std::vector<double> per_frame_;  // every frame's soft bit decisions, frames x bits
  int frames_ = 0;
};

// A frame's luma averaged (by area) onto the canonical N x N grid the mark lives on, CV_32F;
// frames smaller than the grid are interpolated up. What the embedder and the detector see.
cv::Mat watermark_grid(const cv::Mat& frame);

// The verdict's parts (derived above): a random word passes the payload's checks with
// probability 2^-32; z_P alone needs 6.49.
double watermark_payload_false_alarm();

}  // namespace mirage::media
