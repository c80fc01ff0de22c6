#include "engine/render/compositor.h"

#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstring>

#include "engine/core/check.h"
#include "engine/render/compositor_kernels.h"
#include "engine/render/vk_check.h"
#include "shaders/embedded.h"
#include "shaders/shared_types.h"

namespace mirage::render {
namespace {

using shaders::ShaderId;
using Clock = std::chrono::steady_clock;
using u32 = std::uint32_t;

constexpr int kMaxSide = 4096;
constexpr u32 kNoData = MIRAGE_NO_DATA;
constexpr u32 kTimestamps = 4;

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

u32 groups(int pixels, int group = MIRAGE_IMAGE_GROUP_SIZE) {
  return (static_cast<u32>(pixels) + static_cast<u32>(group) - 1) / static_cast<u32>(group);
}

int whole_pixels(double px) { return static_cast<int>(std::lround(std::abs(px))); }

// Word offsets handed out front to back; every block starts on a word.
class Allocator {
 public:
  u32 take(std::size_t words) {
    const u32 at = static_cast<u32>(next_);
    next_ += words;
    return at;
  }
  std::size_t size() const { return next_; }

 private:
  std::size_t next_ = 0;
};

PixelRect unite(const PixelRect& a, const PixelRect& b) {
  if (a.empty()) return b;
  if (b.empty()) return a;
  const int x0 = std::min(a.x, b.x), y0 = std::min(a.y, b.y);
  const int x1 = std::max(a.x + a.width, b.x + b.width);
  const int y1 = std::max(a.y + a.height, b.y + b.height);
  return {x0, y0, x1 - x0, y1 - y0};
}

void compute_barrier(VkCommandBuffer commands) {
  const VkMemoryBarrier barrier{.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
                                .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT,
                                .dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT};
  vkCmdPipelineBarrier(commands, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
                       VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, 0, 1, &barrier, 0, nullptr, 0, nullptr);
}

}  // namespace

struct Compositor::LayerPlan {
  int side = 0;
  PixelRect roi;
  WarpCoordinates coords;
  u32 face = 0;              // staging words
  u32 learned = kNoData;
  u32 hull = kNoData;
  u32 coords_at = 0;
  int sharpen_row0 = 0;      // frame rows the sharpening's row pass covers
  int sharpen_rows = 0;
  // The detail's Gaussian: its sigma follows the face's scale, so each face has its own kernel.
  std::vector<float> detail_kernel;
  u32 detail_weights = kNoData;  // staging words
  int detail_radius = 0;
  int detail_row0 = 0;           // frame rows its row pass covers
  int detail_rows = 0;
};

struct Compositor::FramePlan {
  int width = 0;
  int height = 0;
  int channels = 0;
  bool bgr = false;
  PixelRect upload;           // the frame pixels that go up: all, or what the faces read
  std::size_t row_bytes = 0;  // of the uploaded region
  // Staging: the frame at word 0, then the options' tables, then each layer's data.
  u32 feather_weights = 0;
  int feather_half = 0;
  u32 ellipse = 0;
  int ellipse_radius = 0;
  int ellipse_levels = 0;
  u32 sharpen_weights = 0;
  int sharpen_radius = 0;
  std::vector<float> feather_kernel;
  std::vector<int> ellipse_rows;
  std::vector<float> sharpen_kernel;
  std::vector<LayerPlan> layers;
  std::size_t staging_words = 0;
  // Work (floats), sized for the largest layer.
  u32 mask_a = 0, mask_b = 0, table = 0, warped = 0, rows = 0, detail = 0, partials = 0, params = 0;
  std::size_t work_floats = 0;
  PixelRect changed;
  std::size_t readback_words = 0;
};

Status check_compositor_support(const VkFormatProperties& rgba8, std::string_view device_name) {
  constexpr VkFormatFeatureFlags kNeeded = VK_FORMAT_FEATURE_STORAGE_IMAGE_BIT | VK_FORMAT_FEATURE_SAMPLED_IMAGE_BIT;
  if ((rgba8.optimalTilingFeatures & kNeeded) != kNeeded) {
    return fail(ErrorCode::kUnsupported,
                "{} cannot use RGBA8 storage and sampled images, which the GPU compositor needs (use --compositor cpu)",
                device_name);
  }
  return ok();
}

Result<Compositor> Compositor::create(Context& context) {
  VkFormatProperties rgba{};
  vkGetPhysicalDeviceFormatProperties(context.physical_device(), VK_FORMAT_R8G8B8A8_UNORM, &rgba);
  if (auto s = check_compositor_support(rgba, context.device_info().name); !s) return std::unexpected(s.error());
  Compositor compositor;
  compositor.context_ = &context;
  for (int i = 0; i < static_cast<int>(ShaderId::kCount); ++i) {
    const auto id = static_cast<ShaderId>(i);
    auto pass = ComputePass::create(
        context, {.name = std::string(shaders::name(id)),
                  .spirv = shaders::spirv(id),
                  .bindings = {VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
                               VK_DESCRIPTOR_TYPE_STORAGE_IMAGE, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER},
                  .push_constant_size = 64});
    if (!pass) return std::unexpected(pass.error());
    auto set = pass->allocate_set();
    if (!set) return std::unexpected(set.error());
    compositor.passes_.push_back(std::move(*pass));
    compositor.sets_.push_back(*set);
  }

  const VkCommandPoolCreateInfo pool_info{.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
                                          .flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT,
                                          .queueFamilyIndex = context.queue_family()};
  VkCommandPool pool = VK_NULL_HANDLE;
  if (auto s = vk_status(vkCreateCommandPool(context.device(), &pool_info, nullptr, &pool),
                         "creating the compositor's command pool");
      !s) {
    return std::unexpected(s.error());
  }
  compositor.pool_ = CommandPool(context, pool, "compositor");
  const VkCommandBufferAllocateInfo allocate{.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                             .commandPool = pool,
                                             .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                                             .commandBufferCount = 1};
  if (auto s = vk_status(vkAllocateCommandBuffers(context.device(), &allocate, &compositor.commands_),
                         "allocating the compositor's command buffer");
      !s) {
    return std::unexpected(s.error());
  }
  context.name(compositor.commands_, "compositor");

  // Timestamps, where the queue has them: only for the timings, never needed.
  std::uint32_t families = 0;
  vkGetPhysicalDeviceQueueFamilyProperties(context.physical_device(), &families, nullptr);
  std::vector<VkQueueFamilyProperties> properties(families);
  vkGetPhysicalDeviceQueueFamilyProperties(context.physical_device(), &families, properties.data());
  if (properties.at(context.queue_family()).timestampValidBits > 0) {
    const VkQueryPoolCreateInfo query_info{.sType = VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO,
                                           .queryType = VK_QUERY_TYPE_TIMESTAMP,
                                           .queryCount = kTimestamps};
    VkQueryPool queries = VK_NULL_HANDLE;
    if (vkCreateQueryPool(context.device(), &query_info, nullptr, &queries) == VK_SUCCESS) {
      compositor.queries_ = QueryPool(context, queries, "compositor timestamps");
      compositor.timestamp_ns_ = context.properties().limits.timestampPeriod;
    }
  }
  return compositor;
}

Status Compositor::check(ConstImageView frame, std::span<const CompositeLayer> layers,
                         const CompositeOptions& options, bool region_only, FramePlan& plan) const {
  if (auto s = validate(options); !s) return s;
  if (options.colour == ColourTransfer::kHistogram) {
    return fail(ErrorCode::kUnsupported,
                "histogram colour matching runs on the CPU only (--compositor cpu); the GPU "
                "compositor does none, rct and mean");
  }
  if (options.blend == BlendMode::kSeamless) {
    return fail(ErrorCode::kUnsupported,
                "seamless (Poisson) blending runs on the CPU only (--compositor cpu)");
  }
  if (frame.empty()) return fail(ErrorCode::kInvalidArgument, "composite: the frame is empty");
  if (frame.format == PixelFormat::kGray8) {
    return fail(ErrorCode::kInvalidArgument, "composite: the frame must be BGR, RGB, BGRA or RGBA, not gray");
  }
  if (frame.width > 16384 || frame.height > 16384) {
    return fail(ErrorCode::kInvalidArgument, "composite: a {}x{} frame is too large", frame.width,
                frame.height);
  }
  plan.width = frame.width;
  plan.height = frame.height;
  plan.channels = frame.channels();
  plan.bgr = frame.format == PixelFormat::kBgr8 || frame.format == PixelFormat::kBgra8;
  Allocator staging;
  const u32 frame_words = staging.take(0);  // sized below, once the faces' regions are known
  if (options.feather_px > 0) {
    const int taps = 2 * static_cast<int>(std::ceil(options.feather_px)) + 1;
    plan.feather_kernel = gaussian_kernel(taps, options.feather_px / 2);
    plan.feather_half = taps / 2;
    plan.feather_weights = staging.take(plan.feather_kernel.size());
  }
  if (const int r = whole_pixels(options.erode_px); r > 0) {
    plan.ellipse_rows = ellipse_half_widths(r);
    plan.ellipse_radius = r;
    plan.ellipse = staging.take(plan.ellipse_rows.size());
  }
  if (options.sharpen_amount > 0) {
    plan.sharpen_radius = blur_reach_px(options.sharpen_radius_px);
    plan.sharpen_kernel = gaussian_kernel(2 * plan.sharpen_radius + 1, options.sharpen_radius_px);
    plan.sharpen_weights = staging.take(plan.sharpen_kernel.size());
  }

  int max_side = 0, max_levels = 0, max_reach = plan.sharpen_radius;
  std::size_t max_warped = 0, max_rows = 0, max_partials = 0;
  // The rows of the frame a Gaussian of `radius` over this region reads.
  const auto blur_rows = [&](const PixelRect& roi, int radius, int& row0, int& rows) {
    row0 = std::max(0, roi.y - radius);
    rows = std::min(plan.height, roi.y + roi.height + radius) - row0;
    max_rows = std::max(max_rows, static_cast<std::size_t>(roi.width) * static_cast<std::size_t>(rows) * 3);
    max_reach = std::max(max_reach, radius);
  };
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const CompositeLayer& layer = layers[i];
    const int s = layer.side;
    if (s < 8 || s > kMaxSide) {
      return fail(ErrorCode::kInvalidArgument, "composite: face {} has side {} (8..{})", i, s, kMaxSide);
    }
    const std::size_t pixels = static_cast<std::size_t>(s) * static_cast<std::size_t>(s);
    if (layer.face_bgr.size() != pixels * 3) {
      return fail(ErrorCode::kInvalidArgument, "composite: face {} has {} floats, a {}x{} BGR face needs {}",
                  i, layer.face_bgr.size(), s, s, pixels * 3);
    }
    if (!layer.learned_mask.empty() && layer.learned_mask.size() != pixels) {
      return fail(ErrorCode::kInvalidArgument, "composite: the learned mask of face {} has {} floats, not {}",
                  i, layer.learned_mask.size(), pixels);
    }
    if (!layer.hull.empty() && (layer.hull.format != PixelFormat::kGray8 || layer.hull.width != s ||
                                layer.hull.height != s)) {
      return fail(ErrorCode::kInvalidArgument, "composite: the hull of face {} must be gray8 {}x{} like the face",
                  i, s, s);
    }
    for (const double v : layer.face_to_frame) {
      if (!std::isfinite(v)) {
        return fail(ErrorCode::kInvalidArgument, "composite: the matrix of face {} is not finite", i);
      }
    }
    LayerPlan l;
    l.side = s;
    const Affine2x3 to_frame = placed_face_to_frame(layer.face_to_frame, s, options);
    l.roi = warped_bounds(to_frame, s, plan.width, plan.height);
    if (l.roi.empty()) {
      return fail(ErrorCode::kInvalidArgument, "composite: face {} lies outside the {}x{} frame", i,
                  plan.width, plan.height);
    }
    Affine2x3 to_roi = to_frame;
    to_roi[2] -= l.roi.x;
    to_roi[5] -= l.roi.y;
    auto coords = warp_coordinates(to_roi, l.roi.width, l.roi.height);
    if (!coords) {
      return fail(ErrorCode::kInvalidArgument,
                  "composite: the matrix of face {} cannot be inverted (it squashes the face flat)", i);
    }
    l.coords = std::move(*coords);
    l.face = staging.take(pixels * 3);
    if (!layer.learned_mask.empty()) l.learned = staging.take(pixels);
    if (!layer.hull.empty()) l.hull = staging.take((pixels + 3) / 4);
    l.coords_at = staging.take(2 * static_cast<std::size_t>(l.roi.width + l.roi.height));
    const std::size_t roi_pixels = static_cast<std::size_t>(l.roi.width) * static_cast<std::size_t>(l.roi.height);
    max_warped = std::max(max_warped, roi_pixels * 4);
    max_partials = std::max(max_partials, static_cast<std::size_t>(l.roi.height) * MIRAGE_STATS_FLOATS);
    if (plan.sharpen_radius > 0) blur_rows(l.roi, plan.sharpen_radius, l.sharpen_row0, l.sharpen_rows);
    if (options.detail > 0) {
      const double sigma = detail_sigma_px(to_frame, options);
      l.detail_radius = blur_reach_px(sigma);
      l.detail_kernel = gaussian_kernel(2 * l.detail_radius + 1, sigma);
      l.detail_weights = staging.take(l.detail_kernel.size());
      blur_rows(l.roi, l.detail_radius, l.detail_row0, l.detail_rows);
    }
    if (plan.ellipse_radius > 0) {
      max_levels = std::max(max_levels, static_cast<int>(std::bit_width(static_cast<unsigned>(std::min(2 * plan.ellipse_radius + 1, s)))) - 1);
    }
    max_side = std::max(max_side, s);
    plan.changed = unite(plan.changed, l.roi);
    plan.layers.push_back(std::move(l));
  }
  plan.ellipse_levels = max_levels;
  plan.upload = {0, 0, plan.width, plan.height};
  if (region_only) {
    // What the passes read: the faces' regions and, for the Gaussians, their reach around them.
    const int r = max_reach;
    const PixelRect& c = plan.changed;
    const int x0 = std::max(0, c.x - r), y0 = std::max(0, c.y - r);
    plan.upload = {x0, y0, std::min(plan.width, c.x + c.width + r) - x0, std::min(plan.height, c.y + c.height + r) - y0};
  }
  plan.row_bytes = static_cast<std::size_t>(plan.upload.width) * static_cast<std::size_t>(plan.channels);
  // The frame goes first in staging (word 0); everything else moves up behind it.
  const std::size_t frame_size = (plan.row_bytes * static_cast<std::size_t>(plan.upload.height) + 3) / 4;
  const auto shift = static_cast<u32>(frame_size);
  MIRAGE_CHECK(frame_words == 0);
  for (u32* at : {&plan.feather_weights, &plan.ellipse, &plan.sharpen_weights}) *at += shift;
  for (LayerPlan& l : plan.layers) {
    for (u32* at : {&l.face, &l.learned, &l.hull, &l.coords_at, &l.detail_weights}) {
      if (*at != kNoData) *at += shift;
    }
  }
  plan.staging_words = staging.size() + frame_size;

