#include "engine/render/leak_check_pin.h"

#if defined(__SANITIZE_ADDRESS__)
#include <dlfcn.h>
#include <glob.h>

#include <cstddef>
#include <initializer_list>
#endif

namespace mirage::render {

// Some drivers and layers (lavapipe and its LLVM, the validation layer, the drivers for absent
// GPUs that the loader unloads at once) leak a few bytes that LeakSanitizer reports at exit; once
// the loader has unloaded them the report has no names to suppress by. Loaded here with
// RTLD_NODELETE, they stay, and the report names them.
void pin_vulkan_libraries_for_leak_checks() {
#if defined(__SANITIZE_ADDRESS__)
  static const bool pinned = [] {
    glob_t found{};
    for (const char* pattern : {"/usr/lib/*/libvulkan_*.so", "/usr/lib/*/libVkLayer_*.so"}) {
      (void)glob(pattern, found.gl_pathc > 0 ? GLOB_APPEND : 0, nullptr, &found);
    }
    for (std::size_t i = 0; i < found.gl_pathc; ++i) (void)dlopen(found.gl_pathv[i], RTLD_NOW | RTLD_NODELETE);
    globfree(&found);
    return true;
  }();
  (void)pinned;
#endif
}

namespace {
#if defined(__SANITIZE_ADDRESS__)
[[maybe_unused]] const bool kPinnedAtStart = (pin_vulkan_libraries_for_leak_checks(), true);
#endif
}  // namespace

}  // namespace mirage::render
