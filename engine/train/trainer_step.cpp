// One optimizer step of the trainer, and the data-parallel exchange that precedes it.
#include <cmath>
#include <limits>

#include <torch/csrc/distributed/c10d/Work.hpp>

#include "engine/core/log.h"
#include "engine/model/train_step.h"
#include "engine/train/trainer_state.h"

namespace mirage::train {
namespace {

constexpr double kMixupAlpha = 0.2;
constexpr std::int64_t kLossScaleGrowth = 1000;
constexpr double kMaxLossScale = 16777216;
using model::LossTargets;
using model::LossTerms;

struct IdentityTensors {
  torch::Tensor warped;
  LossTargets targets;
};

IdentityTensors to_tensors(IdentityBatch& b, std::int64_t n, std::int64_t r, const torch::Device& d,
                           bool channels_last) {
  using detail::nhwc;
  return {nhwc(b.warped, n, r, 3, d, channels_last),
          {nhwc(b.target, n, r, 3, d, channels_last), nhwc(b.hull, n, r, 1, d, channels_last),
           nhwc(b.eyes, n, r, 1, d, channels_last), nhwc(b.mouth, n, r, 1, d, channels_last)}};
}

// n samples of Beta(alpha, alpha) as an [n, 1, 1, 1] tensor, from Torch's generator (whose state
// checkpoints keep).
torch::Tensor sample_beta(std::int64_t n, double alpha, const torch::TensorOptions& options) {
  const torch::Tensor shape = torch::full({2, n, 1, 1, 1}, alpha, options.dtype(torch::kFloat));
  const torch::Tensor gamma = torch::_standard_gamma(shape);
  return (gamma[0] / (gamma[0] + gamma[1])).nan_to_num(0.5);  // both draws can underflow to 0
}

// The control vector's layout (doubles, summed over the ranks; only rank 0 writes the settings).
enum ControlSlot : std::int64_t {
  kStopVotes, kPauseVotes, kSaveVotes, kLearningRate, kGan, kWarp,
  kL1, kSsim, kSsimCoarse, kMask, kEyes, kMouth, kEdge, kBackground, kAdversarial,
  kStepSum, kRankSpeeds  // then one slot per rank: its recent seconds per step
};
// Every field of LossWeights travels in the exchange below; a new one fails here until it does.
static_assert(sizeof(model::LossWeights) == (kAdversarial - kL1 + 1) * sizeof(double));

}  // namespace

namespace detail {

torch::Tensor nhwc(std::vector<float>& values, std::int64_t n, std::int64_t r, std::int64_t c,
                   const torch::Device& device, bool channels_last) {
  torch::Tensor t = torch::from_blob(values.data(), {n, r, r, c}, torch::kFloat)
                        .to(device)
                        .permute({0, 3, 1, 2});  // NHWC storage = channels-last NCHW
  return channels_last ? t : t.contiguous();
}

bool all_finite(const std::vector<torch::Tensor>& tensors) {
  const torch::NoGradGuard no_grad;
  for (const auto& t : tensors) {
    if (!torch::isfinite(t).all().item<bool>()) return false;
  }
  return true;
}

}  // namespace detail

// Every rank votes (stop, pause) and reports its speed; rank 0's settings become everyone's. The
// step count is summed too, as a check that the ranks are in step.
void Trainer::State::exchange_control() {
  const int world = group->world_size();
  torch::Tensor v = torch::zeros({kRankSpeeds + world}, torch::kDouble);
  auto* p = v.data_ptr<double>();
  const bool rank0 = group->rank() == 0;
  p[kStopVotes] = stopping || (rank0 && limit_reached()) ? 1 : 0;
  p[kPauseVotes] = paused ? 1 : 0;
  p[kSaveVotes] = save_requested ? 1 : 0;
  save_requested = false;
  if (rank0) {
    p[kLearningRate] = scheduled_lr();
    p[kGan] = gan ? 1 : 0;
    p[kWarp] = current.warp ? 1 : 0;
    p[kL1] = weights.l1;
    p[kSsim] = weights.ssim;
    p[kSsimCoarse] = weights.ssim_coarse;
    p[kMask] = weights.mask;
    p[kEyes] = weights.eyes;
    p[kMouth] = weights.mouth;
    p[kEdge] = weights.edge;
    p[kBackground] = weights.background;
    p[kAdversarial] = weights.adversarial;
  }
  p[kStepSum] = static_cast<double>(step);
  p[kRankSpeeds + group->rank()] = ema_step_s;
  group->allreduce_now(v, step);
  if (p[kStepSum] != static_cast<double>(step) * world) {
    throw std::runtime_error(format("the ranks are out of step at step {} (sum {}); restart them together",
                                    step, p[kStepSum]));
  }
  GroupControl c;
  c.stop = p[kStopVotes] > 0;
  c.pause = p[kPauseVotes] > 0;
  c.save = p[kSaveVotes] > 0;
  c.learning_rate = p[kLearningRate];
  c.gan = p[kGan] > 0;
  c.warp = p[kWarp] > 0;
  c.weights = {.l1 = p[kL1],
               .ssim = p[kSsim],
               .ssim_coarse = p[kSsimCoarse],
               .mask = p[kMask],
               .eyes = p[kEyes],
               .mouth = p[kMouth],
               .edge = p[kEdge],
               .background = p[kBackground],
               .adversarial = p[kAdversarial]};
  for (int r = 0; r < world; ++r) {
    const double s = p[kRankSpeeds + r];
    current.rank_steps_per_second[static_cast<std::size_t>(r)] = s > 0 ? 1 / s : 0;
  }
  if (!rank0) {
    gan = c.gan;
    weights = c.weights;
    if (c.warp != current.warp) {
      if (data) data->set_warp(c.warp);
      current.warp = c.warp;
    }
  }
  group_paused = c.pause;
  control = c;
}

bool Trainer::State::train_step(TrainBatch& batch) {
  const std::int64_t n = batch.count, r = batch.resolution;
  const bool cl = options.channels_last;
  IdentityTensors ta = to_tensors(batch.a, n, r, device, cl);
  IdentityTensors tb = to_tensors(batch.b, n, r, device, cl);
  const double lr = control ? control->learning_rate : scheduled_lr();
  optimizer->set_learning_rate(lr);
  current.learning_rate = lr;
  optimizer->clear_gradients();

  // Both identities through the shared encoder as one batch: one pass, bigger GEMMs.
  const torch::Tensor latent = compute->encode(torch::cat({ta.warped, tb.warped}, 0).to(compute_dtype));
  const torch::Tensor out_a = compute->decode(latent.narrow(0, 0, n), 0);
  const torch::Tensor out_b = compute->decode(latent.narrow(0, n, n), 1);
  const LossTerms la = model::reconstruction_loss(out_a, ta.targets, weights);
  const LossTerms lb = model::reconstruction_loss(out_b, tb.targets, weights);
  torch::Tensor total = la.total + lb.total;
  torch::Tensor adversarial = torch::zeros({}, total.options());
  using torch::indexing::Slice;
  const torch::Tensor fake_a = out_a.index({Slice(), Slice(0, 3)}).to(torch::kFloat);
  const torch::Tensor fake_b = out_b.index({Slice(), Slice(0, 3)}).to(torch::kFloat);
  if (gan && weights.adversarial > 0) {
    adversarial = (discriminators[0]->forward(fake_a, ta.warped) - 1).square().mean() +
                  (discriminators[1]->forward(fake_b, tb.warped) - 1).square().mean();
    total = total + weights.adversarial * adversarial;
  }
  if (step == options.debug_poison_step && last_poisoned != step) {
    last_poisoned = step;
    total = total * std::numeric_limits<double>::quiet_NaN();
  }
  double loss_value = total.item<double>();
  // The data-parallel all-reduce runs during backward; the ranks' mean loss rides along so that
  // the guard below decides alike everywhere.
  if (reducer) reducer->prepare(std::span<const double>(&loss_value, 1));
  (loss_scale == 1 ? total : total * loss_scale).backward();
  if (step == last_poisoned && options.debug_poison_weights && !poisoned_weights) {
    poisoned_weights = true;
    const torch::NoGradGuard no_grad;
    generator_parameters().front().select(0, 0).fill_(std::numeric_limits<float>::quiet_NaN());
    optimizer->sync_compute();
  }
  if (reducer) {
    const auto t0 = detail::Clock::now();
    reducer->finish(step);
    loss_value = reducer->extra(0);
    const double s = std::chrono::duration<double>(detail::Clock::now() - t0).count();
    ema_reduce_s = ema_reduce_s == 0 ? s : 0.9 * ema_reduce_s + 0.1 * s;
  }
  const double norm = optimizer->gradient_norm(1 / loss_scale);
  if (std::isfinite(loss_value) && !std::isfinite(norm) && compute_dtype == torch::kHalf &&
      loss_scale > 1) {
    // fp16 gradients overflowed at this scale: not a divergence; retry smaller.
    optimizer->clear_gradients();
    loss_scale /= 2;
    good_scaled_steps = 0;
    log::debug("trainer: fp16 gradients overflowed at step {}; loss scale now {}", step, loss_scale);
    return false;
  }
  if (!std::isfinite(norm) || !std::isfinite(loss_value)) {
    optimizer->clear_gradients();
    ++current.rejected_steps;
    log::warn("trainer: step {} diverged (loss {}, gradient norm {}); dropped", step, loss_value, norm);
    if (!detail::all_finite(generator_parameters())) rollback();
    return false;
  }
  optimizer->step(model::clip_scale(norm, options.clip_norm) / loss_scale);
  if (compute_dtype == torch::kHalf && ++good_scaled_steps >= kLossScaleGrowth) {
    loss_scale = std::min(loss_scale * 2, kMaxLossScale);
    good_scaled_steps = 0;
  }

  double d_loss = 0;
  if (gan) {
    d_optimizer->clear_gradients();
    torch::Tensor loss_d = torch::zeros({}, total.options());
    const IdentityTensors* sides[2] = {&ta, &tb};
    const torch::Tensor fakes[2] = {fake_a.detach(), fake_b.detach()};
    for (int i = 0; i < 2; ++i) {
      // Mixup LSGAN (faceswap-GAN): the discriminator sees lambda * real + (1 - lambda) * fake
      // with lambda ~ Beta(0.2, 0.2) per face, and learns to answer lambda. Smoother than
      // separate real -> 1 / fake -> 0 targets, and one forward instead of two.
      auto& d = discriminators[static_cast<std::size_t>(i)];
      const torch::Tensor& real = sides[i]->targets.target;
      const torch::Tensor lambda = sample_beta(real.size(0), kMixupAlpha, real.options());
      const torch::Tensor mixed = lambda * real + (1 - lambda) * fakes[i];
      const torch::Tensor score = d->forward(mixed, sides[i]->warped);
      loss_d = loss_d + (score - lambda).square().mean();
    }
    d_loss = loss_d.item<double>();
    if (d_reducer) d_reducer->prepare(std::span<const double>(&d_loss, 1));
    loss_d.backward();
    if (d_reducer) {
      d_reducer->finish(step);
      d_loss = d_reducer->extra(0);
    }
    if (std::isfinite(d_loss)) {
      d_optimizer->step();
    } else {
      d_optimizer->clear_gradients();
    }
  }
  ++step;
  const torch::Tensor terms = torch::stack({la.total.detach(), lb.total.detach(), (la.l1 + lb.l1) / 2,
                                            (la.ssim + lb.ssim) / 2, (la.mask + lb.mask) / 2,
                                            (la.edge + lb.edge) / 2, adversarial.detach()})
                                  .to(torch::kCPU, torch::kDouble);
  const double* v = terms.data_ptr<double>();
  current.loss = loss_value;
  current.loss_a = v[0];
  current.loss_b = v[1];
  current.l1 = v[2];
  current.ssim = v[3];
  current.mask = v[4];
  current.edge = v[5];
  current.adversarial = v[6];
  current.discriminator = d_loss;
  return true;
}

}  // namespace mirage::train