  Allocator work;
  const std::size_t crop = static_cast<std::size_t>(max_side) * static_cast<std::size_t>(max_side);
  plan.mask_a = work.take(crop);
  plan.mask_b = work.take(crop);
  plan.table = work.take(crop * static_cast<std::size_t>(max_levels));
  plan.warped = work.take(max_warped);
  plan.rows = work.take(max_rows);
  plan.detail = work.take(options.detail > 0 ? max_warped / 4 * 3 : 0);
  plan.partials = work.take(max_partials);
  plan.params = work.take(16);
  plan.work_floats = work.size();
  plan.readback_words =
      (static_cast<std::size_t>(plan.changed.width) * static_cast<std::size_t>(plan.changed.height) * 3 + 3) / 4;
  return ok();
}

Status Compositor::reserve(const FramePlan& plan, int width, int height) {
  Context& context = *context_;
  bool rebind = false;
  auto grow = [&](Buffer& buffer, std::size_t words, const char* name, MemoryUse use) -> Status {
    const VkDeviceSize bytes = std::max<VkDeviceSize>(16, static_cast<VkDeviceSize>(words) * 4);
    if (buffer && buffer.size() >= bytes) return ok();
    // A quarter more than asked, so a face that grows a little does not reallocate each frame.
    auto made = Buffer::create(context, {name, bytes + bytes / 4, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT, use});
    if (!made) return std::unexpected(made.error());
    buffer = std::move(*made);
    rebind = true;
    return ok();
  };
  if (auto s = grow(staging_, plan.staging_words, "compositor staging", MemoryUse::kUpload); !s) return s;
  if (auto s = grow(work_, plan.work_floats, "compositor work", MemoryUse::kDeviceLocal); !s) return s;
  if (auto s = grow(readback_, plan.readback_words, "compositor readback", MemoryUse::kReadback); !s) return s;
  if (!out_ || out_.extent().width != static_cast<u32>(width) || out_.extent().height != static_cast<u32>(height)) {
    auto image = GpuImage::create(
        context, {"composited frame", static_cast<u32>(width), static_cast<u32>(height), VK_FORMAT_R8G8B8A8_UNORM,
                  VK_IMAGE_USAGE_STORAGE_BIT | VK_IMAGE_USAGE_SAMPLED_BIT | VK_IMAGE_USAGE_TRANSFER_SRC_BIT});
    if (!image) return std::unexpected(image.error());
    out_ = std::move(*image);
    out_initialised_ = false;
    rebind = true;
  }
  if (rebind) {
    // No submitted work uses the sets: composite() waited for the last one.
    const ComputePass::Resource resources[] = {
        {.buffer = staging_.handle()}, {.buffer = work_.handle()}, {.image = out_.view()}, {.buffer = readback_.handle()}};
    for (std::size_t i = 0; i < passes_.size(); ++i) passes_[i].write_set(sets_[i], resources);
  }
  return ok();
}

