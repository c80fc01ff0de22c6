// Under AddressSanitizer only: keeps this machine's Vulkan drivers and layers loaded for the whole
// process, so that LeakSanitizer can name the few bytes they leak at exit (and
// tools/sanitize/lsan.supp suppress exactly those). A no-op in other builds.
//
//   pin_vulkan_libraries_for_leak_checks();   // before the first Vulkan call that loads drivers
//
// Linking this file also pins at start-up (a static initializer), before GLFW or anything else
// asks the Vulkan loader for its drivers.
#pragma once

namespace mirage::render {

void pin_vulkan_libraries_for_leak_checks();

}  // namespace mirage::render
