#include "engine/swap/frame_compositor.h"

#include <algorithm>
#include <chrono>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "engine/core/format.h"
#include "engine/render/compositor.h"
#include "engine/render/context.h"

namespace mirage::swap {
namespace {

class CpuCompositor final : public FrameCompositor {
 public:
  CompositorKind kind() const override { return CompositorKind::kCpu; }
  std::string description() const override { return "cpu"; }
  Status composite(cv::Mat& frame, std::span<const FaceLayer> layers, const CompositeOptions& options) override {
    if (auto s = validate(options); !s) return s;
    if (frame.type() != CV_8UC3) return fail(ErrorCode::kInvalidArgument, "composite: the frame must be 8-bit BGR");
    for (const FaceLayer& layer : layers) swap::composite(frame, layer, options);
    return ok();
  }
};

Affine2x3 to_affine(const cv::Matx23d& m) { return {m(0, 0), m(0, 1), m(0, 2), m(1, 0), m(1, 1), m(1, 2)}; }

class GpuCompositor final : public FrameCompositor {
 public:
  // `owned` may be empty: then `context` belongs to the caller.
  GpuCompositor(std::unique_ptr<render::Context> owned, render::Context& context, render::Compositor compositor)
      : owned_(std::move(owned)), context_(&context), compositor_(std::move(compositor)) {}

  CompositorKind kind() const override { return CompositorKind::kGpu; }
  std::string description() const override { return format("gpu ({})", context_->device_info().name); }

  Status composite(cv::Mat& frame, std::span<const FaceLayer> layers, const CompositeOptions& options) override {
    if (frame.type() != CV_8UC3) return fail(ErrorCode::kInvalidArgument, "composite: the frame must be 8-bit BGR");
    // The GPU wants plain floats and bytes; these keep converted copies alive for the call.
    std::vector<cv::Mat> keep;
    keep.reserve(2 * layers.size());  // no reallocation: the layers point into these
    std::vector<render::CompositeLayer> gpu_layers;
    for (const FaceLayer& layer : layers) {
      if (layer.face.type() != CV_32FC3 || layer.face.rows != layer.face.cols) {
        return fail(ErrorCode::kInvalidArgument, "composite: a face must be a square float BGR image");
      }
      const int side = layer.face.cols;
      const PixelRect roi = warped_bounds(placed_face_to_frame(to_affine(layer.face_to_frame), side, options),
                                          side, frame.cols, frame.rows);
      if (roi.empty()) continue;  // off-frame: the CPU reference changes nothing either
      const cv::Mat& face = keep.emplace_back(layer.face.isContinuous() ? layer.face : layer.face.clone());
      cv::Mat learned = layer.learned_mask;
      cv::Mat hull = layer.hull_mask;
      if (!hull.empty() && hull.type() == CV_32FC1) {
        // A float hull multiplies the learned mask: the same product the CPU forms.
        learned = learned.empty() ? hull.clone() : learned.mul(hull);
        hull = cv::Mat();
      }
      if (!learned.empty() && (learned.type() != CV_32FC1 || learned.size() != layer.face.size())) {
        return fail(ErrorCode::kInvalidArgument, "composite: a learned mask must be float and the face's size");
      }
      if (!hull.empty() && (hull.type() != CV_8UC1 || hull.size() != layer.face.size())) {
        return fail(ErrorCode::kInvalidArgument, "composite: a hull mask must be 8-bit and the face's size");
      }
      const cv::Mat& mask = keep.emplace_back(learned.empty() || learned.isContinuous() ? learned : learned.clone());
      render::CompositeLayer g;
      g.side = side;
      g.face_bgr = {face.ptr<float>(), static_cast<std::size_t>(face.total()) * 3};
      if (!mask.empty()) g.learned_mask = {mask.ptr<float>(), static_cast<std::size_t>(mask.total())};
      if (!hull.empty()) {
        g.hull = ConstImageView{hull.ptr<std::uint8_t>(), hull.cols, hull.rows, hull.step[0], PixelFormat::kGray8};
      }
      g.face_to_frame = to_affine(layer.face_to_frame);
      gpu_layers.push_back(g);
    }
    if (gpu_layers.empty()) return validate(options);
    const ImageView view{frame.ptr<std::uint8_t>(), frame.cols, frame.rows, frame.step[0], PixelFormat::kBgr8};
    return compositor_.composite_into(view, gpu_layers, options);
  }

  std::optional<CompositeSplit> last_split() const override {
    const render::CompositeTimings& t = compositor_.last_timings();
    return CompositeSplit{.upload_ms = t.upload_ms + t.unpack_ms, .compute_ms = t.compute_ms,
                          .readback_ms = t.pack_ms + t.readback_ms, .wait_ms = t.gpu_total_ms};
  }