void Compositor::fill_staging(ConstImageView frame, std::span<const CompositeLayer> layers, const FramePlan& plan) {
  std::byte* base = staging_.mapped().data();
  auto words = [&](u32 at) { return base + static_cast<std::size_t>(at) * 4; };
  const PixelRect& up = plan.upload;
  for (int y = 0; y < up.height; ++y) {
    std::memcpy(base + static_cast<std::size_t>(y) * plan.row_bytes,
                frame.row(up.y + y) + static_cast<std::size_t>(up.x) * static_cast<std::size_t>(plan.channels),
                plan.row_bytes);
  }
  auto put = [&](u32 at, const auto& values) { std::memcpy(words(at), values.data(), values.size() * 4); };
  if (!plan.feather_kernel.empty()) put(plan.feather_weights, plan.feather_kernel);
  if (!plan.ellipse_rows.empty()) put(plan.ellipse, plan.ellipse_rows);
  if (!plan.sharpen_kernel.empty()) put(plan.sharpen_weights, plan.sharpen_kernel);
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const CompositeLayer& layer = layers[i];
    const LayerPlan& l = plan.layers[i];
    put(l.face, layer.face_bgr);
    if (l.learned != kNoData) put(l.learned, layer.learned_mask);
    if (l.detail_weights != kNoData) put(l.detail_weights, l.detail_kernel);
    if (l.hull != kNoData) {
      const std::size_t side = static_cast<std::size_t>(l.side);
      for (int y = 0; y < l.side; ++y) std::memcpy(words(l.hull) + side * static_cast<std::size_t>(y), layer.hull.row(y), side);
    }
    u32 at = l.coords_at;
    for (const auto* part : {&l.coords.adelta, &l.coords.bdelta, &l.coords.x0, &l.coords.y0}) {
      put(at, *part);
      at += static_cast<u32>(part->size());
    }
  }
}

