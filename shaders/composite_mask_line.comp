// Steps 1a, 1c and 1d: the per-side erosion (a minimum over a window), the Gaussian feather
// (one axis of the separable kernel) and the fade to the crop border. Pixels outside the crop
// count as 0, as in the CPU reference (BORDER_CONSTANT 0).
#version 450
#include "composite_common.glsl"

layout(local_size_x = MIRAGE_IMAGE_GROUP_SIZE, local_size_y = MIRAGE_IMAGE_GROUP_SIZE) in;
layout(push_constant) uniform Push { MaskLinePushConstants pc; };

float mask_at(int x, int y) {
  const int side = int(pc.side);
  if (x < 0 || y < 0 || x >= side || y >= side) return 0.0;
  return work[pc.src + uint(y * side + x)];
}

void main() {
  const ivec2 p = ivec2(gl_GlobalInvocationID.xy);
  const int side = int(pc.side);
  if (p.x >= side || p.y >= side) return;
  // The window's part inside the crop: taps outside read 0, so they are skipped (a sum) or
  // decide the result (a minimum), and no tap needs a bounds test of its own.
  const int i = pc.axis == 0u ? p.x : p.y;
  const int first = max(pc.lo, -i), last = min(pc.hi, side - 1 - i);
  const int stride = pc.axis == 0u ? 1 : side;
  const int centre = p.y * side + p.x;
  float result;
  if (pc.op == 0u) {
    result = first > pc.lo || last < pc.hi ? 0.0 : 1.0e30;
    for (int k = first; k <= last && result > 0.0; ++k) result = min(result, work[pc.src + uint(centre + k * stride)]);
  } else if (pc.op == 1u) {
    result = 0.0;
    for (int k = first; k <= last; ++k) {
      result += staging_float(pc.weights + uint(k - pc.lo)) * work[pc.src + uint(centre + k * stride)];
    }
  } else {
    const int d = min(min(p.x, p.y), min(side - 1 - p.x, side - 1 - p.y));
    result = mask_at(p.x, p.y) * clamp(float(d) / pc.fade_px, 0.0, 1.0);
  }
  work[pc.dst + uint(p.y * side + p.x)] = result;
}
