// Where a frame's faces are composited: the CPU reference (compositor.h) or the Vulkan compute
// passes of engine/render, behind one interface, so `convert` (and the workspace) choose by an
// option and never carry two code paths for the same step.
//
//   auto chosen = swap::choose_compositor(CompositorKind::kAuto, frame.size(), 256, options);
//   if (!chosen) { print(chosen.error().to_string()); return 1; }
//   std::vector<swap::FaceLayer> layers = swapper.layers(faces, model_output);
//   if (auto s = chosen->compositor->composite(frame, layers, options); !s) ...;
//
// The GPU compositor owns a headless render::Context (MIRAGE_VULKAN_DEVICE picks the device)
// and must be used from the thread that created it. The CPU one is thread-safe.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <opencv2/core.hpp>

#include "engine/core/error.h"
#include "engine/swap/compositor.h"

namespace mirage::render {
class Context;
}

namespace mirage::swap {

enum class CompositorKind { kAuto, kCpu, kGpu };
std::string_view to_string(CompositorKind kind);
Result<CompositorKind> parse_compositor_kind(std::string_view text);  // auto|cpu|gpu

// Where the GPU compositor's time went for one frame (milliseconds); see render::CompositeTimings.
struct CompositeSplit {
  double upload_ms = 0;    // CPU staging fill + GPU unpack of the frame
  double compute_ms = 0;   // GPU: every face's passes
  double readback_ms = 0;  // GPU pack of the changed region + CPU copy into the frame
  double wait_ms = 0;      // submit to finish, as the CPU waited (includes the GPU parts)
};

class FrameCompositor {
 public:
  virtual ~FrameCompositor() = default;
  virtual CompositorKind kind() const = 0;  // kCpu or kGpu
  virtual std::string description() const = 0;  // "cpu", "gpu (llvmpipe (LLVM 15.0.6, 256 bits))"
  // Composites `layers` into `frame` (8-bit BGR) in order, as composite() of compositor.h does
  // for each. Faces that lie outside the frame are skipped. Errors (bad options, options the
  // GPU refuses, a device failure) leave the frame as it was.
  virtual Status composite(cv::Mat& frame, std::span<const FaceLayer> layers,
                           const CompositeOptions& options) = 0;
  // The GPU compositor's split of the last composite(); nullopt for the CPU.
  virtual std::optional<CompositeSplit> last_split() const { return std::nullopt; }
};

std::unique_ptr<FrameCompositor> make_cpu_compositor();
// kDevice when no Vulkan device exists (the message says how to get one), kUnsupported when it
// cannot run the passes.
Result<std::unique_ptr<FrameCompositor>> make_gpu_compositor();
// The same on a caller's context (tests count its validation messages); the context must
// outlive the compositor and be used from the same thread.
Result<std::unique_ptr<FrameCompositor>> make_gpu_compositor(render::Context& context);

struct CompositorChoice {
  std::unique_ptr<FrameCompositor> compositor;
  double cpu_ms = -1;   // per frame, measured for kAuto (-1: not measured)
  double gpu_ms = -1;
  std::string reason;   // one line: why this one
};

// kCpu / kGpu: that compositor (the GPU refusing `options` is an error here). kAuto: the CPU
// when the options need it (histogram, seamless) or no GPU works, else whichever composites a
// stand-in frame of `frame_size` with one face of `crop_px` faster, measured here (a few
// frames each, after a warm-up): lavapipe is a CPU too, so nothing is assumed.
Result<CompositorChoice> choose_compositor(CompositorKind kind, cv::Size frame_size, int crop_px,
                                           const CompositeOptions& options);

}  // namespace mirage::swap