std::uint32_t Compositor::record_mask(VkCommandBuffer commands, const FramePlan& plan, const LayerPlan& l,
                                      const CompositeOptions& o) {
  const auto dispatch = [&](ShaderId id, const auto& push) {
    passes_[static_cast<std::size_t>(id)].record(commands, sets_[static_cast<std::size_t>(id)], push,
                                                   groups(l.side), groups(l.side));
    compute_barrier(commands);
  };
  const u32 side = static_cast<u32>(l.side);
  u32 current = plan.mask_a, other = plan.mask_b;
  dispatch(ShaderId::kCompositeMaskInit, shaders::MaskInitPushConstants{side, l.learned, l.hull, current});
  const auto line = [&](u32 axis, int lo, int hi, u32 weights, u32 op, float fade_px) {
    dispatch(ShaderId::kCompositeMaskLine,
             shaders::MaskLinePushConstants{.side = side, .src = current, .dst = other, .axis = axis, .lo = lo,
                                            .hi = hi, .weights = weights, .op = op, .fade_px = fade_px});
    std::swap(current, other);
  };
  const int top = whole_pixels(o.erode_top_px), bottom = whole_pixels(o.erode_bottom_px);
  const int left = whole_pixels(o.erode_left_px), right = whole_pixels(o.erode_right_px);
  if (top > 0 || bottom > 0) line(1, -top, bottom, 0, 0, 0);
  if (left > 0 || right > 0) line(0, -left, right, 0, 0, 0);
  if (plan.ellipse_radius > 0) {
    const u32 op = o.erode_px > 0 ? 0 : 1;
    const int levels = static_cast<int>(std::bit_width(static_cast<unsigned>(std::min(2 * plan.ellipse_radius + 1, l.side)))) - 1;
    for (int k = 1; k <= levels; ++k) {
      const u32 src = k == 1 ? current : plan.table + static_cast<u32>(k - 2) * side * side;
      dispatch(ShaderId::kCompositeMaskTable,
               shaders::MaskTablePushConstants{.side = side, .src = src,
                                               .dst = plan.table + static_cast<u32>(k - 1) * side * side,
                                               .half_width = 1u << (k - 1), .op = op});
    }
    dispatch(ShaderId::kCompositeMaskMorph,
             shaders::MaskMorphPushConstants{.side = side, .src = current, .table = plan.table, .dst = other,
                                             .radius = plan.ellipse_radius, .half_widths = plan.ellipse, .op = op,
                                             .levels = static_cast<u32>(levels)});
    std::swap(current, other);
  }
  if (plan.feather_half > 0) {
    line(0, -plan.feather_half, plan.feather_half, plan.feather_weights, 1, 0);
    line(1, -plan.feather_half, plan.feather_half, plan.feather_weights, 1, 0);
  }
  if (o.border_fade > 0) line(0, 0, 0, 0, 2, static_cast<float>(o.border_fade * l.side));
  return current;
}

