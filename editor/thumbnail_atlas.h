// Face thumbnails in one GPU texture: square cells handed out least recently used first, so a
// browser of ten thousand faces needs only what is on screen (and a little around it) on the GPU.
//
//   ThumbnailAtlas atlas(context, 96, 16);              // 16 x 16 cells of 96 px
//   if (auto cell = atlas.find(key)) atlas.add_image(list, *cell, min, max);  // inside atlas.begin()/end()
//   else atlas.put(key, thumbnail_rgba);                // queued; uploaded before the next draw
//   atlas.upload(commands, slot);                       // once a frame, outside the render pass
//
// Dear ImGui 1.86's Vulkan backend binds only its font, so thumbnails are drawn between begin()
// (a draw callback binding the atlas) and end() (back to the font); draw nothing else between.
// Main thread only.
#pragma once

#include <vulkan/vulkan.h>

#include <array>
#include <cstdint>
#include <deque>
#include <list>
#include <optional>
#include <string>
#include <unordered_map>

#include <imgui.h>

#include "engine/core/error.h"
#include "engine/core/image.h"
#include "engine/render/context.h"
#include "engine/render/resources.h"

namespace mirage::studio {

class ThumbnailAtlas {
 public:
  // Cells uploaded per frame at most: the rest wait for the next frames (the UI keeps its rate).
  static constexpr int kUploadsPerFrame = 24;

  ThumbnailAtlas() = default;
  ThumbnailAtlas(render::Context& context, int cell, int columns)
      : context_(&context), cell_(cell), columns_(columns) {}

  int cell() const { return cell_; }
  int capacity() const { return columns_ * columns_; }
  // The cell holding `key`'s thumbnail (uploaded), marked as used.
  std::optional<int> find(const std::string& key);
  bool pending(const std::string& key) const { return queued_keys_.contains(key); }
  // Queues `rgba` (cell x cell, RGBA8) for `key`; it takes the least recently used cell.
  void put(const std::string& key, Image rgba);
  Status upload(VkCommandBuffer commands, std::size_t slot);
  void forget_all();  // every cell free again (a set was edited: names may now mean other faces)

  void begin(ImDrawList* list) const;
  void add_image(ImDrawList* list, int cell, ImVec2 min, ImVec2 max) const;
  void end(ImDrawList* list) const;
  bool ready() const { return set_ != VK_NULL_HANDLE && initialised_; }

 private:
  Status create();

  render::Context* context_ = nullptr;
  int cell_ = 96;
  int columns_ = 16;
  render::GpuImage image_;
  std::array<render::Buffer, 2> staging_;
  render::DescriptorPool pool_;
  VkDescriptorSet set_ = VK_NULL_HANDLE;
  bool initialised_ = false;
  // Cells: key -> cell, and the keys in use order (front: most recent).
  std::unordered_map<std::string, std::pair<int, std::list<std::string>::iterator>> cells_;
  std::list<std::string> order_;
  std::deque<std::pair<std::string, Image>> queued_;
  std::unordered_map<std::string, bool> queued_keys_;
};

}  // namespace mirage::studio
