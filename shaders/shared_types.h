// Push-constant structs and workgroup sizes shared by the C++ side (engine/render) and GLSL.
//
//   C++:  #include "shaders/shared_types.h"
//         mirage::shaders::BlendPushConstants push{.opacity = 0.8f, ...};
//   GLSL: #include "shared_types.h"
//         layout(push_constant) uniform Push { BlendPushConstants pc; };
//
// Rules that keep both sides byte-identical: push constants use std430 layout, so only 4-byte
// scalars (float, uint, int) go in these structs, in declaration order, padded by hand to a
// multiple of 16 bytes. The C++ side static_asserts each struct's size.
#ifndef MIRAGE_SHADERS_SHARED_TYPES_H
#define MIRAGE_SHADERS_SHARED_TYPES_H

#ifdef __cplusplus
#include <cstdint>
namespace mirage::shaders {
using uint = std::uint32_t;
#endif

// Threads per workgroup along x and y of the image passes (one thread per pixel).
#define MIRAGE_IMAGE_GROUP_SIZE 16

// blend.comp: out.rgb = frame.rgb * (1 - opacity * mask) + face.rgb * (opacity * mask),
// out.a = frame.a. opacity in [0, 1] (clamped in the shader); width/height in pixels.
struct BlendPushConstants {
  float opacity;
  uint width;
  uint height;
  uint padding;
};

#ifdef __cplusplus
static_assert(sizeof(BlendPushConstants) == 16);
}  // namespace mirage::shaders
#endif

#endif  // MIRAGE_SHADERS_SHARED_TYPES_H