void Compositor::record_layer(VkCommandBuffer commands, const FramePlan& plan, const LayerPlan& l,
                              const CompositeOptions& o) {
  const u32 mask = record_mask(commands, plan, l, o);
  const PixelRect& roi = l.roi;
  const auto dispatch = [&](ShaderId id, const auto& push, u32 gx, u32 gy) {
    passes_[static_cast<std::size_t>(id)].record(commands, sets_[static_cast<std::size_t>(id)], push, gx, gy);
    compute_barrier(commands);
  };
  const u32 gx = groups(roi.width), gy = groups(roi.height);
  const u32 rx = static_cast<u32>(roi.x), ry = static_cast<u32>(roi.y);
  const u32 rw = static_cast<u32>(roi.width), rh = static_cast<u32>(roi.height);
  dispatch(ShaderId::kCompositeWarp,
           shaders::WarpPushConstants{.side = static_cast<u32>(l.side), .face = l.face, .mask = mask,
                                      .coords = l.coords_at, .dst = plan.warped, .roi_w = rw, .roi_h = rh},
           gx, gy);
  const u32 mode = o.colour == ColourTransfer::kRct ? 1 : o.colour == ColourTransfer::kMean ? 2 : 0;
  if (mode != 0) {
    const shaders::StatsPushConstants stats{.warped = plan.warped, .roi_x = rx, .roi_y = ry, .roi_w = rw,
                                            .roi_h = rh, .mode = mode, .partials = plan.partials,
                                            .count = rh, .params = plan.params};
    dispatch(ShaderId::kCompositeStats, stats, groups(roi.height, 64), 1);
    dispatch(ShaderId::kCompositeStatsFinish, stats, 1, 1);
  }
  const auto opacity = static_cast<float>(o.opacity);
  const bool detail = l.detail_radius > 0 && o.detail > 0 && opacity > 0;
  if (detail) {
    const shaders::SharpenPushConstants blur{
        .roi_x = rx, .roi_y = ry, .roi_w = rw, .roi_h = rh, .row0 = static_cast<u32>(l.detail_row0),
        .rows = static_cast<u32>(l.detail_rows), .rows_buffer = plan.rows, .weights = l.detail_weights,
        .radius = l.detail_radius, .frame_w = static_cast<u32>(plan.width),
        .frame_h = static_cast<u32>(plan.height), .warped = plan.warped, .opacity = opacity, .detail = plan.detail};
    dispatch(ShaderId::kCompositeSharpenRows, blur, gx, groups(l.detail_rows));
    dispatch(ShaderId::kCompositeDetail, blur, gx, gy);
  }
  dispatch(ShaderId::kCompositeBlend,
           shaders::BlendPushConstants{.warped = plan.warped, .roi_x = rx, .roi_y = ry, .roi_w = rw, .roi_h = rh,
                                       .params = plan.params, .mode = mode, .opacity = opacity,
                                       .detail = plan.detail,
                                       .detail_amount = detail ? static_cast<float>(o.detail) : 0.0f},
           gx, gy);
  if (plan.sharpen_radius > 0 && opacity > 0) {
    const shaders::SharpenPushConstants sharpen{
        .roi_x = rx, .roi_y = ry, .roi_w = rw, .roi_h = rh, .row0 = static_cast<u32>(l.sharpen_row0),
        .rows = static_cast<u32>(l.sharpen_rows), .rows_buffer = plan.rows, .weights = plan.sharpen_weights,
        .radius = plan.sharpen_radius, .frame_w = static_cast<u32>(plan.width),
        .frame_h = static_cast<u32>(plan.height), .warped = plan.warped,
        .amount = static_cast<float>(o.sharpen_amount), .opacity = opacity,
        .core = static_cast<float>(o.sharpen_core)};
    dispatch(ShaderId::kCompositeSharpenRows, sharpen, gx, groups(l.sharpen_rows));
    dispatch(ShaderId::kCompositeSharpen, sharpen, gx, gy);
  }
}

