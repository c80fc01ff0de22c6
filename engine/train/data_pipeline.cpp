#include "engine/train/data_pipeline.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "engine/core/check.h"
#include "engine/train/random_warp.h"

namespace mirage::train {
namespace {

std::uint64_t mix(std::uint64_t x) {  // splitmix64: independent streams per batch and face
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

void allocate(IdentityBatch& batch, int count, int resolution) {
  const auto pixels = static_cast<std::size_t>(count) * resolution * resolution;
  batch.warped.assign(pixels * 3, 0.0f);
  batch.target.assign(pixels * 3, 0.0f);
  batch.hull.assign(pixels, 0.0f);
  batch.eyes.assign(pixels, 0.0f);
  batch.mouth.assign(pixels, 0.0f);
}

void sample_mask(const std::vector<std::uint8_t>& mask, int size, std::span<const float> xs,
                 std::span<const float> ys, float* out) {
  if (mask.empty()) {
    std::fill(out, out + xs.size(), 0.0f);
    return;
  }
  sample_bilinear(mask.data(), size, size, 1, xs, ys, out);
}

void fill_ellipse(TrainFace& face, double cx, double cy, double rx, double ry,
                  const std::array<double, 3>& colour, std::vector<std::uint8_t>* mask) {
  const int s = face.size;
  for (int y = 0; y < s; ++y) {
    for (int x = 0; x < s; ++x) {
      const double dx = (x - cx) / rx, dy = (y - cy) / ry;
      if (dx * dx + dy * dy > 1.0) continue;
      const double shade = 1.0 - 0.25 * (dx * dx + dy * dy);
      const auto k = static_cast<std::size_t>(y) * s + x;
      for (int c = 0; c < 3; ++c) {
        face.rgb[k * 3 + c] = static_cast<std::uint8_t>(std::clamp(colour[c] * shade, 0.0, 255.0));
      }
      if (mask != nullptr) (*mask)[k] = 255;
    }
  }
}

}  // namespace

FaceBank synthetic_faces(int count, int size, int identity, std::uint64_t seed) {
  MIRAGE_CHECK(count >= 0 && size >= 16);
  FaceBank bank;
  std::mt19937_64 rng(mix(seed * 1000003ULL + static_cast<std::uint64_t>(identity)));
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  const std::array<double, 3> skin = identity == 0 ? std::array<double, 3>{215, 170, 140}
                                                   : std::array<double, 3>{120, 150, 215};
  for (int n = 0; n < count; ++n) {
    TrainFace face;
    face.size = size;
    const auto pixels = static_cast<std::size_t>(size) * size;
    face.rgb.assign(pixels * 3, 0);
    face.hull.assign(pixels, 0);
    face.eyes.assign(pixels, 0);
    face.mouth.assign(pixels, 0);
    for (std::size_t k = 0; k < pixels; ++k) {  // a vertical background gradient
      const auto y = static_cast<double>(k / size) / size;
      face.rgb[k * 3 + 0] = static_cast<std::uint8_t>(40 + 60 * y);
      face.rgb[k * 3 + 1] = static_cast<std::uint8_t>(60 + 30 * y);
      face.rgb[k * 3 + 2] = static_cast<std::uint8_t>(80);
    }
    const double s = size, jitter = 0.02 * s;
    const double cx = s / 2 + jitter * u(rng), cy = s * 0.47 + jitter * u(rng);
    const double width = (identity == 0 ? 0.22 : 0.26) * s, height = (identity == 0 ? 0.30 : 0.27) * s;
    std::array<double, 3> tone = skin;
    for (double& c : tone) c *= 1.0 + 0.08 * u(rng);
    fill_ellipse(face, cx, cy, width, height, tone, &face.hull);
    const double eye_y = cy - 0.25 * height, eye_dx = 0.4 * width, eye_r = 0.12 * width * (1 + 0.2 * u(rng));
    for (const double ex : {cx - eye_dx, cx + eye_dx}) {
      fill_ellipse(face, ex, eye_y, eye_r * 1.6, eye_r, {245, 245, 245}, &face.eyes);
      fill_ellipse(face, ex + 0.3 * eye_r * u(rng), eye_y, eye_r * 0.6, eye_r * 0.6, {30, 40, 60}, nullptr);
    }
    const double mouth_open = 0.05 * height * (1.3 + u(rng));
    fill_ellipse(face, cx, cy + 0.5 * height, 0.35 * width, mouth_open, {150, 40, 50}, &face.mouth);
    bank.push_back(std::move(face));
  }
  return bank;
}

namespace {

// sRGB <-> CIE L*a*b* (D65 white). The three curves (sRGB decoding and encoding, the cube root
// of L*a*b*) are tables with linear interpolation: a batch of 16 + 16 faces at 64 px (260 000
// pixel conversions) costs the data thread 7.5 ms instead of 21 ms with the formulas (the whole
// batch, warps included, 15 ms); the tables are within 1e-4 of the formulas.
constexpr float kWhite[3] = {0.95047f, 1.0f, 1.08883f};
constexpr float kEpsilon = 216.0f / 24389.0f;  // (6/29)^3
constexpr float kKappa = 24389.0f / 27.0f;

class Curve {
 public:
  template <typename F>
  Curve(float max, F f) : scale_(kSteps / max) {
    for (int i = 0; i <= kSteps + 1; ++i) table_[static_cast<std::size_t>(i)] = f(static_cast<double>(i) / scale_);
  }
  // x is clamped to [0, max].
  float operator()(float x) const {
    const float t = std::clamp(x * scale_, 0.0f, static_cast<float>(kSteps));
    const auto i = static_cast<std::size_t>(t);
    const float w = t - static_cast<float>(i);
    return table_[i] + w * (table_[i + 1] - table_[i]);
  }

