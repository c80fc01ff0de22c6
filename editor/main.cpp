// mirage-studio: the Mirage Studio editor. Errors are one line on stderr: exit 2 for bad
// options, 1 for anything else (no display, no Vulkan device, a failed frame).
#include <cstdio>
#include <span>

#include "editor/studio_app.h"
#include "editor/studio_options.h"

namespace {

int report(const mirage::Error& error, int exit_code) {
  std::fprintf(stderr, "mirage-studio: %s\n", error.to_string().c_str());
  return exit_code;
}

}  // namespace

int main(int argc, char** argv) {
  const auto options =
      mirage::studio::parse_studio_options(std::span<char* const>(argv + 1, argc - 1));
  if (!options) return report(options.error(), 2);
  if (options->help) {
    std::fputs(mirage::studio::kStudioUsage, stdout);
    return 0;
  }
  auto app = mirage::studio::StudioApp::create(*options);
  if (!app) return report(app.error(), 1);
  if (auto status = (*app)->run(); !status) return report(status.error(), 1);
  return 0;
}
