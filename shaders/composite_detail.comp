// Step 3b, second half (the first is composite_sharpen_rows.comp with the detail's kernel): the
// vertical Gaussian of the frame under this face (rounded to 8 bits, as OpenCV's blur of an
// 8-bit image), and the high-pass out - blur into work `detail`, only where a*m > 0 (the blend
// reads nothing else).
#version 450
#include "composite_common.glsl"

layout(local_size_x = MIRAGE_IMAGE_GROUP_SIZE, local_size_y = MIRAGE_IMAGE_GROUP_SIZE) in;
layout(push_constant) uniform Push { SharpenPushConstants pc; };

void main() {
  const uvec2 p = gl_GlobalInvocationID.xy;
  if (p.x >= pc.roi_w || p.y >= pc.roi_h) return;
  const uint pixel = p.y * pc.roi_w + p.x;
  if (pc.opacity * work[pc.warped + 4u * pixel + 3u] <= 0.0) return;
  const int y = int(pc.roi_y + p.y);
  const vec3 blur = column_blur(pc, p.x, y);
  const vec3 v = roundEven(imageLoad(out_image, ivec2(pc.roi_x + p.x, y)).rgb * 255.0);
  const vec3 high = v - blur;
  const uint o = pc.detail + 3u * pixel;
  work[o] = high.r;
  work[o + 1u] = high.g;
  work[o + 2u] = high.b;
}
