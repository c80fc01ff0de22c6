#include "engine/render/compositor.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "engine/render/vk_check.h"
#include "shaders/embedded.h"
#include "shaders/shared_types.h"

namespace mirage::render {
namespace {

constexpr VkImageUsageFlags kInputUsage =
    VK_IMAGE_USAGE_STORAGE_BIT | VK_IMAGE_USAGE_TRANSFER_DST_BIT;
constexpr VkImageUsageFlags kOutputUsage =
    VK_IMAGE_USAGE_STORAGE_BIT | VK_IMAGE_USAGE_TRANSFER_SRC_BIT;

std::uint32_t group_count(int pixels) {
  return (static_cast<std::uint32_t>(pixels) + MIRAGE_IMAGE_GROUP_SIZE - 1) /
         MIRAGE_IMAGE_GROUP_SIZE;
}

// Copies a view's rows into packed bytes at destination (the view's stride may be padded).
std::size_t pack_rows(ConstImageView view, std::byte* destination) {
  const std::size_t row_bytes = view.row_bytes();
  for (int y = 0; y < view.height; ++y) {
    std::memcpy(destination + static_cast<std::size_t>(y) * row_bytes, view.row(y), row_bytes);
  }
  return row_bytes * static_cast<std::size_t>(view.height);
}

VkBufferImageCopy whole_image(VkDeviceSize offset, int width, int height) {
  return {
      .bufferOffset = offset,
      .imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1},
      .imageExtent = {static_cast<std::uint32_t>(width), static_cast<std::uint32_t>(height), 1}};
}

Status check_inputs(ConstImageView frame, ConstImageView face, ConstImageView mask, float opacity) {
  if (frame.empty()) return fail(ErrorCode::kInvalidArgument, "blend: the frame is empty");
  if (frame.format != PixelFormat::kRgba8 || face.format != PixelFormat::kRgba8 ||
      mask.format != PixelFormat::kGray8) {
    return fail(ErrorCode::kInvalidArgument,
                "blend: needs an RGBA8 frame and face and a gray8 mask");
  }
  const auto same_size = [&](ConstImageView v) {
    return v.width == frame.width && v.height == frame.height;
  };
  if (!same_size(face) || !same_size(mask) || face.empty() || mask.empty()) {
    return fail(ErrorCode::kInvalidArgument,
                "blend: frame {}x{}, face {}x{} and mask {}x{} differ in size", frame.width,
                frame.height, face.width, face.height, mask.width, mask.height);
  }
  if (std::isnan(opacity))
    return fail(ErrorCode::kInvalidArgument, "blend: opacity is not a number");
  return ok();
}

}  // namespace

Result<Compositor> Compositor::create(Context& context) {
  VkPhysicalDeviceFeatures features{};
  vkGetPhysicalDeviceFeatures(context.physical_device(), &features);
  VkFormatProperties r8{};
  vkGetPhysicalDeviceFormatProperties(context.physical_device(), VK_FORMAT_R8_UNORM, &r8);
  if (!features.shaderStorageImageExtendedFormats ||
      !(r8.optimalTilingFeatures & VK_FORMAT_FEATURE_STORAGE_IMAGE_BIT)) {
    return fail(ErrorCode::kUnsupported,
                "{} cannot use R8 storage images, which the GPU compositor needs",
                context.device_info().name);
  }

  Compositor compositor;
  compositor.context_ = &context;
  auto pass = ComputePass::create(
      context, {.name = "blend",
                .spirv = shaders::spirv(shaders::ShaderId::kBlend),
                .bindings = {VK_DESCRIPTOR_TYPE_STORAGE_IMAGE, VK_DESCRIPTOR_TYPE_STORAGE_IMAGE,
                             VK_DESCRIPTOR_TYPE_STORAGE_IMAGE, VK_DESCRIPTOR_TYPE_STORAGE_IMAGE},
                .push_constant_size = sizeof(shaders::BlendPushConstants)});
  if (!pass) return std::unexpected(pass.error());
  compositor.blend_pass_ = std::move(*pass);
  auto set = compositor.blend_pass_.allocate_set();
  if (!set) return std::unexpected(set.error());
  compositor.blend_set_ = *set;
  return compositor;
}

Status Compositor::prepare(int width, int height) {
  if (width == width_ && height == height_) return ok();
  Context& context = *context_;
  const auto w = static_cast<std::uint32_t>(width);
  const auto h = static_cast<std::uint32_t>(height);
  const VkDeviceSize rgba_bytes = VkDeviceSize{w} * h * 4;
  const VkDeviceSize mask_bytes = VkDeviceSize{w} * h;

  auto frame =
      GpuImage::create(context, {"blend frame", w, h, VK_FORMAT_R8G8B8A8_UNORM, kInputUsage});
  if (!frame) return std::unexpected(frame.error());
  auto face =
      GpuImage::create(context, {"blend face", w, h, VK_FORMAT_R8G8B8A8_UNORM, kInputUsage});
  if (!face) return std::unexpected(face.error());
  auto mask = GpuImage::create(context, {"blend mask", w, h, VK_FORMAT_R8_UNORM, kInputUsage});
  if (!mask) return std::unexpected(mask.error());
  auto out = GpuImage::create(context, {"blend out", w, h, VK_FORMAT_R8G8B8A8_UNORM, kOutputUsage});
  if (!out) return std::unexpected(out.error());
  auto upload = Buffer::create(context, {"blend upload", 2 * rgba_bytes + mask_bytes,
                                         VK_BUFFER_USAGE_TRANSFER_SRC_BIT, MemoryUse::kUpload});
  if (!upload) return std::unexpected(upload.error());
  auto readback = Buffer::create(context, {"blend readback", rgba_bytes,
                                           VK_BUFFER_USAGE_TRANSFER_DST_BIT, MemoryUse::kReadback});
  if (!readback) return std::unexpected(readback.error());
  // The previous images go through the deletion queue; no pending work reads the set (blend()
  // waits for its own submission), so rewriting it here is safe.
  frame_ = std::move(*frame);
  face_ = std::move(*face);
  mask_ = std::move(*mask);
  out_ = std::move(*out);
  upload_ = std::move(*upload);
  readback_ = std::move(*readback);
  const VkImageView views[] = {frame_.view(), face_.view(), mask_.view(), out_.view()};
  blend_pass_.write_storage_images(blend_set_, views);
  width_ = width;
  height_ = height;
  return ok();
}

