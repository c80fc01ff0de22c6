// One level of a sparse table of row minima (or maxima) for the elliptical erosion: level k
// holds op over [x, x + 2^k) of the mask's row, from level k-1: op(t(x), t(x + 2^(k-1))).
#version 450
#include "composite_common.glsl"

layout(local_size_x = MIRAGE_IMAGE_GROUP_SIZE, local_size_y = MIRAGE_IMAGE_GROUP_SIZE) in;
layout(push_constant) uniform Push { MaskTablePushConstants pc; };

void main() {
  const uvec2 p = gl_GlobalInvocationID.xy;
  if (p.x >= pc.side || p.y >= pc.side) return;
  const uint row = p.y * pc.side;
  const float a = work[pc.src + row + p.x];
  float result = a;
  if (p.x + pc.half_width < pc.side) {
    const float b = work[pc.src + row + p.x + pc.half_width];
    result = pc.op == 0u ? min(a, b) : max(a, b);
  }
  work[pc.dst + row + p.x] = result;
}
