// The ImGui panels of Mirage Studio. Each takes what it shows as plain values; none owns state.
//
//   draw_about_panel({.device = context.device_info(), .validation = true, .frame_ms = 16.7f});
#pragma once

#include "engine/render/device_info.h"

namespace mirage::studio {

struct AboutPanelInfo {
  render::DeviceInfo device;
  bool validation = false;
  float frame_ms = 0.0f;  // CPU time between frames, smoothed
  unsigned width = 0;     // swapchain size in pixels
  unsigned height = 0;
};

// A titled separator between a panel's parts (ImGui 1.86 has no SeparatorText()).
void section(const char* title);

// Mirage's version, every dependency's version (mirage/build_info.h) and the Vulkan device.
void draw_about_panel(const AboutPanelInfo& info);

}  // namespace mirage::studio