void Compositor::record(VkCommandBuffer commands, const FramePlan& plan, const CompositeOptions& options, bool pack) {
  const VkCommandBufferBeginInfo begin{.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
                                       .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT};
  VK_CHECK(vkBeginCommandBuffer(commands, &begin));
  const VkQueryPool queries = queries_.get();
  if (queries) vkCmdResetQueryPool(commands, queries, 0, kTimestamps);
  // Whatever read or wrote these resources before (the studio sampling the output, the last
  // frame's passes, the host) is done before this frame's passes start.
  const VkMemoryBarrier before{.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
                               .srcAccessMask = VK_ACCESS_MEMORY_WRITE_BIT | VK_ACCESS_MEMORY_READ_BIT,
                               .dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT};
  vkCmdPipelineBarrier(commands, VK_PIPELINE_STAGE_ALL_COMMANDS_BIT, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, 0, 1,
                       &before, 0, nullptr, 0, nullptr);
  if (!out_initialised_) {
    record_transition(commands, out_.handle(),
                      {.from = VK_IMAGE_LAYOUT_UNDEFINED, .to = VK_IMAGE_LAYOUT_GENERAL,
                       .src_stage = VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT,
                       .dst_stage = VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
                       .dst_access = VK_ACCESS_SHADER_WRITE_BIT});
  }
  if (queries) vkCmdWriteTimestamp(commands, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, queries, 0);
  const shaders::FrameCopyPushConstants unpack{.x = static_cast<u32>(plan.upload.x),
                                               .y = static_cast<u32>(plan.upload.y),
                                               .width = static_cast<u32>(plan.upload.width),
                                               .height = static_cast<u32>(plan.upload.height), .offset = 0,
                                               .stride = static_cast<u32>(plan.row_bytes),
                                               .channels = static_cast<u32>(plan.channels), .bgr = plan.bgr ? 1u : 0u};
  passes_[static_cast<std::size_t>(ShaderId::kCompositeFrameUnpack)].record(
      commands, sets_[static_cast<std::size_t>(ShaderId::kCompositeFrameUnpack)], unpack, groups(plan.upload.width),
      groups(plan.upload.height));
  compute_barrier(commands);
  if (queries) vkCmdWriteTimestamp(commands, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, queries, 1);
  for (const LayerPlan& layer : plan.layers) record_layer(commands, plan, layer, options);
  if (queries) vkCmdWriteTimestamp(commands, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, queries, 2);
  if (pack && !plan.changed.empty()) {
    const shaders::FrameCopyPushConstants push{.x = static_cast<u32>(plan.changed.x),
                                               .y = static_cast<u32>(plan.changed.y),
                                               .width = static_cast<u32>(plan.changed.width),
                                               .height = static_cast<u32>(plan.changed.height), .offset = 0,
                                               .bgr = plan.bgr ? 1u : 0u};
    passes_[static_cast<std::size_t>(ShaderId::kCompositeFramePack)].record(
        commands, sets_[static_cast<std::size_t>(ShaderId::kCompositeFramePack)], push,
        groups(static_cast<int>(plan.readback_words), MIRAGE_REDUCE_GROUP_SIZE), 1);
    const VkMemoryBarrier to_host{.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
                                  .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT,
                                  .dstAccessMask = VK_ACCESS_HOST_READ_BIT};
    vkCmdPipelineBarrier(commands, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &to_host,
                         0, nullptr, 0, nullptr);
  }
  if (queries) vkCmdWriteTimestamp(commands, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, queries, 3);
  VK_CHECK(vkEndCommandBuffer(commands));
}

