// Step 2: the face and its mask back to frame space over the face's region, sampled as
// OpenCV's warpAffine does (INTER_LINEAR, BORDER_CONSTANT 0): positions in 1/32 pixel from the
// fixed-point coordinates the CPU prepared, bilinear weights of that 1/32 grid, taps outside
// the crop reading 0.
#version 450
#include "composite_common.glsl"

layout(local_size_x = MIRAGE_IMAGE_GROUP_SIZE, local_size_y = MIRAGE_IMAGE_GROUP_SIZE) in;
layout(push_constant) uniform Push { WarpPushConstants pc; };

vec4 crop_texel(int x, int y) {
  const int side = int(pc.side);
  if (x < 0 || y < 0 || x >= side || y >= side) return vec4(0.0);
  const uint i = uint(y * side + x);
  const uint f = pc.face + 3u * i;
  return vec4(staging_float(f), staging_float(f + 1u), staging_float(f + 2u), work[pc.mask + i]);
}

void main() {
  const uvec2 p = gl_GlobalInvocationID.xy;
  if (p.x >= pc.roi_w || p.y >= pc.roi_h) return;
  const uint adelta = pc.coords, bdelta = pc.coords + pc.roi_w;
  const uint x0 = pc.coords + 2u * pc.roi_w, y0 = x0 + pc.roi_h;
  const int fx_fixed = (staging_int(x0 + p.y) + staging_int(adelta + p.x)) >> 5;
  const int fy_fixed = (staging_int(y0 + p.y) + staging_int(bdelta + p.x)) >> 5;
  const int sx = fx_fixed >> 5, sy = fy_fixed >> 5;
  const float tx = float(fx_fixed & 31) * (1.0 / 32.0);
  const float ty = float(fy_fixed & 31) * (1.0 / 32.0);
  const vec4 value = crop_texel(sx, sy) * ((1.0 - ty) * (1.0 - tx)) +
                     crop_texel(sx + 1, sy) * ((1.0 - ty) * tx) +
                     crop_texel(sx, sy + 1) * (ty * (1.0 - tx)) +
                     crop_texel(sx + 1, sy + 1) * (ty * tx);
  const uint o = pc.dst + 4u * (p.y * pc.roi_w + p.x);
  work[o] = value.x;
  work[o + 1u] = value.y;
  work[o + 2u] = value.z;
  work[o + 3u] = value.w;
}
