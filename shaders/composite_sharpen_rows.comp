// Step 5, first half: the horizontal Gaussian of the blended frame over the face's columns,
// for the rows the vertical pass reads (the frame border replicated).
#version 450
#include "composite_common.glsl"

layout(local_size_x = MIRAGE_IMAGE_GROUP_SIZE, local_size_y = MIRAGE_IMAGE_GROUP_SIZE) in;
layout(push_constant) uniform Push { SharpenPushConstants pc; };

void main() {
  const uvec2 p = gl_GlobalInvocationID.xy;
  if (p.x >= pc.roi_w || p.y >= pc.rows) return;
  const int y = int(pc.row0 + p.y);
  const int last = int(pc.frame_w) - 1;
  vec3 sum = vec3(0.0);
  for (int k = -pc.radius; k <= pc.radius; ++k) {
    const int x = clamp(int(pc.roi_x + p.x) + k, 0, last);
    const vec3 v = roundEven(imageLoad(out_image, ivec2(x, y)).rgb * 255.0);
    sum += staging_float(pc.weights + uint(k + pc.radius)) * v;
  }
  const uint o = pc.rows_buffer + 3u * (p.y * pc.roi_w + p.x);
  work[o] = sum.r;
  work[o + 1u] = sum.g;
  work[o + 2u] = sum.b;
}
