#include "engine/swap/composite_benchmark.h"

#include <algorithm>
#include <chrono>

#include <opencv2/imgproc.hpp>

#include "engine/core/format.h"
#include "engine/face/detect.h"
#include "engine/face/extract.h"
#include "engine/face/landmarks.h"
#include "engine/media/frame_source.h"
#include "engine/swap/copying_swapper.h"
#include "engine/swap/swapper.h"

namespace mirage::swap {
namespace {

struct RealFace {
  cv::Mat frame;
  face::Landmarks landmarks{};
};

Result<RealFace> first_face(const std::filesystem::path& input) {
  auto source = media::FrameSource::open(input);
  if (!source) return std::unexpected(source.error());
  auto detector = face::make_detector({.scale = face::detection_scale(face::DetectorKind::kHog, 100)});
  if (!detector) return std::unexpected(detector.error());
  auto predictor = face::LandmarkPredictor::load();
  if (!predictor) return std::unexpected(predictor.error());
  while (true) {
    auto frame = source->next();
    if (!frame) continue;  // a frame that fails to decode
    if (!*frame) return fail(ErrorCode::kNotFound, "{}: no face of 100 px or more", input.string());
    const std::vector<face::Detection> faces = (*detector)->detect((*frame)->image);
    if (faces.empty() || faces.front().box.width < 100) continue;
    return RealFace{(*frame)->image.clone(), predictor->fit((*frame)->image, faces.front().box)};
  }
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values.empty() ? 0 : values[values.size() / 2];
}

struct Timed {
  double ms = 0;
  CompositeSplit split;
};

Result<Timed> time_frames(FrameCompositor& compositor, const cv::Mat& frame, std::span<const FaceLayer> layers,
                          const CompositeOptions& options, int frames) {
  std::vector<double> total, upload, compute, readback, wait;
  for (int i = -3; i < frames; ++i) {
    cv::Mat target = frame.clone();
    const auto start = std::chrono::steady_clock::now();
    if (auto s = compositor.composite(target, layers, options); !s) return std::unexpected(s.error());
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    if (i < 0) continue;
    total.push_back(ms);
    if (auto split = compositor.last_split()) {
      upload.push_back(split->upload_ms);
      compute.push_back(split->compute_ms);
      readback.push_back(split->readback_ms);
      wait.push_back(split->wait_ms);
    }
  }
  return Timed{median(total), {median(upload), median(compute), median(readback), median(wait)}};
}

}  // namespace

CompositeOptions all_options_on() {
  CompositeOptions o;
  o.erode_px = 4;
  o.feather_px = 12;
  o.border_fade = 0.08;
  o.erode_top_px = 2;
  o.erode_bottom_px = 6;
  o.erode_left_px = 2;
  o.erode_right_px = 2;
  o.face_scale = 1.02;
  o.offset_x = 0.01;
  o.offset_y = -0.01;
  o.colour = ColourTransfer::kRct;
  o.opacity = 0.9;
  o.sharpen_amount = 1.5;
  o.sharpen_radius_px = 1.0;
  return o;
}

Result<CompositeBenchmark> run_composite_benchmark(const CompositeBenchmarkOptions& options) {
  auto real = first_face(options.input);
  if (!real) return std::unexpected(real.error());
  CompositeBenchmark report;
  report.options = options.composite;
  const CopyingSwapper model(64);
  SwapperOptions swapper_options;
  swapper_options.composite = report.options;
  swapper_options.composite_px = options.crop_px;
  if (auto s = validate(options.composite); !s) return std::unexpected(s.error());
  const FrameSwapper swapper(model, swapper_options);

  std::unique_ptr<FrameCompositor> cpu = make_cpu_compositor();
  std::unique_ptr<FrameCompositor> gpu;
  if (options.gpu) {
    auto made = make_gpu_compositor();
    if (made) {
      gpu = std::move(*made);
      report.gpu = gpu->description();
    } else {
      report.gpu = made.error().message;
    }
  } else {
    report.gpu = "not measured (--cpu-only)";
  }

  struct Setup {
    std::string name;
    cv::Size size;
    int faces;
  };
  for (const Setup& setup : {Setup{"", real->frame.size(), 1}, Setup{"", {1920, 1080}, 4}}) {
    cv::Mat frame;
    cv::resize(real->frame, frame, setup.size, 0, 0, cv::INTER_LINEAR);
    const float sx = static_cast<float>(setup.size.width) / real->frame.cols;
    const float sy = static_cast<float>(setup.size.height) / real->frame.rows;
    face::Landmarks landmarks = real->landmarks;
    for (auto& p : landmarks) p = {p.x * sx, p.y * sy};
    std::vector<float> inputs;
    const PreparedFace prepared = swapper.prepare(frame, landmarks, inputs);
    auto out = model.swap(inputs, 1, 1);
    if (!out) return std::unexpected(out.error());
    std::vector<FaceLayer> layers;
    const FaceLayer base = swapper.layers(std::span(&prepared, 1), *out).front();
    // Extra faces spread over the frame: the same face moved by a share of the frame each.
    const double shifts[4][2] = {{0, 0}, {-0.3, 0.1}, {0.3, -0.1}, {0.15, 0.25}};
    for (int i = 0; i < setup.faces; ++i) {
      FaceLayer layer = base;
      layer.face_to_frame(0, 2) += shifts[i][0] * frame.cols;
      layer.face_to_frame(1, 2) += shifts[i][1] * frame.rows;
      layers.push_back(layer);
    }
    CompositeScene scene;
    scene.name = format("{}x{}, {} face{}", frame.cols, frame.rows, setup.faces, setup.faces == 1 ? "" : "s");
    scene.width = frame.cols;
    scene.height = frame.rows;
    scene.faces = setup.faces;
    auto on_cpu = time_frames(*cpu, frame, layers, report.options, options.frames);
    if (!on_cpu) return std::unexpected(on_cpu.error());
    scene.cpu_ms = on_cpu->ms;
    if (gpu) {
      auto on_gpu = time_frames(*gpu, frame, layers, report.options, options.frames);
      if (!on_gpu) return std::unexpected(on_gpu.error().with_context("the GPU compositor"));
      scene.gpu_ms = on_gpu->ms;
      scene.gpu_split = on_gpu->split;
    }
    report.scenes.push_back(scene);
  }
  return report;
}

}  // namespace mirage::swap
