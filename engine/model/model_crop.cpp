#include "engine/model/model_crop.h"

#include <cmath>

namespace mirage::model {

Status validate(const ModelCrop& crop) {
  if (!(std::isfinite(crop.fraction) && crop.fraction >= 1.0 / 3.0 && crop.fraction <= 1.0)) {
    return fail(ErrorCode::kInvalidArgument, "model crop fraction must be in [1/3, 1], got {}", crop.fraction);
  }
  // The square [c - f/2, c + f/2] (in aligned sides, c = 0.5 + shift) must stay inside [0, 1].
  if (!(std::isfinite(crop.shift_y) && std::abs(crop.shift_y) <= (1.0 - crop.fraction) / 2.0 + 1e-12)) {
    return fail(ErrorCode::kInvalidArgument, "model crop shift {} puts a square of {} outside the aligned crop",
                crop.shift_y, crop.fraction);
  }
  return ok();
}

std::array<double, 6> model_to_aligned(int resolution, int aligned_size, const ModelCrop& crop) {
  const double side = crop.fraction * aligned_size;
  const double scale = side / resolution;
  const double offset = (aligned_size - side) / 2.0 + 0.5 * scale - 0.5;
  return {scale, 0.0, offset, 0.0, scale, offset + crop.shift_y * aligned_size};
}

}  // namespace mirage::model