 private:
  std::unique_ptr<render::Context> owned_;
  render::Context* context_;
  render::Compositor compositor_;  // declared after the context, so destroyed before it
};

// A stand-in frame and face for measuring: texture everywhere, so no pass can skip work.
struct Probe {
  cv::Mat frame;
  FaceLayer layer;
};

Probe make_probe(cv::Size frame_size, int crop_px) {
  Probe p;
  p.frame.create(frame_size, CV_8UC3);
  cv::randu(p.frame, cv::Scalar::all(0), cv::Scalar::all(255));
  p.layer.face.create(crop_px, crop_px, CV_32FC3);
  cv::randu(p.layer.face, cv::Scalar::all(0), cv::Scalar::all(1));
  p.layer.learned_mask = cv::Mat(crop_px, crop_px, CV_32FC1, cv::Scalar(1.0f));
  p.layer.hull_mask = cv::Mat::zeros(crop_px, crop_px, CV_8UC1);
  cv::ellipse(p.layer.hull_mask, {crop_px / 2, crop_px / 2}, {crop_px * 2 / 5, crop_px / 2 - 4}, 0, 0, 360,
              cv::Scalar(255), cv::FILLED);
  // The face about as large as a close-up: 60 % of the frame's height, centred.
  const double scale = 0.6 * frame_size.height / crop_px;
  p.layer.face_to_frame = {scale, 0, (frame_size.width - scale * crop_px) / 2,
                           0, scale, (frame_size.height - scale * crop_px) / 2};
  return p;
}

Result<double> time_compositor(FrameCompositor& compositor, const Probe& probe, const CompositeOptions& options) {
  constexpr int kRuns = 3;
  double best = 1e30;
  for (int run = 0; run <= kRuns; ++run) {
    cv::Mat frame = probe.frame.clone();
    const auto start = std::chrono::steady_clock::now();
    if (auto s = compositor.composite(frame, {&probe.layer, 1}, options); !s) return std::unexpected(s.error());
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    if (run > 0) best = std::min(best, ms);  // run 0 warms caches and the driver up
  }
  return best;
}

}  // namespace

std::string_view to_string(CompositorKind kind) {
  switch (kind) {
    case CompositorKind::kAuto: return "auto";
    case CompositorKind::kCpu: return "cpu";
    case CompositorKind::kGpu: return "gpu";
  }
  return "?";
}

Result<CompositorKind> parse_compositor_kind(std::string_view text) {
  for (auto kind : {CompositorKind::kAuto, CompositorKind::kCpu, CompositorKind::kGpu}) {
    if (text == to_string(kind)) return kind;
  }
  return fail(ErrorCode::kInvalidArgument, "unknown compositor '{}' (auto, cpu or gpu)", text);
}

std::unique_ptr<FrameCompositor> make_cpu_compositor() { return std::make_unique<CpuCompositor>(); }

Result<std::unique_ptr<FrameCompositor>> make_gpu_compositor() {
  auto context = render::Context::create({.app_name = "mirage-compositor"});
  if (!context) return std::unexpected(context.error());
  render::Context& shared = **context;
  auto compositor = render::Compositor::create(shared);
  if (!compositor) return std::unexpected(compositor.error());
  return std::make_unique<GpuCompositor>(std::move(*context), shared, std::move(*compositor));
}

Result<std::unique_ptr<FrameCompositor>> make_gpu_compositor(render::Context& context) {
  auto compositor = render::Compositor::create(context);
  if (!compositor) return std::unexpected(compositor.error());
  return std::make_unique<GpuCompositor>(nullptr, context, std::move(*compositor));
}

Result<CompositorChoice> choose_compositor(CompositorKind kind, cv::Size frame_size, int crop_px,
                                           const CompositeOptions& options) {
  if (auto s = validate(options); !s) return std::unexpected(s.error());
  const bool cpu_only = options.colour == ColourTransfer::kHistogram || options.blend == BlendMode::kSeamless;
  CompositorChoice choice;
  if (kind == CompositorKind::kCpu) {
    choice.compositor = make_cpu_compositor();
    choice.reason = "asked for";
    return choice;
  }
  if (kind == CompositorKind::kGpu) {
    if (cpu_only) {
      return fail(ErrorCode::kUnsupported, "{} runs on the CPU only (use --compositor cpu or auto)",
                  options.colour == ColourTransfer::kHistogram ? "histogram colour matching" : "seamless blending");
    }
    auto gpu = make_gpu_compositor();
    if (!gpu) return std::unexpected(gpu.error().with_context("the GPU compositor"));
    choice.compositor = std::move(*gpu);
    choice.reason = "asked for";
    return choice;
  }
  if (cpu_only) {
    choice.compositor = make_cpu_compositor();
    choice.reason = format("{} runs on the CPU only",
                           options.colour == ColourTransfer::kHistogram ? "histogram colour matching" : "seamless blending");
    return choice;
  }
  auto gpu = make_gpu_compositor();
  if (!gpu) {
    choice.compositor = make_cpu_compositor();
    choice.reason = format("no GPU compositor: {}", gpu.error().message);
    return choice;
  }
  auto cpu = make_cpu_compositor();
  const Probe probe = make_probe(frame_size, crop_px);
  auto cpu_ms = time_compositor(*cpu, probe, options);
  auto gpu_ms = time_compositor(**gpu, probe, options);
  if (!cpu_ms) return std::unexpected(cpu_ms.error());
  if (!gpu_ms) {
    choice.compositor = std::move(cpu);
    choice.reason = format("the GPU compositor failed: {}", gpu_ms.error().message);
    return choice;
  }
  choice.cpu_ms = *cpu_ms;
  choice.gpu_ms = *gpu_ms;
  const bool use_gpu = *gpu_ms < *cpu_ms;
  choice.compositor = use_gpu ? std::move(*gpu) : std::move(cpu);
  choice.reason = format("measured {:.2f} ms per frame on the CPU, {:.2f} ms on {}", *cpu_ms, *gpu_ms,
                         use_gpu ? choice.compositor->description() : "the GPU");
  return choice;
}

}  // namespace mirage::swap
