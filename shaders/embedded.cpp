#include "shaders/embedded.h"

namespace mirage::shaders {
namespace {

// Each .spv.inc is glslc -mfmt=num output (comma-separated words) written into the build tree.
constexpr std::uint32_t kBlendSpirv[] = {
#include "blend.comp.spv.inc"
};

}  // namespace

std::span<const std::uint32_t> spirv(ShaderId id) {
  switch (id) {
    case ShaderId::kBlend: return kBlendSpirv;
  }
  return {};
}

std::string_view name(ShaderId id) {
  switch (id) {
    case ShaderId::kBlend: return "blend.comp";
  }
  return "?";
}

}  // namespace mirage::shaders