Status Compositor::wait() {
  if (submitted_ == 0) return ok();
  return context_->wait(submitted_);
}

Status Compositor::submit(const FramePlan& plan, const CompositeOptions& options, bool pack) {
  VK_CHECK(vkResetCommandBuffer(commands_, 0));
  record(commands_, plan, options, pack);
  auto value = context_->submit({.commands = commands_});
  if (!value) return std::unexpected(value.error());
  submitted_ = *value;
  out_initialised_ = true;
  changed_ = plan.changed;
  return ok();
}

void Compositor::read_timestamps() {
  if (!queries_) return;
  std::array<std::uint64_t, kTimestamps> ticks{};
  if (vkGetQueryPoolResults(context_->device(), queries_.get(), 0, kTimestamps, sizeof(ticks), ticks.data(),
                            sizeof(std::uint64_t), VK_QUERY_RESULT_64_BIT) != VK_SUCCESS) {
    return;
  }
  const double ms = timestamp_ns_ * 1e-6;
  timings_.unpack_ms = static_cast<double>(ticks[1] - ticks[0]) * ms;
  timings_.compute_ms = static_cast<double>(ticks[2] - ticks[1]) * ms;
  timings_.pack_ms = static_cast<double>(ticks[3] - ticks[2]) * ms;
}

