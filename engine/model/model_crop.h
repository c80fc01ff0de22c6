// Where a model looks: the square of an engine/face aligned crop (coverage 0.6, the template's
// face box centred on the point (0.5, kCropCentreY)) that is resized to the model's input. A
// property of each trained model, saved in its checkpoint's header: training, swapping and eval
// all cut a face the way its model was trained on it. Torch-free; pure functions.
//
//   const model::ModelCrop crop = model::kFaceCrop;                 // new models
//   std::array<double, 6> m = model::model_to_aligned(64, 256, crop);  // model px -> aligned px
//
// kFaceCrop (since 2026-12-07): a square of 0.68 of the aligned side, its centre 0.055 of the side
// below the aligned crop's centre. In a 256 px aligned crop the template's face box (brows to
// chin, 154 px) then sits inside the 174 px square with 8-12 px to spare on every side: the model
// spends its pixels on the face rather than on the forehead and hair above it, and the chin is no
// longer at the square's edge. kLegacyCrop (the central 0.75, 192 of 256 px: 80 % face box, the
// chin within 4 px of the bottom) is what models trained before that date saw; their checkpoints
// carry no crop and are read with it. Measured: docs/results/swap_quality.md.
#pragma once

#include <array>

#include "engine/core/error.h"

namespace mirage::model {

struct ModelCrop {
  double fraction = 0.75;  // side of the model's square / side of the aligned crop
  double shift_y = 0.0;    // the square's centre below the aligned crop's centre / aligned side
  bool operator==(const ModelCrop&) const = default;
};

inline constexpr ModelCrop kLegacyCrop{0.75, 0.0};
inline constexpr ModelCrop kFaceCrop{0.68, 0.055};

// ok() when the square lies inside the aligned crop and is at least a third of it; otherwise
// kInvalidArgument naming the field.
Status validate(const ModelCrop& crop);

// Row-major 2x3 affine matrix mapping a model pixel (x, y) in [0, resolution) to the pixel of an
// aligned crop of side aligned_size (pixel centres at integer coordinates, as cv::warpAffine
// expects): x_aligned = m[0] x + m[1] y + m[2], y_aligned = m[3] x + m[4] y + m[5].
std::array<double, 6> model_to_aligned(int resolution, int aligned_size, const ModelCrop& crop);

}  // namespace mirage::model
