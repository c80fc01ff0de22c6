// The weights of the training loss terms (FACESWAP-FACTS.md sections 3 and 4). Torch-free, so
// front ends and configs can set them; engine/model/losses.h computes the terms.
//
//   LossWeights weights;            // the defaults below
//   weights.ssim = 0;               // turn a term off
//   trainer.send(SetLossWeights{weights});
#pragma once

#include "engine/core/config.h"
#include "engine/core/error.h"

namespace mirage::model {

struct LossWeights {
  double l1 = 1.0;           // mean |rgb - target|, each pixel weighted by the eye/mouth priority
  double ssim = 1.0;         // DSSIM = (1 - SSIM) / 2 over 7x7 Gaussian windows
  double ssim_coarse = 0.0;  // DSSIM of the 2x2-averaged pair: structure at twice the scale
  double mask = 0.5;         // mean (mask - landmark hull)^2
  double eyes = 3.0;         // extra L1/edge weight inside the eye mask (0: none)
  double mouth = 2.0;        // extra L1/edge weight inside the mouth mask
  double edge = 0.1;         // L1 of the image gradients (x and y)
  // Weight of the L1, DSSIM and edge terms outside the face: each pixel counts
  // background + (1 - background) * m, m the landmark hull softened by a Gaussian of R/32 and
  // doubled (DeepFaceLab's masked training: 0). 1: the whole square counts alike. 0.1: the
  // model's capacity goes to the face (docs/results/swap_quality.md, "masked training").
  double background = 0.1;
  double adversarial = 0.1;  // LSGAN generator term; used only while the GAN is on
  bool operator==(const LossWeights&) const = default;
};

Json to_json(const LossWeights& weights);
// Reads the fields present in `json` (each in [0, 1000]) over `weights`. Errors: kInvalidArgument
// naming the field.
Status read_loss_weights(const Json& json, std::string_view source, LossWeights& weights);

}  // namespace mirage::model
