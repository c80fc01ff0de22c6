// Step 3, first half: per row of the face's region, the mask-weighted sums and sums of squares
// of the warped face and of the frame under it (L*a*b* for RCT, RGB for the mean shift). One
// invocation per row and no shared memory: llvmpipe (lavapipe) runs every barrier as a
// coroutine switch, which made a tree reduction 20x slower there than this, while a real GPU
// finishes a few hundred rows either way. composite_stats_finish.comp adds the rows.
#version 450
#include "composite_common.glsl"

layout(local_size_x = 64) in;
layout(push_constant) uniform Push { StatsPushConstants pc; };

const uint kValues = 13u;

void main() {
  const uint y = gl_GlobalInvocationID.x;
  if (y >= pc.roi_h) return;
  float sums[kValues];
  for (uint k = 0u; k < kValues; ++k) sums[k] = 0.0;
  for (uint x = 0u; x < pc.roi_w; ++x) {
    const uint o = pc.warped + 4u * (y * pc.roi_w + x);
    const float w = work[o + 3u];
    if (w <= 0.0) continue;
    vec3 face = vec3(work[o + 2u], work[o + 1u], work[o]);
    vec3 frame = imageLoad(out_image, ivec2(pc.roi_x + x, pc.roi_y + y)).rgb;
    if (pc.mode == 1u) {
      face = rgb_to_lab(face);
      frame = rgb_to_lab(frame);
    }
    sums[0] += w;
    for (uint c = 0u; c < 3u; ++c) {
      sums[1u + c] += w * face[c];
      sums[4u + c] += w * face[c] * face[c];
      sums[7u + c] += w * frame[c];
      sums[10u + c] += w * frame[c] * frame[c];
    }
  }
  for (uint k = 0u; k < kValues; ++k) work[pc.partials + y * MIRAGE_STATS_FLOATS + k] = sums[k];
}
