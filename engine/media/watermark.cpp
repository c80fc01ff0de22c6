#include "engine/media/watermark.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <random>

#include <opencv2/imgproc.hpp>

namespace mirage::media {
namespace {

constexpr int kGrid = 64;            // N
constexpr double kBandLow = 2.0;     // |(u, v)| range of the band
constexpr double kBandHigh = 24.0;
constexpr double kStep = 16.0;       // Delta, in DCT units of the canonical grid
constexpr int kGroups = kWatermarkBits;  // one group of coefficients per coded bit
constexpr std::uint64_t kKey = 0x4d4952414745310aULL;  // "MIRAGE1\n"
constexpr std::uint32_t kMarker = 0xA7;
constexpr std::uint32_t kCrcPolynomial = 0x19DB1;  // the low 20 bits of the polynomial above
constexpr double kMaskHalf = 4.0;    // grey levels of local contrast where m = 0.5
constexpr int kMaskWindow = 7;       // canonical pixels
constexpr int kRefinements = 2;

// The keyed layout of the band, the same for the embedder and the detector.
struct Layout {
  std::vector<int> offset;         // row-major index into the N x N DCT
  std::vector<std::int8_t> chip;   // c_i
  std::vector<std::uint8_t> group; // the bit it carries
  std::array<double, kGroups> dither{};  // d_g in [0, 1): the lattice offset, in steps
  std::array<int, kGroups> group_size{};
};

const Layout& layout() {
  static const Layout l = [] {
    Layout out;
    std::vector<int> band;  // offsets
    for (int v = 0; v < kGrid; ++v) {
      for (int u = 0; u < kGrid; ++u) {
        const double r = std::hypot(u, v);
        if (r < kBandLow || r > kBandHigh) continue;
        band.push_back(v * kGrid + u);
      }
    }
    std::mt19937_64 rng(kKey);
    for (std::size_t i = band.size() - 1; i > 0; --i) std::swap(band[i], band[rng() % (i + 1)]);
    for (std::size_t i = 0; i < band.size(); ++i) {
      out.offset.push_back(band[i]);
      out.chip.push_back((rng() >> 63) != 0 ? 1 : -1);
      out.group.push_back(static_cast<std::uint8_t>(i % kGroups));
      ++out.group_size[i % kGroups];
    }
    for (double& d : out.dither) d = static_cast<double>(rng() >> 11) / 9007199254740992.0;
    return out;
  }();
  return l;
}

// CRC-20 (polynomial 0x19DB1 with x^20 implied, initial 0), over the low `bits` bits, most
// significant first. Any CRC passes a uniformly random word with probability exactly 2^-20.
std::uint32_t crc20(std::uint64_t value, int bits) {
  std::uint32_t crc = 0;
  for (int i = bits - 1; i >= 0; --i) {
    const std::uint32_t in = static_cast<std::uint32_t>((value >> i) & 1U);
    const std::uint32_t top = (crc >> 19) & 1U;
    crc = (crc << 1) & 0xFFFFFU;
    if ((top ^ in) != 0) crc ^= kCrcPolynomial;
  }
  return crc;
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

// Group means of c_i Y_i: the projections p_g.
std::array<double, kGroups> group_correlation(const float* y) {
  const Layout& l = layout();
  std::array<double, kGroups> sum{};
  for (std::size_t i = 0; i < l.offset.size(); ++i) sum[l.group[i]] += l.chip[i] * y[l.offset[i]];
  for (int g = 0; g < kGroups; ++g) sum[g] /= std::max(1, l.group_size[g]);
  return sum;
}


}  // namespace

WatermarkWord encode_payload(const WatermarkPayload& p) {
  std::uint64_t data = kMarker;
  data = (data << 4) | (static_cast<std::uint64_t>(p.version) & 0xF);
  data = (data << 16) | p.day;
  data = (data << 24) | (p.model & 0xFFFFFF);
  const std::uint32_t crc = crc20(data, 52);
  WatermarkWord word;
  for (int i = 0; i < 52; ++i) word[kWatermarkBits - 1 - i] = ((data >> (51 - i)) & 1U) != 0;
  for (int i = 0; i < 20; ++i) word[19 - i] = ((crc >> (19 - i)) & 1U) != 0;
  return word;
}

std::optional<WatermarkPayload> decode_payload(const WatermarkWord& word) {
  std::uint64_t data = 0;
  std::uint32_t crc = 0;
  for (int i = 0; i < 52; ++i) data = (data << 1) | (word[kWatermarkBits - 1 - i] ? 1U : 0U);
  for (int i = 0; i < 20; ++i) crc = (crc << 1) | (word[19 - i] ? 1U : 0U);
  if (crc20(data, 52) != crc) return std::nullopt;
  if ((data >> 44) != kMarker) return std::nullopt;
  WatermarkPayload p;
  p.version = static_cast<int>((data >> 40) & 0xF);
  if (p.version != kWatermarkVersion) return std::nullopt;
  p.day = static_cast<std::uint16_t>((data >> 24) & 0xFFFF);
  p.model = static_cast<std::uint32_t>(data & 0xFFFFFF);
  return p;
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

double watermark_payload_false_alarm() { return std::ldexp(1.0, -32); }  // marker 8 + version 4 + CRC 20

WatermarkEmbedder::WatermarkEmbedder(const WatermarkPayload& payload, const WatermarkStrength& strength)
    : strength_(strength) {
  const WatermarkWord word = encode_payload(payload);
  target_.resize(kGroups);
  for (int g = 0; g < kGroups; ++g) target_[g] = word[kWatermarkBits - 1 - g] ? 1.0f : 0.0f;
}

namespace {

// The point nearest p of bit b's lattice: Delta (Z + d_g + b / 2).
double lattice_point(double p, int g, float bit) {
  const double offset = (layout().dither[g] + 0.5 * bit) * kStep;
  return std::round((p - offset) / kStep) * kStep + offset;
}

// Soft decision for bit 1 over bit 0: distance to bit 0's lattice minus distance to bit 1's, in
// [-Delta / 2, Delta / 2].
double soft_bit(double p, int g) {
  return std::abs(p - lattice_point(p, g, 0.0f)) - std::abs(p - lattice_point(p, g, 1.0f));
}

}  // namespace

void WatermarkEmbedder::embed(cv::Mat& frame) const {
  if (!usable(frame)) return;
  const Layout& l = layout();
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
  const std::array<double, kGroups> p = group_correlation(x.ptr<float>());
  std::array<double, kGroups> goal{};
  for (int g = 0; g < kGroups; ++g) goal[g] = lattice_point(p[g], g, target_[g]);
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
    const std::array<double, kGroups> r = group_correlation(achieved.ptr<float>());
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

WatermarkDetector::WatermarkDetector() = default;

void WatermarkDetector::add(const cv::Mat& frame) {
  if (!usable(frame)) return;
  cv::Mat x;
  cv::dct(canonical_luma(frame), x);
  const std::array<double, kGroups> p = group_correlation(x.ptr<float>());
  for (int g = 0; g < kGroups; ++g) per_frame_.push_back(soft_bit(p[g], g));
  ++frames_;
}

WatermarkReading WatermarkDetector::reading() const {
  WatermarkReading r;
  r.frames = frames_;
  if (frames_ == 0) return r;
  r.weakest_bit_t = 1e30;
  double agreement = 0;
  for (int g = 0; g < kGroups; ++g) {
    double mean = 0, sq = 0;
    for (int f = 0; f < frames_; ++f) mean += per_frame_[static_cast<std::size_t>(f) * kGroups + g];
    mean /= frames_;
    for (int f = 0; f < frames_; ++f) {
      const double d = per_frame_[static_cast<std::size_t>(f) * kGroups + g] - mean;
      sq += d * d;
    }
    r.bits[kWatermarkBits - 1 - g] = mean > 0;
    const double sd = frames_ > 1 ? std::sqrt(sq / (frames_ - 1)) : 0.0;
    const double t = sd > 0 ? std::abs(mean) / (sd / std::sqrt(frames_)) : (mean != 0 ? 1e9 : 0.0);
    r.weakest_bit_t = std::min(r.weakest_bit_t, t);
    agreement += std::abs(mean) / (kStep / 2);
  }
  r.bit_agreement = agreement / kGroups;
  r.payload = decode_payload(r.bits);
  r.found = r.payload.has_value();
  return r;
}

}  // namespace mirage::media
