// The frame, or the region x, y, width, height of it, into out_image: BGR(A) or RGB(A) bytes
// from the staging buffer (rows of `stride` bytes), alpha 255 for three-channel frames. One
// thread per pixel.
#version 450
#include "composite_common.glsl"

layout(local_size_x = MIRAGE_IMAGE_GROUP_SIZE, local_size_y = MIRAGE_IMAGE_GROUP_SIZE) in;
layout(push_constant) uniform Push { FrameCopyPushConstants pc; };

void main() {
  const uvec2 p = gl_GlobalInvocationID.xy;
  if (p.x >= pc.width || p.y >= pc.height) return;
  const uint base = pc.offset * 4u + p.y * pc.stride + p.x * pc.channels;
  vec4 pixel = vec4(staging_byte(base), staging_byte(base + 1u), staging_byte(base + 2u),
                    pc.channels == 4u ? staging_byte(base + 3u) : 255.0) / 255.0;
  if (pc.bgr != 0u) pixel.rgb = pixel.bgr;
  imageStore(out_image, ivec2(pc.x + p.x, pc.y + p.y), pixel);
}
