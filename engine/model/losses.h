// The training losses of the face-swap model. Weights: engine/model/loss_weights.h.
//
//   LossTerms terms = reconstruction_loss(output, batch_targets, weights);
//   terms.total.backward();
//
// Every function takes float NCHW tensors in [0, 1] on one device and returns scalars that stay
// on that device (no host synchronisation). Pure functions of their inputs; thread-safe.
#pragma once

#include <torch/types.h>

#include "engine/model/loss_weights.h"

namespace mirage::model {

struct LossTargets {
  torch::Tensor target;  // [N, 3, R, R]
  torch::Tensor hull;    // [N, 1, R, R], 1 inside the landmark hull
  torch::Tensor eyes;    // [N, 1, R, R]
  torch::Tensor mouth;   // [N, 1, R, R]
};

struct LossTerms {
  torch::Tensor total;  // weighted sum (what backward() runs on)
  torch::Tensor l1, ssim, mask, edge;  // unweighted terms, detached
};

// Mean DSSIM (1 - SSIM) / 2 with a 7x7 Gaussian window (sigma 1.5), per channel.
torch::Tensor dssim(const torch::Tensor& a, const torch::Tensor& b);

// output: the decoder's [N, 4, R, R] (RGB + mask).
LossTerms reconstruction_loss(const torch::Tensor& output, const LossTargets& targets,
                              const LossWeights& weights);

// PSNR in dB of a against b (both [0, 1]), averaged over the batch: 10 log10(1 / MSE) per image.
torch::Tensor psnr(const torch::Tensor& a, const torch::Tensor& b);

}  // namespace mirage::model
