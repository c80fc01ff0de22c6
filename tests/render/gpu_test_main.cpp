// main() of render_gpu_tests: skips the whole binary (exit 77, which ctest reports as skipped)
// when the machine has no Vulkan device, and turns validation on before any Context exists.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>

#include "engine/render/device_info.h"

int main(int argc, char** argv) {
  // Not overwritten: MIRAGE_VULKAN_VALIDATION=0 still lets someone time a run without layers.
  setenv("MIRAGE_VULKAN_VALIDATION", "1", 0);
  const auto devices = mirage::render::list_devices();
  if (!devices) {
    std::printf("skipped: %s\n", devices.error().to_string().c_str());
    return 77;
  }
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
