// Step 1 of the compositing maths: the crop-space mask m = learned x hull.
#version 450
#include "composite_common.glsl"

layout(local_size_x = MIRAGE_IMAGE_GROUP_SIZE, local_size_y = MIRAGE_IMAGE_GROUP_SIZE) in;
layout(push_constant) uniform Push { MaskInitPushConstants pc; };

void main() {
  const uvec2 p = gl_GlobalInvocationID.xy;
  if (p.x >= pc.side || p.y >= pc.side) return;
  const uint i = p.y * pc.side + p.x;
  float m = pc.learned == MIRAGE_NO_DATA ? 1.0 : staging_float(pc.learned + i);
  if (pc.hull != MIRAGE_NO_DATA) m *= float(staging_byte(pc.hull * 4u + i)) * (1.0 / 255.0);
  work[pc.dst + i] = m;
}
