#include "engine/model/losses.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>

namespace mirage::model {
namespace {

torch::Tensor gaussian_window(const torch::Tensor& like, int channels, int size = 7,
                              double sigma = 1.5) {
  auto x = torch::arange(size, torch::TensorOptions().dtype(torch::kFloat)) - (size - 1) / 2.0;
  auto g = torch::exp(-(x * x) / (2 * sigma * sigma));
  g = g / g.sum();
  auto w = torch::outer(g, g).reshape({1, 1, size, size}).repeat({channels, 1, 1, 1});
  return w.to(like.device(), like.scalar_type());
}

torch::Tensor blur(const torch::Tensor& x, const torch::Tensor& window) {
  return torch::nn::functional::conv2d(
      x, window, torch::nn::functional::Conv2dFuncOptions().groups(x.size(1)));
}

torch::Tensor gradient_x(const torch::Tensor& x) {
  using torch::indexing::Slice;
  return x.index({Slice(), Slice(), Slice(), Slice(1, torch::indexing::None)}) -
         x.index({Slice(), Slice(), Slice(), Slice(torch::indexing::None, -1)});
}

torch::Tensor gradient_y(const torch::Tensor& x) {
  using torch::indexing::Slice;
  return x.index({Slice(), Slice(), Slice(1, torch::indexing::None)}) -
         x.index({Slice(), Slice(), Slice(torch::indexing::None, -1)});
}

// The per-pixel weight of the reconstruction terms: 1 on the face, `background` away from it.
// The hull is softened as DeepFaceLab's masked training does (Gaussian of sigma R/32, values
// >= 0.5 become 1), so the face's edge and the skin just outside it still count fully.
torch::Tensor face_weight(const torch::Tensor& hull, double background) {
  const double sigma = std::max(1.0, static_cast<double>(hull.size(-1)) / 32.0);
  const int radius = static_cast<int>(std::ceil(3 * sigma));
  const torch::Tensor h = hull.to(torch::kFloat);
  const torch::Tensor window = gaussian_window(h, 1, 2 * radius + 1, sigma);
  // Edge padding, so a hull that reaches the square's edge (a low chin) keeps its weight there.
  namespace F = torch::nn::functional;
  const torch::Tensor padded =
      F::pad(h, F::PadFuncOptions({radius, radius, radius, radius}).mode(torch::kReplicate));
  const torch::Tensor soft = F::conv2d(padded, window).clamp(0, 0.5) * 2;
  return background + (1 - background) * soft;
}

// SSIM per pixel and channel over the valid 7x7 windows: [N, C, R - 6, R - 6].
torch::Tensor dssim_map(const torch::Tensor& a_in, const torch::Tensor& b_in) {
  // SSIM's variance terms cancel badly in bf16; compute them in float.
  const torch::Tensor a = a_in.to(torch::kFloat);
  const torch::Tensor b = b_in.to(torch::kFloat);
  constexpr double kC1 = 0.01 * 0.01;
  constexpr double kC2 = 0.03 * 0.03;
  const torch::Tensor w = gaussian_window(a, static_cast<int>(a.size(1)));
  const auto mu_a = blur(a, w);
  const auto mu_b = blur(b, w);
  const auto var_a = blur(a * a, w) - mu_a * mu_a;
  const auto var_b = blur(b * b, w) - mu_b * mu_b;
  const auto cov = blur(a * b, w) - mu_a * mu_b;
  const auto ssim = ((2 * mu_a * mu_b + kC1) * (2 * cov + kC2)) /
                    ((mu_a * mu_a + mu_b * mu_b + kC1) * (var_a + var_b + kC2));
  return (1 - ssim) / 2;
}

// Mean DSSIM, each valid window's value weighted by `weight` at its centre when one is given.
torch::Tensor weighted_dssim(const torch::Tensor& a, const torch::Tensor& b,
                             const torch::Tensor& weight) {
  using torch::indexing::Slice;
  if (!weight.defined()) return dssim_map(a, b).mean();
  // The valid windows' map is 3 px smaller on each side than the square (7x7 window).
  const torch::Tensor centres = weight.index({Slice(), Slice(), Slice(3, -3), Slice(3, -3)});
  return (dssim_map(a, b) * centres).mean();
}

}  // namespace

torch::Tensor dssim(const torch::Tensor& a, const torch::Tensor& b) {
  return dssim_map(a, b).mean();
}

LossTerms reconstruction_loss(const torch::Tensor& output, const LossTargets& t,
                              const LossWeights& weights) {
  using torch::indexing::Slice;
  const torch::Tensor rgb = output.index({Slice(), Slice(0, 3)}).to(torch::kFloat);
  const torch::Tensor mask = output.index({Slice(), Slice(3, 4)}).to(torch::kFloat);
  const bool masked = weights.background < 1;
  const torch::Tensor face = masked ? face_weight(t.hull, weights.background) : torch::Tensor();
  torch::Tensor priority = 1 + weights.eyes * t.eyes + weights.mouth * t.mouth;
  if (masked) priority = priority * face;
  LossTerms terms;
  const torch::Tensor l1 = ((rgb - t.target).abs() * priority).mean();
  // Image gradients, weighted by the priority of the pixel each difference ends on.
  const torch::Tensor edge =
      ((gradient_x(rgb) - gradient_x(t.target)).abs() *
       priority.index({Slice(), Slice(), Slice(), Slice(1, torch::indexing::None)}))
          .mean() +
      ((gradient_y(rgb) - gradient_y(t.target)).abs() *
       priority.index({Slice(), Slice(), Slice(1, torch::indexing::None)}))
          .mean();
  const torch::Tensor mask_loss = (mask - t.hull).square().mean();
  torch::Tensor total = weights.l1 * l1 + weights.mask * mask_loss + weights.edge * edge;
  torch::Tensor ssim_term = torch::zeros({}, rgb.options());
  if (weights.ssim > 0) {
    ssim_term = weighted_dssim(rgb, t.target, face);
    total = total + weights.ssim * ssim_term;
  }
  if (weights.ssim_coarse > 0) {
    const auto half = [](const torch::Tensor& x) { return torch::avg_pool2d(x, 2); };
    total = total + weights.ssim_coarse * weighted_dssim(half(rgb), half(t.target),
                                                         masked ? half(face) : face);
  }
  terms.total = total;
  terms.l1 = l1.detach();
  terms.ssim = ssim_term.detach();
  terms.mask = mask_loss.detach();
  terms.edge = edge.detach();
  return terms;
}

torch::Tensor psnr(const torch::Tensor& a, const torch::Tensor& b) {
  const torch::Tensor mse = (a.to(torch::kFloat) - b.to(torch::kFloat)).square().flatten(1).mean(1);
  return (10 * torch::log10(1.0 / mse.clamp_min(1e-10))).mean();
}

}  // namespace mirage::model
