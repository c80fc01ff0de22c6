// SPIR-V of every shader in shaders/, compiled by glslc at build time and linked into the binary.
//
//   const std::span<const std::uint32_t> code = mirage::shaders::spirv(ShaderId::kCompositeBlend);
//   VkShaderModuleCreateInfo info{...,.codeSize = code.size_bytes(), .pCode = code.data()};
//
// The words live in static storage for the life of the program. Adding a shader: list it in
// shaders/CMakeLists.txt, add an id here and a line in embedded.cpp.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace mirage::shaders {

// The compositing passes (engine/render/compositor.h); each one's push constants are the
// struct of shared_types.h its comment names, its bindings those of composite_common.glsl.
enum class ShaderId {
  kCompositeFrameUnpack,
  kCompositeFramePack,
  kCompositeMaskInit,
  kCompositeMaskLine,
  kCompositeMaskTable,
  kCompositeMaskMorph,
  kCompositeWarp,
  kCompositeStats,
  kCompositeStatsFinish,
  kCompositeBlend,
  kCompositeSharpenRows,
  kCompositeSharpen,
  kCompositeDetail,
  kCount,
};

// The SPIR-V words of a shader (target environment Vulkan 1.2). Never empty.
std::span<const std::uint32_t> spirv(ShaderId id);
// The source file name ("composite_blend.comp"), for object names and messages.
std::string_view name(ShaderId id);

}  // namespace mirage::shaders
