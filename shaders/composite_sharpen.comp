// Step 5, second half: the vertical Gaussian (rounded to 8 bits, as OpenCV's blur of an 8-bit
// image), then the unsharp mask out += a*k * amount * (out - blur), k = clamp((m - core) /
// (1 - core), 0, 1) of the mask m, only where a*k > 0.
#version 450
#include "composite_common.glsl"

layout(local_size_x = MIRAGE_IMAGE_GROUP_SIZE, local_size_y = MIRAGE_IMAGE_GROUP_SIZE) in;
layout(push_constant) uniform Push { SharpenPushConstants pc; };

void main() {
  const uvec2 p = gl_GlobalInvocationID.xy;
  if (p.x >= pc.roi_w || p.y >= pc.roi_h) return;
  const float m = work[pc.warped + 4u * (p.y * pc.roi_w + p.x) + 3u];
  const float w = pc.opacity * clamp((m - pc.core) / (1.0 - pc.core), 0.0, 1.0);
  if (w <= 0.0) return;
  const int y = int(pc.roi_y + p.y);
  const vec3 blur = column_blur(pc, p.x, y);
  const ivec2 q = ivec2(pc.roi_x + p.x, y);
  const vec4 pixel = imageLoad(out_image, q);
  const vec3 v = roundEven(pixel.rgb * 255.0);
  vec3 result;
  for (int c = 0; c < 3; ++c) result[c] = to_byte(v[c] + w * pc.amount * (v[c] - blur[c]));
  imageStore(out_image, q, vec4(result / 255.0, pixel.a));
}
