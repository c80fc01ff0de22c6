// Step 1b: grey-level erosion or dilation of the mask with OpenCV's elliptical structuring
// element (pixels outside the crop count as 0). Each of the element's rows is a span of one
// mask row; its minimum (maximum) is two look-ups in the sparse table of row spans.
#version 450
#include "composite_common.glsl"

layout(local_size_x = MIRAGE_IMAGE_GROUP_SIZE, local_size_y = MIRAGE_IMAGE_GROUP_SIZE) in;
layout(push_constant) uniform Push { MaskMorphPushConstants pc; };

float table_at(uint level, int x, int y) {
  const uint base = level == 0u ? pc.src : pc.table + (level - 1u) * pc.side * pc.side;
  return work[base + uint(y) * pc.side + uint(x)];
}

// op over the span [a, b] of row y (a <= b, both inside the row).
float span(int a, int b, int y) {
  const uint length = uint(b - a + 1);
  const uint level = min(uint(findMSB(length)), pc.levels);
  const int width = 1 << level;
  const float left = table_at(level, a, y);
  const float right = table_at(level, b - width + 1, y);
  return pc.op == 0u ? min(left, right) : max(left, right);
}

void main() {
  const ivec2 p = ivec2(gl_GlobalInvocationID.xy);
  const int side = int(pc.side);
  if (p.x >= side || p.y >= side) return;
  const bool erode = pc.op == 0u;
  float result = erode ? 1.0e30 : 0.0;
  for (int dy = -pc.radius; dy <= pc.radius; ++dy) {
    const int y = p.y + dy;
    const int half_width = staging_int(pc.half_widths + uint(dy + pc.radius));
    int a = p.x - half_width, b = p.x + half_width;
    if (y < 0 || y >= side || a < 0 || b >= side) {
      // The element reaches outside the crop, where the mask counts as 0.
      if (erode) {
        result = 0.0;
        break;
      }
      if (y < 0 || y >= side) continue;
      a = max(a, 0);
      b = min(b, side - 1);
    }
    const float value = span(a, b, y);
    result = erode ? min(result, value) : max(result, value);
  }
  work[pc.dst + uint(p.y * side + p.x)] = result;
}
