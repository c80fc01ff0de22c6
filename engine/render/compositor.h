// The whole per-frame compositing of docs/ARCHITECTURE.md in Vulkan compute: mask (learned x
// hull, per-side erosion, elliptical erode/dilate, Gaussian feather, fade to the crop border),
// placement, the warp back to the frame, colour transfer (RCT in L*a*b*, mean shift) with the
// masked statistics reduced on the GPU, the frame's detail (high-pass, its Gaussian scaled to
// each face), the blend with opacity, and the unsharp mask. The CPU reference compositor in
// engine/swap is the oracle; tests/swap holds the two together.
//
//   auto compositor = render::Compositor::create(*context);
//   render::CompositeLayer layer{.side = 256, .face_bgr = face, .learned_mask = mask,
//                                .hull = hull.view(), .face_to_frame = crop_to_frame};
//   // Keep it on the GPU (the studio samples output() as a texture) ...
//   if (auto s = compositor->composite(frame.view(), {&layer, 1}, options); !s) ...;
//   // ... or composite and read the changed pixels back into the frame (convert, recording).
//   if (auto s = compositor->composite_into(frame.view(), {&layer, 1}, options); !s) ...;
//
// Inputs are plain pixels and numbers: render never sees a cv::Mat or a Tensor. Units and the
// maths of every option are those of engine/swap/compositor.h. Histogram matching and seamless
// (Poisson) blending are CPU-only and refused with one line: the histogram needs 256 weighted
// bins per channel (float atomics this project cannot count on, lavapipe included) and the
// Poisson solve is an iterative global solve, neither a per-frame pass worth having twice.
//
// Resources: the staging, work and readback buffers, the output image, the command buffer and
// the descriptor sets are made once and grown (never shrunk) when a larger frame or face
// arrives; nothing is created per frame. Each composite() waits for the previous one to finish
// before it refills the staging buffer. Errors leave output() and the caller's frame as they
// were. Same threading rules as Context (one thread); the Context must outlive the compositor.
#pragma once

#include <vulkan/vulkan.h>

#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "engine/core/composite_options.h"
#include "engine/core/error.h"
#include "engine/core/image.h"
#include "engine/render/compute_pass.h"
#include "engine/render/context.h"
#include "engine/render/resources.h"

namespace mirage::render {

// One face to put back: a square crop of side S and how it maps into the frame.
struct CompositeLayer {
  int side = 0;                         // S, in [8, 4096]
  std::span<const float> face_bgr;      // S*S*3 floats, BGR (the frame's cv order), in [0, 1]
  std::span<const float> learned_mask;  // S*S floats in [0, 1], or empty (counts as 1)
  ConstImageView hull;                  // kGray8, S x S, 0..255, or empty (counts as 1)
  Affine2x3 face_to_frame{};            // crop pixels -> frame pixels
};

// Where the time of the last composite went, in milliseconds. The GPU parts come from
// timestamp queries (zero where the device has none; then gpu_total_ms is the wall time).
struct CompositeTimings {
  double upload_ms = 0;    // the CPU filling the staging buffer (frame, faces, tables)
  double unpack_ms = 0;    // GPU: frame bytes into the output image
  double compute_ms = 0;   // GPU: every face's passes
  double pack_ms = 0;      // GPU: the changed region into the readback buffer
  double readback_ms = 0;  // the CPU copying that region into its frame
  double gpu_total_ms = 0; // submit to finish, as the CPU waited for it
};

// What Compositor::create() asks of the device, on its own for tests: kUnsupported (one line
// naming the device) unless RGBA8 with optimal tiling supports storage and sampled images.
Status check_compositor_support(const VkFormatProperties& rgba8, std::string_view device_name);

class Compositor {
 public:
  Compositor() = default;
  // kUnsupported when the device cannot store to RGBA8 images from compute shaders or has no
  // compute-capable queue (render's Context always has one).
  static Result<Compositor> create(Context& context);

  // Uploads `frame` (kBgr8, kRgb8, kBgra8 or kRgba8; any stride), composites `layers` into it
  // in order and leaves the result in output(); returns once the work is submitted.
  // kInvalidArgument (one line naming the layer and what is wrong) for an empty frame or one
  // of another format, a layer whose pixels disagree with its side, a matrix that cannot be
  // inverted, a face entirely outside the frame, options that fail validate() (NaN included),
  // and histogram matching or seamless blending (CPU only).
  Status composite(ConstImageView frame, std::span<const CompositeLayer> layers,
                   const CompositeOptions& options);
  // composite(), but only the frame pixels the faces read go up (so output() holds the frame
  // only there); then waits and writes the pixels the faces changed into `frame` (the frame
  // that went in, so the rest of it is already right). On error `frame` is untouched.
  Status composite_into(ImageView frame, std::span<const CompositeLayer> layers,
                        const CompositeOptions& options);

  // The composited frame: RGBA8, in VK_IMAGE_LAYOUT_GENERAL, usable as a storage image,
  // sampled image and transfer source. Valid once the timeline reaches ready_value(); work
  // submitted after it on the context's queue sees it after a compute-to-consumer barrier.
  const GpuImage& output() const { return out_; }
  std::uint64_t ready_value() const { return submitted_; }
  // The union of the frame regions the last composite may have changed (empty: none).
  PixelRect changed_region() const { return changed_; }
  const CompositeTimings& last_timings() const { return timings_; }
  // Waits for the last submission; kDevice on a hung device.
  Status wait();

 private:
  struct LayerPlan;
  struct FramePlan;

  // Validates everything and lays out the buffers; region_only uploads only the frame pixels
  // the faces read (composite_into) instead of the whole frame (composite).
  Status check(ConstImageView frame, std::span<const CompositeLayer> layers,
               const CompositeOptions& options, bool region_only, FramePlan& plan) const;
  Status reserve(const FramePlan& plan, int width, int height);
  // check, wait for the last frame, reserve, fill staging, submit: what both entry points do.
  Status start(ConstImageView frame, std::span<const CompositeLayer> layers, const CompositeOptions& options,
               bool read_back, FramePlan& plan);
  void fill_staging(ConstImageView frame, std::span<const CompositeLayer> layers,
                    const FramePlan& plan);
  void record(VkCommandBuffer commands, const FramePlan& plan, const CompositeOptions& options,
              bool pack);
  // Records the mask passes of one layer; returns the work offset of the finished mask.
  std::uint32_t record_mask(VkCommandBuffer commands, const FramePlan& plan, const LayerPlan& layer,
                            const CompositeOptions& options);
  void record_layer(VkCommandBuffer commands, const FramePlan& plan, const LayerPlan& layer,
                    const CompositeOptions& options);
  Status submit(const FramePlan& plan, const CompositeOptions& options, bool pack);
  void read_timestamps();

  Context* context_ = nullptr;
  std::vector<ComputePass> passes_;       // indexed by shaders::ShaderId
  std::vector<VkDescriptorSet> sets_;     // one per pass, all pointing at the same resources
  CommandPool pool_;
  VkCommandBuffer commands_ = VK_NULL_HANDLE;
  QueryPool queries_;
  double timestamp_ns_ = 0;               // 0: no timestamps
  Buffer staging_;
  Buffer work_;
  Buffer readback_;
  GpuImage out_;
  bool out_initialised_ = false;
  std::uint64_t submitted_ = 0;
  PixelRect changed_;
  CompositeTimings timings_;
};

}  // namespace mirage::render