Result<Image> Compositor::blend(ConstImageView frame, ConstImageView face, ConstImageView mask,
                                float opacity) {
  if (auto s = check_inputs(frame, face, mask, opacity); !s) return std::unexpected(s.error());
  if (auto s = prepare(frame.width, frame.height); !s) return std::unexpected(s.error());

  std::byte* staging = upload_.mapped().data();
  const VkDeviceSize face_offset = pack_rows(frame, staging);
  const VkDeviceSize mask_offset = face_offset + pack_rows(face, staging + face_offset);
  pack_rows(mask, staging + mask_offset);

  const shaders::BlendPushConstants push{.opacity = std::clamp(opacity, 0.0f, 1.0f),
                                         .width = static_cast<shaders::uint>(frame.width),
                                         .height = static_cast<shaders::uint>(frame.height),
                                         .padding = 0};
  const int width = frame.width;
  const int height = frame.height;
  const auto record = [&](VkCommandBuffer commands) {
    const ImageTransition to_copy{.from = VK_IMAGE_LAYOUT_UNDEFINED,
                                  .to = VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
                                  .src_stage = VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT,
                                  .dst_stage = VK_PIPELINE_STAGE_TRANSFER_BIT,
                                  .dst_access = VK_ACCESS_TRANSFER_WRITE_BIT};
    const ImageTransition to_read{.from = VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
                                  .to = VK_IMAGE_LAYOUT_GENERAL,
                                  .src_stage = VK_PIPELINE_STAGE_TRANSFER_BIT,
                                  .src_access = VK_ACCESS_TRANSFER_WRITE_BIT,
                                  .dst_stage = VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
                                  .dst_access = VK_ACCESS_SHADER_READ_BIT};
    for (const GpuImage* input : {&frame_, &face_, &mask_})
      record_transition(commands, input->handle(), to_copy);
    record_transition(commands, out_.handle(),
                      {.from = VK_IMAGE_LAYOUT_UNDEFINED,
                       .to = VK_IMAGE_LAYOUT_GENERAL,
                       .src_stage = VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT,
                       .dst_stage = VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
                       .dst_access = VK_ACCESS_SHADER_WRITE_BIT});
    const VkBufferImageCopy frame_copy = whole_image(0, width, height);
    const VkBufferImageCopy face_copy = whole_image(face_offset, width, height);
    const VkBufferImageCopy mask_copy = whole_image(mask_offset, width, height);
    const VkImageLayout dst = VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL;
    vkCmdCopyBufferToImage(commands, upload_.handle(), frame_.handle(), dst, 1, &frame_copy);
    vkCmdCopyBufferToImage(commands, upload_.handle(), face_.handle(), dst, 1, &face_copy);
    vkCmdCopyBufferToImage(commands, upload_.handle(), mask_.handle(), dst, 1, &mask_copy);
    for (const GpuImage* input : {&frame_, &face_, &mask_})
      record_transition(commands, input->handle(), to_read);

    blend_pass_.record(commands, blend_set_, push, group_count(width), group_count(height));

    record_transition(commands, out_.handle(),
                      {.from = VK_IMAGE_LAYOUT_GENERAL,
                       .to = VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL,
                       .src_stage = VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
                       .src_access = VK_ACCESS_SHADER_WRITE_BIT,
                       .dst_stage = VK_PIPELINE_STAGE_TRANSFER_BIT,
                       .dst_access = VK_ACCESS_TRANSFER_READ_BIT});
    vkCmdCopyImageToBuffer(commands, out_.handle(), VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL,
                           readback_.handle(), 1, &frame_copy);
    const VkBufferMemoryBarrier to_host{.sType = VK_STRUCTURE_TYPE_BUFFER_MEMORY_BARRIER,
                                        .srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
                                        .dstAccessMask = VK_ACCESS_HOST_READ_BIT,
                                        .srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
                                        .dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
                                        .buffer = readback_.handle(),
                                        .size = VK_WHOLE_SIZE};
    vkCmdPipelineBarrier(commands, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_HOST_BIT, 0, 0,
                         nullptr, 1, &to_host, 0, nullptr);
  };
  if (auto s = context_->run_one_shot("blend", record); !s) return std::unexpected(s.error());

  Image result(width, height, PixelFormat::kRgba8);
  std::memcpy(result.bytes().data(), readback_.mapped().data(), result.bytes().size());
  return result;
}

}  // namespace mirage::render
