// The compositing maths of docs/ARCHITECTURE.md on the GPU. The CPU reference compositor in
// engine/swap is the oracle: tests/render checks each pass against the same maths on the CPU.
//
//   auto compositor = render::Compositor::create(*context);
//   if (!compositor) ...;
//   Result<Image> out = compositor->blend(frame.view(), face.view(), mask.view(), 0.9f);
//
// Each call is synchronous (upload, dispatch, wait, read back) and keeps its GPU images for the
// next call of the same size. Same threading rules as Context; the Context must outlive it.
#pragma once

#include <vulkan/vulkan.h>

#include "engine/core/error.h"
#include "engine/core/image.h"
#include "engine/render/compute_pass.h"
#include "engine/render/context.h"
#include "engine/render/resources.h"

namespace mirage::render {

class Compositor {
 public:
  // kUnsupported when the device cannot store to single-channel (mask) images.
  static Result<Compositor> create(Context& context);

  // Step 4, blend: out.rgb = frame.rgb * (1 - a*m) + face.rgb * (a*m), out.a = frame.a, with
  // m = mask / 255 and a = opacity clamped to [0, 1]. frame and face are kRgba8, mask is
  // kGray8, all of one size (kInvalidArgument otherwise, and for a NaN opacity). Each channel
  // is within 1 of the exact result rounded to nearest (float maths, unorm rounding).
  Result<Image> blend(ConstImageView frame, ConstImageView face, ConstImageView mask,
                      float opacity);

 private:
  Status prepare(int width, int height);

  Context* context_ = nullptr;
  ComputePass blend_pass_;
  VkDescriptorSet blend_set_ = VK_NULL_HANDLE;
  GpuImage frame_;
  GpuImage face_;
  GpuImage mask_;
  GpuImage out_;
  Buffer upload_;
  Buffer readback_;
  int width_ = 0;
  int height_ = 0;
};

}  // namespace mirage::render
