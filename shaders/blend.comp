// Step 4 of the compositing maths (docs/ARCHITECTURE.md): blend the swapped face into the frame
// through the mask. The CPU reference in engine/swap is the oracle; tests/render compares to it.
#version 450
#extension GL_GOOGLE_include_directive : require
#include "shared_types.h"

layout(local_size_x = MIRAGE_IMAGE_GROUP_SIZE, local_size_y = MIRAGE_IMAGE_GROUP_SIZE) in;

layout(set = 0, binding = 0, rgba8) uniform readonly image2D frame_image;
layout(set = 0, binding = 1, rgba8) uniform readonly image2D face_image;
layout(set = 0, binding = 2, r8) uniform readonly image2D mask_image;
layout(set = 0, binding = 3, rgba8) uniform writeonly image2D out_image;

layout(push_constant) uniform Push {
  BlendPushConstants pc;
};

void main() {
  const ivec2 p = ivec2(gl_GlobalInvocationID.xy);
  // The dispatch is rounded up to whole workgroups; the extra threads fall outside the image.
  if (p.x >= int(pc.width) || p.y >= int(pc.height)) return;
  const vec4 frame = imageLoad(frame_image, p);
  const vec3 face = imageLoad(face_image, p).rgb;
  const float weight = clamp(pc.opacity, 0.0, 1.0) * imageLoad(mask_image, p).r;
  imageStore(out_image, p, vec4(mix(frame.rgb, face, weight), frame.a));
}
