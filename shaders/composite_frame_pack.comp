// A region of out_image into the readback buffer as tightly packed 3-byte pixels (BGR when
// bgr != 0, else RGB). One thread per 32-bit word, so no two threads write the same word.
#version 450
#include "composite_common.glsl"

layout(local_size_x = MIRAGE_REDUCE_GROUP_SIZE) in;
layout(push_constant) uniform Push { FrameCopyPushConstants pc; };

void main() {
  const uint word = gl_GlobalInvocationID.x;
  const uint bytes = pc.width * pc.height * 3u;
  if (word * 4u >= bytes) return;
  uint packed = 0u;
  for (uint k = 0u; k < 4u; ++k) {
    const uint byte_index = word * 4u + k;
    if (byte_index >= bytes) break;
    const uint pixel = byte_index / 3u;
    uint channel = byte_index - pixel * 3u;
    if (pc.bgr != 0u) channel = 2u - channel;
    const ivec2 p = ivec2(pc.x + pixel % pc.width, pc.y + pixel / pc.width);
    const uint value = uint(roundEven(imageLoad(out_image, p)[channel] * 255.0));
    packed |= value << (8u * k);
  }
  readback[pc.offset + word] = packed;
}