Status Compositor::start(ConstImageView frame, std::span<const CompositeLayer> layers,
                         const CompositeOptions& options, bool read_back, FramePlan& plan) {
  MIRAGE_CHECK(context_ != nullptr);
  if (auto s = check(frame, layers, options, read_back, plan); !s) return s;
  // The staging buffer and the sets are reused: the last frame must be done with them.
  if (auto s = wait(); !s) return s;
  if (auto s = reserve(plan, frame.width, frame.height); !s) return s;
  const auto started = Clock::now();
  fill_staging(frame, layers, plan);
  timings_ = {};
  timings_.upload_ms = ms_since(started);
  return submit(plan, options, read_back);
}

Status Compositor::composite(ConstImageView frame, std::span<const CompositeLayer> layers,
                             const CompositeOptions& options) {
  FramePlan plan;
  return start(frame, layers, options, false, plan);
}

Status Compositor::composite_into(ImageView frame, std::span<const CompositeLayer> layers,
                                  const CompositeOptions& options) {
  FramePlan plan;
  auto started = Clock::now();
  if (auto s = start(frame, layers, options, true, plan); !s) return s;
  if (auto s = wait(); !s) return s;
  timings_.gpu_total_ms = ms_since(started) - timings_.upload_ms;
  read_timestamps();

  started = Clock::now();
  const PixelRect& r = plan.changed;
  const auto* packed = reinterpret_cast<const std::uint8_t*>(readback_.mapped().data());
  const std::size_t packed_row = static_cast<std::size_t>(r.width) * 3;
  const int channels = plan.channels;
  for (int y = 0; y < r.height; ++y) {
    const std::uint8_t* source = packed + static_cast<std::size_t>(y) * packed_row;
    std::uint8_t* target = frame.row(r.y + y) + static_cast<std::size_t>(r.x) * channels;
    if (channels == 3) {
      std::memcpy(target, source, packed_row);
    } else {
      for (int x = 0; x < r.width; ++x) std::memcpy(target + x * 4, source + x * 3, 3);  // alpha stays
    }
  }
  timings_.readback_ms = ms_since(started);
  return ok();
}

}  // namespace mirage::render
