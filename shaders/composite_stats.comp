// Step 3, first half: per workgroup, the mask-weighted sums and sums of squares of the warped
// face and of the frame under it (L*a*b* for RCT, RGB for the mean shift). A tree reduction
// in shared memory; composite_stats_finish.comp adds the groups' partials.
#version 450
#include "composite_common.glsl"

layout(local_size_x = MIRAGE_IMAGE_GROUP_SIZE, local_size_y = MIRAGE_IMAGE_GROUP_SIZE) in;
layout(push_constant) uniform Push { StatsPushConstants pc; };

const uint kValues = 13u;
shared float sums[kValues][MIRAGE_REDUCE_GROUP_SIZE];

void main() {
  const uvec2 p = gl_GlobalInvocationID.xy;
  const uint t = gl_LocalInvocationIndex;
  float values[kValues];
  for (uint k = 0u; k < kValues; ++k) values[k] = 0.0;
  if (p.x < pc.roi_w && p.y < pc.roi_h) {
    const uint o = pc.warped + 4u * (p.y * pc.roi_w + p.x);
    const float w = work[o + 3u];
    vec3 face = vec3(work[o + 2u], work[o + 1u], work[o]);
    vec3 frame = imageLoad(out_image, ivec2(pc.roi_x + p.x, pc.roi_y + p.y)).rgb;
    if (pc.mode == 1u) {
      face = rgb_to_lab(face);
      frame = rgb_to_lab(frame);
    }
    values[0] = w;
    for (uint c = 0u; c < 3u; ++c) {
      values[1u + c] = w * face[c];
      values[4u + c] = w * face[c] * face[c];
      values[7u + c] = w * frame[c];
      values[10u + c] = w * frame[c] * frame[c];
    }
  }
  for (uint k = 0u; k < kValues; ++k) sums[k][t] = values[k];
  barrier();
  for (uint stride = MIRAGE_REDUCE_GROUP_SIZE / 2u; stride > 0u; stride >>= 1u) {
    if (t < stride) {
      for (uint k = 0u; k < kValues; ++k) sums[k][t] += sums[k][t + stride];
    }
    barrier();
  }
  if (t == 0u) {
    const uint group = gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
    for (uint k = 0u; k < kValues; ++k) work[pc.partials + group * MIRAGE_STATS_FLOATS + k] = sums[k][0];
  }
}
