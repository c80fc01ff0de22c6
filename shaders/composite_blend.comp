// Steps 3 (applying the colour transform), 3b (adding the detail the passes before left in
// work) and 4 (blend) over the face's region of out_image:
// out = frame * (1 - a*m) + face * 255 * (a*m), rounded to nearest even, as on the CPU.
// Pixels with a*m <= 0 keep their exact value.
#version 450
#include "composite_common.glsl"

layout(local_size_x = MIRAGE_IMAGE_GROUP_SIZE, local_size_y = MIRAGE_IMAGE_GROUP_SIZE) in;
layout(push_constant) uniform Push { BlendPushConstants pc; };

void main() {
  const uvec2 p = gl_GlobalInvocationID.xy;
  if (p.x >= pc.roi_w || p.y >= pc.roi_h) return;
  const uint o = pc.warped + 4u * (p.y * pc.roi_w + p.x);
  const float w = pc.opacity * work[o + 3u];
  if (w <= 0.0) return;
  vec3 face = vec3(work[o + 2u], work[o + 1u], work[o]);
  if (pc.mode != 0u && work[pc.params] != 0.0) {
    const vec3 gain = vec3(work[pc.params + 1u], work[pc.params + 2u], work[pc.params + 3u]);
    const vec3 offset = vec3(work[pc.params + 4u], work[pc.params + 5u], work[pc.params + 6u]);
    face = pc.mode == 1u ? lab_to_rgb(rgb_to_lab(face) * gain + offset) : face + offset;
    face = clamp(face, 0.0, 1.0);
  }
  if (pc.detail_amount > 0.0) {
    const uint d = pc.detail + 3u * (p.y * pc.roi_w + p.x);
    face += pc.detail_amount / 255.0 * vec3(work[d], work[d + 1u], work[d + 2u]);
  }
  const ivec2 q = ivec2(pc.roi_x + p.x, pc.roi_y + p.y);
  const vec4 frame = imageLoad(out_image, q);
  vec3 result;
  for (int c = 0; c < 3; ++c) {
    const float v = roundEven(frame[c] * 255.0);
    result[c] = to_byte(v * (1.0 - w) + face[c] * 255.0 * w);
  }
  imageStore(out_image, q, vec4(result / 255.0, frame.a));
}
