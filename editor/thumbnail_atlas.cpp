#include "editor/thumbnail_atlas.h"

#include <cstring>
#include <vector>

#include "editor/ui_texture.h"

namespace mirage::studio {

Status ThumbnailAtlas::create() {
  render::Context& context = *context_;
  const auto side = static_cast<std::uint32_t>(cell_ * columns_);
  auto image = render::GpuImage::create(context, {"face thumbnails", side, side, VK_FORMAT_R8G8B8A8_UNORM,
                                                  VK_IMAGE_USAGE_SAMPLED_BIT | VK_IMAGE_USAGE_TRANSFER_DST_BIT});
  if (!image) return std::unexpected(image.error());
  const VkDeviceSize bytes = static_cast<VkDeviceSize>(kUploadsPerFrame) * cell_ * cell_ * 4;
  for (render::Buffer& staging : staging_) {
    auto buffer = render::Buffer::create(context, {"face thumbnails staging", bytes, VK_BUFFER_USAGE_TRANSFER_SRC_BIT,
                                                   render::MemoryUse::kUpload});
    if (!buffer) return std::unexpected(buffer.error());
    staging = std::move(*buffer);
  }
  auto set = create_texture_set(context, "face thumbnails", pool_);
  if (!set) return std::unexpected(set.error());
  set_ = *set;
  image_ = std::move(*image);
  point_texture_set(context, set_, image_.view());
  return ok();
}

std::optional<int> ThumbnailAtlas::find(const std::string& key) {
  const auto found = cells_.find(key);
  if (found == cells_.end()) return std::nullopt;
  order_.splice(order_.begin(), order_, found->second.second);
  return found->second.first;
}

void ThumbnailAtlas::put(const std::string& key, Image rgba) {
  if (cells_.contains(key) || queued_keys_.contains(key)) return;
  if (rgba.width() != cell_ || rgba.height() != cell_ || rgba.format() != PixelFormat::kRgba8) return;
  queued_keys_[key] = true;
  queued_.emplace_back(key, std::move(rgba));
}

void ThumbnailAtlas::forget_all() {
  cells_.clear();
  order_.clear();
  queued_.clear();
  queued_keys_.clear();
}

Status ThumbnailAtlas::upload(VkCommandBuffer commands, std::size_t slot) {
  if (queued_.empty() || context_ == nullptr) return ok();
  if (set_ == VK_NULL_HANDLE) {
    if (auto s = create(); !s) return s;
  }
  render::Buffer& staging = staging_[slot % staging_.size()];
  std::vector<VkBufferImageCopy> copies;
  const std::size_t cell_bytes = static_cast<std::size_t>(cell_) * cell_ * 4;
  while (!queued_.empty() && static_cast<int>(copies.size()) < kUploadsPerFrame) {
    auto [key, rgba] = std::move(queued_.front());
    queued_.pop_front();
    queued_keys_.erase(key);
    // The least recently used cell (or a free one while the atlas fills up).
    int cell = 0;
    if (static_cast<int>(cells_.size()) < capacity()) {
      cell = static_cast<int>(cells_.size());
    } else {
      const std::string victim = order_.back();
      order_.pop_back();
      cell = cells_.at(victim).first;
      cells_.erase(victim);
    }
    order_.push_front(key);
    cells_[key] = {cell, order_.begin()};
    std::byte* target = staging.mapped().data() + copies.size() * cell_bytes;
    std::memcpy(target, rgba.bytes().data(), cell_bytes);
    copies.push_back(VkBufferImageCopy{
        .bufferOffset = copies.size() * cell_bytes,
        .imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1},
        .imageOffset = {(cell % columns_) * cell_, (cell / columns_) * cell_, 0},
        .imageExtent = {static_cast<std::uint32_t>(cell_), static_cast<std::uint32_t>(cell_), 1}});
  }
  // Cells not copied keep their contents (from shader-read, not undefined, after the first time).
  record_texture_copies(commands, staging.handle(), image_.handle(), initialised_, copies);
  initialised_ = true;
  return ok();
}

void ThumbnailAtlas::begin(ImDrawList* list) const { push_texture(list, set_); }

void ThumbnailAtlas::add_image(ImDrawList* list, int cell, ImVec2 min, ImVec2 max) const {
  const float step = 1.0f / static_cast<float>(columns_);
  const ImVec2 uv0(static_cast<float>(cell % columns_) * step, static_cast<float>(cell / columns_) * step);
  list->AddImage(reinterpret_cast<ImTextureID>(set_), min, max, uv0, ImVec2(uv0.x + step, uv0.y + step));
}

void ThumbnailAtlas::end(ImDrawList* list) const { pop_texture(list); }

}  // namespace mirage::studio
