#include "engine/media/watermark.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <random>

#include <opencv2/imgproc.hpp>

#include "engine/media/bch.h"

namespace mirage::media {
namespace {

constexpr int kGrid = 64;            // N
constexpr double kBandLow = 2.0;     // |(u, v)| range of the band
constexpr double kBandHigh = 24.0;
constexpr std::uint32_t kMarker = 0xA7;
constexpr double kMaskHalf = 4.0;    // grey levels of local contrast where m = 0.5
constexpr int kMaskWindow = 7;       // canonical pixels
constexpr int kRefinements = 2;
constexpr int kMaxGroups = kWatermarkBits;
constexpr int kV1Bits = 72;  // version 1's word: 52 payload bits and a CRC-20, one group per bit

// A version of the mark: how many groups the band is dealt into, under which key, with which
// lattice step Delta (in DCT units of the canonical grid).
struct Scheme {
  int groups;
  std::uint64_t key;
  double step;
};
constexpr std::array<Scheme, 2> kSchemes = {{
    {bch127::kLength, 0x4d4952414745320aULL, 20.0},  // version 2, "MIRAGE2\n": the BCH-coded word
    {kV1Bits, 0x4d4952414745310aULL, 16.0},          // version 1, "MIRAGE1\n": uncoded
}};
constexpr int kCurrent = 0;  // indices into kSchemes
constexpr int kVersion1 = 1;

// The keyed layout of the band, the same for the embedder and the detector.
struct Layout {
  int groups = 0;
  double step = 0;                 // Delta
  std::vector<int> offset;         // row-major index into the N x N DCT
  std::vector<std::int8_t> chip;   // c_i
  std::vector<std::uint8_t> group; // the bit it carries
  std::array<double, kMaxGroups> dither{};  // d_g in [0, 1): the lattice offset, in steps
  std::array<int, kMaxGroups> group_size{};
};

Layout make_layout(const Scheme& scheme) {
  Layout out;
  out.groups = scheme.groups;
  out.step = scheme.step;
  std::vector<int> band;  // offsets
  for (int v = 0; v < kGrid; ++v) {
    for (int u = 0; u < kGrid; ++u) {
      const double r = std::hypot(u, v);
      if (r < kBandLow || r > kBandHigh) continue;
      band.push_back(v * kGrid + u);
    }
  }
  std::mt19937_64 rng(scheme.key);
  for (std::size_t i = band.size() - 1; i > 0; --i) std::swap(band[i], band[rng() % (i + 1)]);
  for (std::size_t i = 0; i < band.size(); ++i) {
    const int g = static_cast<int>(i % static_cast<std::size_t>(scheme.groups));
    out.offset.push_back(band[i]);
    out.chip.push_back((rng() >> 63) != 0 ? 1 : -1);
    out.group.push_back(static_cast<std::uint8_t>(g));
    ++out.group_size[g];
  }
  for (int g = 0; g < scheme.groups; ++g) out.dither[g] = static_cast<double>(rng() >> 11) / 9007199254740992.0;
  return out;
}

const Layout& layout(int scheme) {
  static const std::array<Layout, kSchemes.size()> layouts = [] {
    std::array<Layout, kSchemes.size()> out;
    for (std::size_t i = 0; i < kSchemes.size(); ++i) out[i] = make_layout(kSchemes[i]);
    return out;
  }();
  return layouts[static_cast<std::size_t>(scheme)];
}

// CRC of `width` bits (polynomial `poly` with x^width implied, initial 0) over the low `bits` bits
// of value, most significant first. Any CRC passes a uniformly random word with probability
// exactly 2^-width.
std::uint32_t crc(std::uint64_t value, int bits, std::uint32_t poly, int width) {
  const std::uint32_t mask = (1U << width) - 1U;
  std::uint32_t r = 0;
  for (int i = bits - 1; i >= 0; --i) {
    const std::uint32_t in = static_cast<std::uint32_t>((value >> i) & 1U);
    const std::uint32_t top = (r >> (width - 1)) & 1U;
    r = (r << 1) & mask;
    if ((top ^ in) != 0) r ^= poly;
  }
  return r;
}
constexpr std::uint32_t kCrc20 = 0x19DB1;  // version 1's
constexpr std::uint32_t kCrc5 = 0x05;      // version 2's: x^5 + x^2 + 1

// marker | version | day | model: the 52 payload bits.
std::uint64_t payload_bits(const WatermarkPayload& p, int version) {
  std::uint64_t data = kMarker;
  data = (data << 4) | (static_cast<std::uint64_t>(version) & 0xF);
  data = (data << 16) | p.day;
  return (data << 24) | (p.model & 0xFFFFFF);
}

std::optional<WatermarkPayload> check_payload_bits(std::uint64_t data, int version) {
  if ((data >> 44) != kMarker) return std::nullopt;
  WatermarkPayload p;
  p.version = static_cast<int>((data >> 40) & 0xF);
  if (p.version != version) return std::nullopt;
  p.day = static_cast<std::uint16_t>((data >> 24) & 0xFFFF);
  p.model = static_cast<std::uint32_t>(data & 0xFFFFFF);
  return p;
}

// Version 1's word: the 52 payload bits then a CRC-20, group g carrying bit 71 - g.
std::bitset<kV1Bits> encode_v1(const WatermarkPayload& p) {
  const std::uint64_t data = payload_bits(p, 1);
  const std::uint32_t check = crc(data, 52, kCrc20, 20);
  std::bitset<kV1Bits> word;
  for (int i = 0; i < 52; ++i) word[71 - i] = ((data >> (51 - i)) & 1U) != 0;
  for (int i = 0; i < 20; ++i) word[19 - i] = ((check >> (19 - i)) & 1U) != 0;
  return word;
}

std::optional<WatermarkPayload> decode_v1(const std::bitset<kV1Bits>& word) {
  std::uint64_t data = 0;
  std::uint32_t check = 0;
  for (int i = 0; i < 52; ++i) data = (data << 1) | (word[71 - i] ? 1U : 0U);
  for (int i = 0; i < 20; ++i) check = (check << 1) | (word[19 - i] ? 1U : 0U);
  if (crc(data, 52, kCrc20, 20) != check) return std::nullopt;
  return check_payload_bits(data, 1);
}

// Area averaging of one axis onto kGrid cells: cell c covers source [c s, (c + 1) s), s = size /
// kGrid, and each source sample weighs by its overlap with the cell, over s (the weights of
// OpenCV's INTER_AREA, which computed this before, in 8 bits and 4-5x slower on a 720x528 frame).
struct AreaAxis {
  int size = 0;
  std::array<int, kGrid + 1> first{};  // cell c's taps are [first[c], first[c + 1])
  std::vector<int> source;
  std::vector<float> weight;
};

AreaAxis area_axis(int size) {
  AreaAxis a;
  a.size = size;
  const double scale = static_cast<double>(size) / kGrid;
  for (int c = 0; c < kGrid; ++c) {
    a.first[c] = static_cast<int>(a.source.size());
    const double begin = c * scale, end = begin + scale;
    for (int i = static_cast<int>(std::floor(begin)); i < size && i < end; ++i) {
      const double overlap = std::min<double>(i + 1, end) - std::max<double>(i, begin);
      if (overlap <= 1e-9) continue;
      a.source.push_back(i);
      a.weight.push_back(static_cast<float>(overlap / scale));
    }
  }
  a.first[kGrid] = static_cast<int>(a.source.size());
  return a;
}

// grey (CV_8UC1, both sides >= kGrid) averaged onto the kGrid x kGrid grid, float.
cv::Mat area_to_grid(const cv::Mat& grey) {
  thread_local AreaAxis rows, cols;
  thread_local std::vector<float> column_sums;
  if (rows.size != grey.rows) rows = area_axis(grey.rows);
  if (cols.size != grey.cols) cols = area_axis(grey.cols);
  column_sums.resize(static_cast<std::size_t>(grey.cols));
  cv::Mat grid(kGrid, kGrid, CV_32F);
  for (int r = 0; r < kGrid; ++r) {
    std::fill(column_sums.begin(), column_sums.end(), 0.0f);
    float* sums = column_sums.data();
    for (int k = rows.first[r]; k < rows.first[r + 1]; ++k) {  // vertical: a weighted sum of rows
      const std::uint8_t* in = grey.ptr<std::uint8_t>(rows.source[k]);
      const float w = rows.weight[k];
      for (int x = 0; x < grey.cols; ++x) sums[x] += w * static_cast<float>(in[x]);
    }
    float* out = grid.ptr<float>(r);
    for (int c = 0; c < kGrid; ++c) {  // horizontal
      float v = 0;
      for (int k = cols.first[c]; k < cols.first[c + 1]; ++k) v += cols.weight[k] * sums[cols.source[k]];
      out[c] = v;
    }
  }
  return grid;
}

// The frame's luma on the canonical grid, float.
cv::Mat canonical_luma(const cv::Mat& frame) {
  thread_local cv::Mat grey_buffer;
  cv::Mat grey;
  if (frame.channels() == 3) {
    cv::cvtColor(frame, grey_buffer, cv::COLOR_BGR2GRAY);
    grey = grey_buffer;
  } else {
    grey = frame;
  }
  if (grey.cols >= kGrid && grey.rows >= kGrid) return area_to_grid(grey);
  cv::Mat small, f;  // a frame smaller than the grid: interpolated up
  cv::resize(grey, small, {kGrid, kGrid}, 0, 0, cv::INTER_LINEAR);
  small.convertTo(f, CV_32F);
  return f;
}

bool usable(const cv::Mat& frame) {
  return !frame.empty() && frame.depth() == CV_8U && (frame.channels() == 1 || frame.channels() == 3) &&
         frame.cols >= 16 && frame.rows >= 16;
}

// Group means of c_i Y_i: the projections p_g (the first l.groups entries).
std::array<double, kMaxGroups> group_correlation(const Layout& l, const float* y) {
  std::array<double, kMaxGroups> sum{};
  for (std::size_t i = 0; i < l.offset.size(); ++i) sum[l.group[i]] += l.chip[i] * y[l.offset[i]];
  for (int g = 0; g < l.groups; ++g) sum[g] /= std::max(1, l.group_size[g]);
  return sum;
}

// The point nearest p of bit b's lattice: Delta (Z + d_g + b / 2).
double lattice_point(const Layout& l, double p, int g, float bit) {
  const double offset = (l.dither[g] + 0.5 * bit) * l.step;
  return std::round((p - offset) / l.step) * l.step + offset;
}

// Soft decision for bit 1 over bit 0: distance to bit 0's lattice minus distance to bit 1's, in
// [-Delta / 2, Delta / 2].
double soft_bit(const Layout& l, double p, int g) {
  return std::abs(p - lattice_point(l, p, g, 0.0f)) - std::abs(p - lattice_point(l, p, g, 1.0f));
}

// Per group of one scheme, pooled over frames: hard bits, the mean |soft decision| over Delta / 2
// and the weakest bit's t.
struct Pooled {
  std::vector<bool> bits;
  std::vector<double> mean;  // the pooled soft decision: its sign is the bit, its size the reliability
  double agreement = 0;
  double weakest_t = 0;
};

Pooled pool(const std::vector<double>& per_frame, int frames, const Layout& l) {
  const int groups = l.groups;
  Pooled out;
  out.bits.resize(static_cast<std::size_t>(groups));
  out.mean.resize(static_cast<std::size_t>(groups));
  out.weakest_t = 1e30;
  for (int g = 0; g < groups; ++g) {
    double mean = 0, sq = 0;
    for (int f = 0; f < frames; ++f) mean += per_frame[static_cast<std::size_t>(f) * groups + g];
    mean /= frames;
    for (int f = 0; f < frames; ++f) {
      const double d = per_frame[static_cast<std::size_t>(f) * groups + g] - mean;
      sq += d * d;
    }
    out.bits[static_cast<std::size_t>(g)] = mean > 0;
    out.mean[static_cast<std::size_t>(g)] = mean;
    const double sd = frames > 1 ? std::sqrt(sq / (frames - 1)) : 0.0;
    const double t = sd > 0 ? std::abs(mean) / (sd / std::sqrt(frames)) : (mean != 0 ? 1e9 : 0.0);
    out.weakest_t = std::min(out.weakest_t, t);
    out.agreement += std::abs(mean) / (l.step / 2);
  }
  out.agreement /= groups;
  return out;
}

constexpr int kChaseBits = 5;  // see decode_soft

}  // namespace

WatermarkWord encode_payload(const WatermarkPayload& p) {
  const std::uint64_t data = payload_bits(p, kWatermarkVersion);
  const std::uint64_t value = (data << 5) | crc(data, 52, kCrc5, 5);  // 57 bits
  bch127::Data bits;
  for (int i = 0; i < bch127::kData; ++i) bits[i] = ((value >> i) & 1U) != 0;
  return bch127::encode(bits);
}

std::optional<WatermarkPayload> decode_payload(const WatermarkWord& word, int* corrected) {
  const std::optional<bch127::Decoded> decoded = bch127::decode(word);
  if (!decoded) return std::nullopt;
  std::uint64_t value = 0;
  for (int i = 0; i < bch127::kData; ++i) value |= static_cast<std::uint64_t>(decoded->data[i] ? 1 : 0) << i;
  const std::uint64_t data = value >> 5;
  if (crc(data, 52, kCrc5, 5) != (value & 0x1F)) return std::nullopt;
  auto payload = check_payload_bits(data, kWatermarkVersion);
  if (payload && corrected) *corrected = decoded->corrected;
  return payload;
}

std::uint16_t watermark_day(std::chrono::system_clock::time_point when) {
  using namespace std::chrono;
  const auto days = floor<std::chrono::days>(when) - sys_days{year{2024} / January / 1};
  return static_cast<std::uint16_t>(std::clamp<long long>(days.count(), 0, 0xFFFF));
}

std::string watermark_date(std::uint16_t day) {
  using namespace std::chrono;
  const year_month_day ymd{sys_days{year{2024} / January / 1} + std::chrono::days{day}};
  char text[16];
  std::snprintf(text, sizeof text, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return text;
}

std::uint32_t model_tag(std::string_view sha256_hex) {
  if (sha256_hex.size() < 6) return 0;
  std::uint32_t tag = 0;
  for (char c : sha256_hex.substr(0, 6)) {
    int v = -1;
    if (c >= '0' && c <= '9') v = c - '0';
    if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
    if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
    if (v < 0) return 0;
    tag = (tag << 4) | static_cast<std::uint32_t>(v);
  }
  return tag;
}

std::string model_tag_hex(std::uint32_t tag) {
  char text[8];
  std::snprintf(text, sizeof text, "%06x", tag & 0xFFFFFF);
  return text;
}

cv::Mat watermark_grid(const cv::Mat& frame) { return canonical_luma(frame); }

double watermark_payload_false_alarm() {
  double ball = 0, choose = 1;  // sum_{i <= t} C(127, i)
  for (int i = 0; i <= bch127::kCorrectable; ++i) {
    ball += choose;
    choose = choose * (bch127::kLength - i) / (i + 1);
  }
  // version 2 (each of Chase's trial words), plus version 1
  return std::ldexp(ball, 40 - bch127::kLength + kChaseBits) + std::ldexp(1.0, -32);
}

WatermarkEmbedder::WatermarkEmbedder(const WatermarkPayload& payload, const WatermarkStrength& strength)
    : strength_(strength) {
  if (payload.version == 1) {
    scheme_ = kVersion1;
    const std::bitset<kV1Bits> word = encode_v1(payload);
    for (int g = 0; g < kV1Bits; ++g) target_.push_back(word[kV1Bits - 1 - g] ? 1.0f : 0.0f);
  } else {
    scheme_ = kCurrent;
    const WatermarkWord word = encode_payload(payload);
    for (int g = 0; g < kWatermarkBits; ++g) target_.push_back(word[g] ? 1.0f : 0.0f);
  }
}

void WatermarkEmbedder::embed(cv::Mat& frame) const {
  if (!usable(frame)) return;
  const Layout& l = layout(scheme_);
  const cv::Mat host = canonical_luma(frame);
  cv::Mat x;
  cv::dct(host, x);

  // m(x): local contrast
  cv::Mat mean, mean_sq;
  cv::blur(host, mean, {kMaskWindow, kMaskWindow});
  cv::blur(host.mul(host), mean_sq, {kMaskWindow, kMaskWindow});
  cv::Mat sigma;
  cv::sqrt(cv::max(mean_sq - mean.mul(mean), 0.0), sigma);
  const cv::Mat mask = sigma / (sigma + kMaskHalf);
  const double mask_mean = std::max(0.05, cv::mean(mask)[0]);

  // Goal per group: the nearest point of its bit's lattice; the change spread evenly over the
  // group's coefficients (D_i = c_i (goal_g - p_g) moves p_g by exactly that).
  const std::array<double, kMaxGroups> p = group_correlation(l, x.ptr<float>());
  std::array<double, kMaxGroups> goal{};
  for (int g = 0; g < l.groups; ++g) goal[g] = lattice_point(l, p[g], g, target_[g]);
  cv::Mat d_spec = cv::Mat::zeros(kGrid, kGrid, CV_32F);
  float* d = d_spec.ptr<float>();
  for (std::size_t i = 0; i < l.offset.size(); ++i) {
    const int g = l.group[i];
    d[l.offset[i]] = l.chip[i] * static_cast<float>(goal[g] - p[g]);
  }
  // The band (at most 12 cycles across the frame) passes the upsampling onto the frame and the
  // detector's resampling back essentially unchanged, so the refinement works on the grid.
  cv::Mat delta;
  for (int pass = 0; pass <= kRefinements; ++pass) {
    cv::idct(d_spec, delta);
    delta = delta.mul(mask);
    if (pass == kRefinements) break;
    cv::Mat achieved;
    cv::dct(delta, achieved);
    achieved += x;
    const std::array<double, kMaxGroups> r = group_correlation(l, achieved.ptr<float>());
    for (std::size_t i = 0; i < l.offset.size(); ++i) {
      const int g = l.group[i];
      d[l.offset[i]] += l.chip[i] * static_cast<float>((goal[g] - r[g]) / mask_mean);
    }
  }
  const double rms = std::sqrt(cv::mean(delta.mul(delta))[0]);
  if (rms > strength_.max_rms) delta *= strength_.max_rms / rms;

  // Upsample, round once, add to every channel with saturation (OpenCV's vector loops; a scalar
  // per-pixel loop cost a third of the embedding on textured frames).
  // Frame-sized buffers live per thread: fresh ones each frame cost more in page faults than the
  // arithmetic.
  thread_local cv::Mat full, steps, steps3, wide;
  cv::resize(delta, full, frame.size(), 0, 0, cv::INTER_LINEAR);
  full.convertTo(steps, CV_16S);
  if (frame.channels() == 3) {
    const cv::Mat planes[] = {steps, steps, steps};
    cv::merge(planes, 3, steps3);
  }
  frame.convertTo(wide, CV_16S);
  cv::add(wide, frame.channels() == 3 ? steps3 : steps, wide);
  wide.convertTo(frame, CV_8U);
}

// Chase decoding, as the header describes it.
std::optional<WatermarkPayload> decode_soft(const std::vector<double>& mean, int* corrected) {
  if (mean.size() != static_cast<std::size_t>(kWatermarkBits)) return std::nullopt;
  WatermarkWord hard;
  for (int g = 0; g < kWatermarkBits; ++g) hard[g] = mean[g] > 0;
  std::array<int, kWatermarkBits> order{};
  for (int g = 0; g < kWatermarkBits; ++g) order[g] = g;
  std::partial_sort(order.begin(), order.begin() + kChaseBits, order.end(),
                    [&](int a, int b) { return std::abs(mean[a]) < std::abs(mean[b]); });
  std::optional<WatermarkPayload> best;
  double best_distance = 1e300;
  for (unsigned pattern = 0; pattern < (1U << kChaseBits); ++pattern) {
    WatermarkWord trial = hard;
    for (int k = 0; k < kChaseBits; ++k) {
      if (pattern & (1U << k)) trial.flip(order[k]);
    }
    const std::optional<WatermarkPayload> payload = decode_payload(trial);
    if (!payload) continue;
    const WatermarkWord changed = encode_payload(*payload) ^ hard;
    double distance = 0;
    for (int g = 0; g < kWatermarkBits; ++g) {
      if (changed[g]) distance += std::abs(mean[g]);
    }
    if (distance < best_distance) {
      best_distance = distance;
      best = payload;
      if (corrected) *corrected = static_cast<int>(changed.count());
    }
  }
  return best;
}

WatermarkDetector::WatermarkDetector() : per_frame_(kSchemes.size()) {}

void WatermarkDetector::add(const cv::Mat& frame) {
  if (!usable(frame)) return;
  cv::Mat x;
  cv::dct(canonical_luma(frame), x);
  for (std::size_t s = 0; s < kSchemes.size(); ++s) {
    const Layout& l = layout(static_cast<int>(s));
    const std::array<double, kMaxGroups> p = group_correlation(l, x.ptr<float>());
    for (int g = 0; g < l.groups; ++g) per_frame_[s].push_back(soft_bit(l, p[g], g));
  }
  ++frames_;
}

WatermarkReading WatermarkDetector::reading() const {
  WatermarkReading r;
  r.frames = frames_;
  if (frames_ == 0) return r;
  const Pooled current = pool(per_frame_[kCurrent], frames_, layout(kCurrent));
  for (int g = 0; g < kWatermarkBits; ++g) r.bits[g] = current.bits[static_cast<std::size_t>(g)];
  r.bit_agreement = current.agreement;
  r.weakest_bit_t = current.weakest_t;
  r.payload = decode_soft(current.mean, &r.corrected);
  if (!r.payload) {  // a clip marked by Mirage before version 2
    const Pooled old = pool(per_frame_[kVersion1], frames_, layout(kVersion1));
    std::bitset<kV1Bits> word;
    for (int g = 0; g < kV1Bits; ++g) word[kV1Bits - 1 - g] = old.bits[static_cast<std::size_t>(g)];
    if (auto p = decode_v1(word)) {
      r.payload = p;
      r.bit_agreement = old.agreement;
      r.weakest_bit_t = old.weakest_t;
    }
  }
  r.found = r.payload.has_value();
  return r;
}

}  // namespace mirage::media
