// SPIR-V of every shader in shaders/, compiled by glslc at build time and linked into the binary.
//
//   const std::span<const std::uint32_t> code = mirage::shaders::spirv(ShaderId::kBlend);
//   VkShaderModuleCreateInfo info{...,.codeSize = code.size_bytes(), .pCode = code.data()};
//
// The words live in static storage for the life of the program. Adding a shader: list it in
// shaders/CMakeLists.txt, add an id here and a line in embedded.cpp.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace mirage::shaders {

enum class ShaderId {
  kBlend,  // blend.comp: BlendPushConstants (shared_types.h); bindings frame, face, mask, out
};

// The SPIR-V words of a shader (target environment Vulkan 1.2). Never empty.
std::span<const std::uint32_t> spirv(ShaderId id);
// The source file name ("blend.comp"), for object names and messages.
std::string_view name(ShaderId id);

}  // namespace mirage::shaders
