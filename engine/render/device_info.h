// What Vulkan devices this machine has, for `mirage --version` and diagnostics.
//
//   auto devices = mirage::render::list_devices();
//   if (!devices) std::puts(devices.error().to_string().c_str());   // no loader driver / device
//   else for (const auto& d : *devices) std::printf("%s (%s)\n", d.name.c_str(), d.type.c_str());
//
// Needs no display and no window. Creates and destroys its own instance (no validation layers),
// so it is cheap enough for a --version but not for a frame loop. Thread-safe.
#pragma once

#include <string>
#include <vector>

#include "engine/core/error.h"

namespace mirage::render {

struct DeviceInfo {
  std::string name;         // "NVIDIA GeForce RTX 4090", "llvmpipe (LLVM 15.0.6, 256 bits)"
  std::string type;         // "discrete GPU" | "integrated GPU" | "virtual GPU" | "CPU" | "other"
  std::string api_version;  // the device's Vulkan version, "1.3.230"
  std::string driver;       // "llvmpipe: Mesa 22.3.6 (LLVM 15.0.6)", or the raw driver version
};

// Every physical device in the loader's order (the order MIRAGE_VULKAN_DEVICE=<index> counts in).
// ErrorCode::kDevice with a message that says how to get a device when there is no Vulkan
// driver or no device; never an empty vector.
Result<std::vector<DeviceInfo>> list_devices();

}  // namespace mirage::render
