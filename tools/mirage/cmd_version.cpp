#include <cstdio>

#include "engine/model/runtime.h"
#include "mirage/build_info.h"
#include "tools/mirage/commands.h"
#include "tools/mirage/options.h"
#if MIRAGE_WITH_RENDER
#include "engine/render/device_info.h"
#endif

namespace mirage::cli {

int run_version(const Args& args) {
  Options options("version");
  if (auto status = options.parse(args); !status) return usage_error(options, status.error());
  if (options.wants_help()) {
    std::printf("usage: mirage version\n  Prints the versions of Mirage and its dependencies and the devices it can use.\n");
    return 0;
  }

  std::printf("mirage %s (%s, %s%s%s)\n", build_info::kVersion, build_info::kBuildType,
              build_info::kCompiler, *build_info::kSanitizer ? ", sanitizer " : "",
              build_info::kSanitizer);
  std::printf("dependencies:\n");
  for (const auto& dependency : build_info::kDependencies) {
    std::printf("  %-15s %s\n", dependency.name, dependency.version);
  }
  std::printf("compute:\n%s", model::describe(model::runtime_info()).c_str());
#if MIRAGE_WITH_RENDER
  std::printf("vulkan:\n");
  const auto devices = render::list_devices();
  if (!devices) {
    std::printf("  no device: %s\n", devices.error().message.c_str());
  } else {
    for (const auto& device : *devices) {
      std::printf("  device: %s (%s, Vulkan %s, %s)\n", device.name.c_str(), device.type.c_str(),
                  device.api_version.c_str(), device.driver.c_str());
    }
  }
#else
  std::printf("vulkan: not built in (model-only build)\n");
#endif
  return 0;
}

}  // namespace mirage::cli
