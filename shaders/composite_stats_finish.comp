// Step 3, second half: one workgroup adds the partial sums of composite_stats.comp and turns
// the weighted means and standard deviations into the colour transform the blend applies:
// RCT: gain = std_frame / max(std_face, 1e-3), offset = mean_frame - mean_face * gain;
// mean shift: gain 1, offset = mean_frame - mean_face. Skipped (apply 0) when the mask's total
// weight is below one pixel, as on the CPU.
#version 450
#include "composite_common.glsl"

layout(local_size_x = MIRAGE_REDUCE_GROUP_SIZE) in;
layout(push_constant) uniform Push { StatsPushConstants pc; };

const uint kValues = 13u;
shared float sums[kValues][MIRAGE_REDUCE_GROUP_SIZE];

void main() {
  const uint t = gl_LocalInvocationIndex;
  float values[kValues];
  for (uint k = 0u; k < kValues; ++k) values[k] = 0.0;
  for (uint g = t; g < pc.count; g += MIRAGE_REDUCE_GROUP_SIZE) {
    for (uint k = 0u; k < kValues; ++k) values[k] += work[pc.partials + g * MIRAGE_STATS_FLOATS + k];
  }
  for (uint k = 0u; k < kValues; ++k) sums[k][t] = values[k];
  barrier();
  for (uint stride = MIRAGE_REDUCE_GROUP_SIZE / 2u; stride > 0u; stride >>= 1u) {
    if (t < stride) {
      for (uint k = 0u; k < kValues; ++k) sums[k][t] += sums[k][t + stride];
    }
    barrier();
  }
  if (t != 0u) return;
  const float total = sums[0][0];
  const bool apply = total >= 1.0;
  work[pc.params] = apply ? 1.0 : 0.0;
  for (uint c = 0u; c < 3u; ++c) {
    float gain = 1.0, offset = 0.0;
    if (apply) {
      const float mean_face = sums[1u + c][0] / total;
      const float mean_frame = sums[7u + c][0] / total;
      if (pc.mode == 1u) {
        const float std_face = sqrt(max(0.0, sums[4u + c][0] / total - mean_face * mean_face));
        const float std_frame = sqrt(max(0.0, sums[10u + c][0] / total - mean_frame * mean_frame));
        gain = std_frame / max(std_face, 1e-3);
        offset = mean_frame - mean_face * gain;
      } else {
        offset = mean_frame - mean_face;
      }
    }
    work[pc.params + 1u + c] = gain;
    work[pc.params + 4u + c] = offset;
  }
}
