// Step 3, second half: one invocation adds the rows' sums of composite_stats.comp (double
// would be exact, but a few hundred float rows of float sums stay within 1e-6 relative) and
// turns the weighted means and standard deviations into the colour transform the blend
// applies: RCT: gain = std_frame / max(std_face, 1e-3), offset = mean_frame - mean_face * gain;
// mean shift: gain 1, offset = mean_frame - mean_face. Skipped (apply 0) when the mask's total
// weight is below one pixel, as on the CPU.
#version 450
#include "composite_common.glsl"

layout(local_size_x = 1) in;
layout(push_constant) uniform Push { StatsPushConstants pc; };

const uint kValues = 13u;

void main() {
  float sums[kValues];
  for (uint k = 0u; k < kValues; ++k) sums[k] = 0.0;
  for (uint row = 0u; row < pc.count; ++row) {
    for (uint k = 0u; k < kValues; ++k) sums[k] += work[pc.partials + row * MIRAGE_STATS_FLOATS + k];
  }
  const float total = sums[0];
  const bool apply = total >= 1.0;
  work[pc.params] = apply ? 1.0 : 0.0;
  for (uint c = 0u; c < 3u; ++c) {
    float gain = 1.0, offset = 0.0;
    if (apply) {
      const float mean_face = sums[1u + c] / total;
      const float mean_frame = sums[7u + c] / total;
      if (pc.mode == 1u) {
        const float std_face = sqrt(max(0.0, sums[4u + c] / total - mean_face * mean_face));
        const float std_frame = sqrt(max(0.0, sums[10u + c] / total - mean_frame * mean_frame));
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