 private:
  static constexpr int kSteps = 4096;
  float scale_;
  std::array<float, kSteps + 2> table_{};
};

const Curve& srgb_to_linear() {
  static const Curve curve(1.0f, [](double c) { return c <= 0.04045 ? c / 12.92 : std::pow((c + 0.055) / 1.055, 2.4); });
  return curve;
}
const Curve& linear_to_srgb() {
  static const Curve curve(1.0f, [](double c) {
    return c <= 0.0031308 ? 12.92 * c : 1.055 * std::pow(c, 1.0 / 2.4) - 0.055;
  });
  return curve;
}
const Curve& lab_f() {  // t in [0, 1.1]: X/Xn, Y/Yn, Z/Zn of colours inside the sRGB cube
  static const Curve curve(1.1f, [](double t) { return t > kEpsilon ? std::cbrt(t) : (kKappa * t + 16.0) / 116.0; });
  return curve;
}
float lab_f_inverse(float f) {
  const float cube = f * f * f;
  return cube > kEpsilon ? cube : (116.0f * f - 16.0f) / kKappa;
}

// Moves v (in [0, 1]) a share d of the way towards 1 (d > 0) or towards 0 (d < 0).
float towards(float v, float d) { return d >= 0 ? v + (1 - v) * d : v * (1 + d); }

}  // namespace

void shift_lab(std::span<float> rgb, const std::array<double, 3>& shift) {
  const auto dl = static_cast<float>(shift[0]);
  const auto da = static_cast<float>(shift[1]);
  const auto db = static_cast<float>(shift[2]);
  const Curve& decode = srgb_to_linear();
  const Curve& encode = linear_to_srgb();
  const Curve& f = lab_f();
  for (std::size_t k = 0; k + 2 < rgb.size(); k += 3) {
    const float r = decode(rgb[k]), g = decode(rgb[k + 1]), b = decode(rgb[k + 2]);
    const float fx = f((0.4124564f * r + 0.3575761f * g + 0.1804375f * b) * (1 / kWhite[0]));
    const float fy = f(0.2126729f * r + 0.7151522f * g + 0.0721750f * b);
    const float fz = f((0.0193339f * r + 0.1191920f * g + 0.9503041f * b) * (1 / kWhite[2]));
    // L* in [0, 100] and a*, b* in about [-128, 127], scaled to [0, 1] as 8-bit Lab is.
    const float l = towards((116.0f * fy - 16.0f) / 100.0f, dl);
    const float a = towards((500.0f * (fx - fy) + 128.0f) / 255.0f, da);
    const float bb = towards((200.0f * (fy - fz) + 128.0f) / 255.0f, db);
    const float ny = (100.0f * l + 16.0f) / 116.0f;
    const float nx = ny + (255.0f * a - 128.0f) / 500.0f;
    const float nz = ny - (255.0f * bb - 128.0f) / 200.0f;
    const float x = lab_f_inverse(nx) * kWhite[0], y = lab_f_inverse(ny),
                z = lab_f_inverse(nz) * kWhite[2];
    rgb[k] = encode(3.2404542f * x - 1.5371385f * y - 0.4985314f * z);
    rgb[k + 1] = encode(-0.9692660f * x + 1.8760108f * y + 0.0415560f * z);
    rgb[k + 2] = encode(0.0556434f * x - 0.2040259f * y + 1.0572252f * z);
  }
}

FaceSampler::FaceSampler(const FaceBank& bank, const AugmentOptions& options)
    : faces_(bank.size()), flip_(options.flip) {
  MIRAGE_CHECK(!bank.empty());
  if (!options.balance_pose) return;
  std::array<std::vector<Pick>, kPoseBins> bins;
  auto bin_of = [](double yaw) { return std::clamp(static_cast<int>((yaw + 1.0) / 2.0 * kPoseBins), 0, kPoseBins - 1); };
  for (std::size_t i = 0; i < bank.size(); ++i) {
    bins[static_cast<std::size_t>(bin_of(bank[i].yaw))].push_back({i, false});
    if (options.flip > 0) bins[static_cast<std::size_t>(bin_of(-bank[i].yaw))].push_back({i, true});
  }
  for (auto& bin : bins) {
    if (!bin.empty()) bins_.push_back(std::move(bin));
  }
}

FaceSampler::Pick FaceSampler::operator()(std::mt19937_64& rng) const {
  if (bins_.empty()) {
    std::uniform_int_distribution<std::size_t> pick(0, faces_ - 1);
    const std::size_t face = pick(rng);
    return {face, std::uniform_real_distribution<double>(0.0, 1.0)(rng) < flip_};
  }
  const auto& bin = bins_[std::uniform_int_distribution<std::size_t>(0, bins_.size() - 1)(rng)];
  return bin[std::uniform_int_distribution<std::size_t>(0, bin.size() - 1)(rng)];
}

void augment_face(const TrainFace& face, const AugmentOptions& options, bool flip, int resolution,
                  const model::ModelCrop& crop, std::mt19937_64& rng, IdentityBatch& out, int slot) {
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  const double s = face.size;
  // Random affine of the aligned face (original -> augmented), then the flip.
  const double angle = options.rotation_deg * u(rng) * std::numbers::pi / 180.0;
  const double scale = 1.0 + options.scale * u(rng);
  const double tx = options.shift * s * u(rng), ty = options.shift * s * u(rng);
  const double c = std::cos(angle) * scale, sn = std::sin(angle) * scale;
  const double centre = (s - 1) / 2.0;
  Affine augment{c, sn, (1 - c) * centre - sn * centre + tx, -sn, c, sn * centre + (1 - c) * centre + ty};
  if (flip) augment = compose(Affine{-1, 0, s - 1, 0, 1, 0}, augment);
  const Affine to_source = invert(augment);  // augmented -> original pixels

  const WarpRegion region = model_region(resolution, face.size, crop);
  const double sigma = options.warp ? options.warp_sigma * region.side / 160.0 : 0.0;
  const WarpField field = random_warp(region, sigma, rng);

  const auto pixels = static_cast<std::size_t>(resolution) * resolution;
  std::vector<float> xs(pixels), ys(pixels);
  const auto offset = static_cast<std::size_t>(slot) * pixels;
  for (std::size_t k = 0; k < pixels; ++k) {
    const Point2 q = apply(to_source, {field.map_x[k], field.map_y[k]});
    xs[k] = static_cast<float>(q.x);
    ys[k] = static_cast<float>(q.y);
  }
  sample_bilinear(face.rgb.data(), face.size, face.size, 3, xs, ys, out.warped.data() + offset * 3);
  const Affine target_to_original = compose(to_source, field.target_to_source);
  for (int y = 0; y < resolution; ++y) {
    for (int x = 0; x < resolution; ++x) {
      const Point2 q = apply(target_to_original, {static_cast<double>(x), static_cast<double>(y)});
      const auto k = static_cast<std::size_t>(y) * resolution + x;
      xs[k] = static_cast<float>(q.x);
      ys[k] = static_cast<float>(q.y);
    }
  }
  sample_bilinear(face.rgb.data(), face.size, face.size, 3, xs, ys, out.target.data() + offset * 3);
  sample_mask(face.hull, face.size, xs, ys, out.hull.data() + offset);
  sample_mask(face.eyes, face.size, xs, ys, out.eyes.data() + offset);
  sample_mask(face.mouth, face.size, xs, ys, out.mouth.data() + offset);

  if (options.lightness > 0 || options.colour > 0) {
    const std::array<double, 3> shift{options.lightness * u(rng), options.colour * u(rng),
                                      options.colour * u(rng)};
    shift_lab({out.warped.data() + offset * 3, pixels * 3}, shift);
    shift_lab({out.target.data() + offset * 3, pixels * 3}, shift);
  }
}

TrainBatch make_batch(const FaceBank& a, const FaceBank& b, const AugmentOptions& options,
                      int count, int resolution, const model::ModelCrop& crop, std::uint64_t seed,
                      std::int64_t index, int first_slot) {
  MIRAGE_CHECK(!a.empty() && !b.empty() && count > 0 && first_slot >= 0);
  TrainBatch batch;
  batch.index = index;
  batch.count = count;
  batch.resolution = resolution;
  allocate(batch.a, count, resolution);
  allocate(batch.b, count, resolution);
  const std::uint64_t batch_seed = mix(seed ^ mix(static_cast<std::uint64_t>(index)));
  for (int side = 0; side < 2; ++side) {
    const FaceBank& bank = side == 0 ? a : b;
    IdentityBatch& out = side == 0 ? batch.a : batch.b;
    const FaceSampler sample(bank, options);
    for (int n = 0; n < count; ++n) {
      const auto slot = static_cast<std::uint64_t>(first_slot + n);
      std::mt19937_64 rng(mix(batch_seed ^ mix((slot << 1) | static_cast<std::uint64_t>(side))));
      const FaceSampler::Pick pick = sample(rng);
      augment_face(bank[pick.face], options, pick.flip, resolution, crop, rng, out, n);
    }
  }
  return batch;
}

IdentityBatch plain_batch(const FaceBank& faces, int first, int count, int resolution,
                          const model::ModelCrop& crop) {
  MIRAGE_CHECK(first >= 0 && count >= 0 && static_cast<std::size_t>(first + count) <= faces.size());
  IdentityBatch out;
  allocate(out, count, resolution);
  AugmentOptions none;
  none.warp = false;
  none.rotation_deg = none.scale = none.shift = none.flip = none.lightness = none.colour = 0.0;
  std::mt19937_64 rng(1);
  for (int n = 0; n < count; ++n) augment_face(faces[static_cast<std::size_t>(first + n)], none, false, resolution, crop, rng, out, n);
  return out;
}

BatchPrefetcher::BatchPrefetcher(std::shared_ptr<const FaceBank> a, std::shared_ptr<const FaceBank> b,
                                 PipelineOptions options, std::int64_t first_index)
    : a_(std::move(a)), b_(std::move(b)), options_(options), warp_(options.augment.warp),
      next_index_(first_index), first_index_(first_index) {
  MIRAGE_CHECK(a_ && b_ && !a_->empty() && !b_->empty());
  MIRAGE_CHECK(options_.threads >= 1 && options_.depth >= 1 && options_.batch >= 1);
  const int threads = options_.threads;
  for (int w = 0; w < threads; ++w) {
    queues_.push_back(std::make_unique<CommandQueue<TrainBatch>>(static_cast<std::size_t>(options_.depth)));
  }
  for (int w = 0; w < threads; ++w) {
    workers_.emplace_back(format("train-data-{}", w), [this, w, threads](std::stop_token stop) {
      for (std::int64_t index = first_index_ + w; !stop.stop_requested(); index += threads) {
        AugmentOptions augment = options_.augment;
        augment.warp = warp_.load();
        TrainBatch batch = make_batch(*a_, *b_, augment, options_.batch, options_.resolution, options_.crop,
                                      options_.seed, index, options_.first_slot);
        if (!queues_[static_cast<std::size_t>(w)]->push(std::move(batch), stop)) return;
      }
    });
  }
}

BatchPrefetcher::~BatchPrefetcher() {
  for (auto& queue : queues_) queue->close();
  for (Worker& worker : workers_) worker.stop();
}

std::optional<TrainBatch> BatchPrefetcher::next(std::stop_token stop) {
  const auto w = static_cast<std::size_t>((next_index_ - first_index_) % options_.threads);
  auto batch = queues_[w]->pop(stop);
  if (batch) ++next_index_;
  return batch;
}

}  // namespace mirage::train
