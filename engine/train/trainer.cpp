#include "engine/train/trainer.h"

#include <chrono>
#include <cmath>
#include <fstream>
#include <limits>
#include <numbers>
#include <sstream>
#include <thread>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include "engine/core/log.h"
#include "engine/core/mailbox.h"
#include "engine/core/worker.h"
#include "engine/model/checkpoint.h"
#include "engine/model/device.h"
#include "engine/model/faceswap_model.h"
#include "engine/model/fused_adam.h"
#include "engine/model/losses.h"
#include "engine/model/train_step.h"
#include "engine/model/weight_snapshot.h"

namespace mirage::train {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int kMaxRollbacks = 5;  // in a row without a good save in between: give up
constexpr double kMixupAlpha = 0.2;
constexpr std::int64_t kLossScaleGrowth = 1000;
constexpr double kInitialLossScale = 65536;
constexpr double kMaxLossScale = 16777216;
using model::LossTargets;
using model::LossTerms;

bool cpu_has_bf16() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.starts_with("flags")) return line.find("avx512_bf16") != std::string::npos;
  }
  return false;
}

torch::Tensor nhwc(std::vector<float>& values, std::int64_t n, std::int64_t r, std::int64_t c,
                   const torch::Device& device, bool channels_last) {
  torch::Tensor t = torch::from_blob(values.data(), {n, r, r, c}, torch::kFloat)
                        .to(device)
                        .permute({0, 3, 1, 2});  // NHWC storage = channels-last NCHW
  return channels_last ? t : t.contiguous();
}

struct IdentityTensors {
  torch::Tensor warped;
  LossTargets targets;
};

IdentityTensors to_tensors(IdentityBatch& b, std::int64_t n, std::int64_t r, const torch::Device& d,
                           bool channels_last) {
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

bool all_finite(const std::vector<torch::Tensor>& tensors) {
  const torch::NoGradGuard no_grad;
  for (const auto& t : tensors) {
    if (!torch::isfinite(t).all().item<bool>()) return false;
  }
  return true;
}

}  // namespace

Json to_json(const TrainerOptions& o) {
  return Json{{"preset", o.preset},
              {"batch", o.batch},
              {"device", o.device},
              {"precision", o.precision},
              {"channels_last", o.channels_last},
              {"learning_rate", o.learning_rate},
              {"beta1", o.beta1},
              {"beta2", o.beta2},
              {"schedule", o.schedule},
              {"warmup_steps", o.warmup_steps},
              {"clip_norm", o.clip_norm},
              {"weights", model::to_json(o.weights)},
              {"gan", o.gan},
              {"warp", o.augment.warp},
              {"warp_until", o.warp_until},
              {"max_steps", o.max_steps},
              {"max_minutes", o.max_minutes},
              {"seed", o.seed}};
}

struct Trainer::State {
  TrainerOptions options;
  model::ModelPreset preset;
  torch::Device device{torch::kCPU};
  // The step computes in this type; below fp32 the optimizer keeps fp32 master weights in `model`
  // and writes a copy in this type to `compute` after each step.
  torch::ScalarType compute_dtype = torch::kFloat;
  std::string precision;
  // fp16 only: the loss is multiplied by this before backward so that small gradients survive;
  // halved when gradients overflow (that step is skipped), doubled after kLossScaleGrowth good
  // steps. 1 otherwise.
  double loss_scale = 1;
  std::int64_t good_scaled_steps = 0;
  std::shared_ptr<const FaceBank> a, b, eval_a;

  model::FaceSwapModel model{nullptr};    // fp32: what is saved, previewed and snapshotted
  model::FaceSwapModel compute{nullptr};  // what the step runs; `model` itself in fp32
  std::vector<model::Discriminator> discriminators;
  std::unique_ptr<model::FusedAdam> optimizer;
  std::unique_ptr<model::FusedAdam> d_optimizer;
  std::vector<torch::Tensor> d_parameters;

  // Trainer-thread state.
  std::int64_t step = 0;
  std::int64_t batches = 0;  // batch index of the next batch
  double base_lr = 0;
  model::LossWeights weights;
  bool gan = false;
  bool paused = false;
  bool stopping = false;
  bool save_on_stop = true;
  std::string last_good;  // encoded checkpoint of the last good state
  TrainerStats current;
  double ema_step_s = 0, ema_wait_s = 0;
  Clock::time_point started;
  double paused_s = 0;
  std::int64_t last_poisoned = -1;
  std::int64_t run_steps = 0;
  bool poisoned_weights = false;
  int rollbacks_since_save = 0;
  std::unique_ptr<BatchPrefetcher> data;
  std::unique_ptr<std::ofstream> log_file;

  CommandQueue<TrainerCommand> commands{256};
  Mailbox<TrainerStats> stats;
  Mailbox<std::shared_ptr<const PreviewImage>> previews;
  Mailbox<std::shared_ptr<const model::WeightSnapshot>> snapshots;
  std::optional<Error> failure;  // written by the trainer thread before it ends
  Worker worker;
  bool started_thread = false;

  std::vector<torch::Tensor> generator_parameters() { return model->parameters(); }

  Status build();

  double elapsed_s() const {
    return std::chrono::duration<double>(Clock::now() - started).count() - paused_s;
  }

  // Share of the run done, from --steps and --minutes (0 when neither is set).
  double progress() const {
    double done = 0;
    if (options.max_steps > 0) done = static_cast<double>(step) / options.max_steps;
    if (options.max_minutes > 0) done = std::max(done, elapsed_s() / (60 * options.max_minutes));
    return std::clamp(done, 0.0, 1.0);
  }

  double scheduled_lr() const {
    double lr = base_lr;
    if (options.warmup_steps > 0 && step < options.warmup_steps) {
      lr *= static_cast<double>(step + 1) / options.warmup_steps;
    }
    if (options.schedule == "cosine") {
      lr *= 0.1 + 0.9 * 0.5 * (1 + std::cos(std::numbers::pi * progress()));
    }
    return lr;
  }

  std::string encode_state() {
    torch::serialize::OutputArchive archive;
    torch::serialize::OutputArchive weights_archive;
    model->save(weights_archive);
    archive.write("model", weights_archive);
    for (std::size_t i = 0; i < discriminators.size(); ++i) {
      torch::serialize::OutputArchive d;
      discriminators[i]->save(d);
      archive.write(format("discriminator{}", i), d);
    }
    torch::serialize::OutputArchive o;
    optimizer->save(o);
    archive.write("optimizer", o);
    torch::serialize::OutputArchive od;
    d_optimizer->save(od);
    archive.write("discriminator_optimizer", od);
    {
      auto generator = at::detail::getDefaultCPUGenerator();
      const std::lock_guard lock(generator.mutex());
      archive.write("rng", generator.get_state());
    }
    std::ostringstream stream;
    archive.save_to(stream);
    model::CheckpointHeader header;
    header.preset = preset.name;
    header.resolution = preset.resolution;
    header.step = step;
    header.seed = options.seed;
    header.config = Json{{"options", to_json(options)},     {"batches", batches},
                         {"learning_rate", base_lr},         {"weights", model::to_json(weights)},
                         {"gan", gan},                       {"loss_scale", loss_scale}};
    return model::encode_checkpoint(header, stream.str());
  }

  // Restores everything a checkpoint holds. Errors: kCorrupt.
  Status restore(const model::Checkpoint& checkpoint) {
    try {
      torch::serialize::InputArchive archive;
      archive.load_from(checkpoint.payload.data(), checkpoint.payload.size(), device);
      torch::serialize::InputArchive m;
      archive.read("model", m);
      model->load(m);
      bool current_discriminators = true;
      for (std::size_t i = 0; i < discriminators.size(); ++i) {
        torch::serialize::InputArchive d;
        archive.read(format("discriminator{}", i), d);
        current_discriminators &= model::load_discriminator(*discriminators[i], d);
      }
      torch::serialize::InputArchive o;
      archive.read("optimizer", o);
      optimizer->load(o);
      if (current_discriminators) {
        torch::serialize::InputArchive od;
        archive.read("discriminator_optimizer", od);
        d_optimizer->load(od);
      } else {
        // Saved before the discriminators had self-attention: their parameter positions moved,
        // so their Adam moments start again (they rebuild in a few hundred steps).
        log::warn("{}: discriminators from before self-attention; their optimizer state starts fresh",
                  checkpoint.path.string());
      }
      optimizer->sync_compute();
      torch::Tensor rng;
      archive.read("rng", rng);
      auto generator = at::detail::getDefaultCPUGenerator();
      const std::lock_guard lock(generator.mutex());
      generator.set_state(rng.to(torch::kCPU));
    } catch (const std::exception& exception) {
      return fail(ErrorCode::kCorrupt, "{}: damaged checkpoint ({})",
                  checkpoint.path.empty() ? std::string("checkpoint") : checkpoint.path.string(),
                  std::string(exception.what()).substr(0, std::string(exception.what()).find('\n')));
    }
    step = checkpoint.header.step;
    const Json& config = checkpoint.header.config;
    if (const Json* v = find_field(config, "batches"); v != nullptr && v->is_number_integer()) {
      batches = v->get<std::int64_t>();
    } else {
      batches = step;
    }
    if (const Json* v = find_field(config, "loss_scale");
        v != nullptr && v->is_number() && compute_dtype == torch::kHalf) {
      loss_scale = v->get<double>();
    }
    return ok();
  }

  Status save() {
    if (!all_finite(generator_parameters()) || !all_finite(d_parameters)) {
      log::warn("trainer: weights are not finite at step {}; not saving, rolling back", step);
      rollback();
      return ok();
    }
    std::string bytes = encode_state();
    if (!options.model_dir.empty()) {
      if (auto s = model::commit_checkpoint(options.model_dir, step, bytes, options.keep); !s) {
        return std::unexpected(s.error().with_context("saving the checkpoint"));
      }
      current.saved_step = step;
    }
    last_good = std::move(bytes);
    rollbacks_since_save = 0;
    return ok();
  }

  void rollback() {
    auto checkpoint = model::decode_checkpoint(last_good, "last good state");
    MIRAGE_CHECK(checkpoint.has_value());
    const std::int64_t keep_batches = batches;
    if (auto s = restore(*checkpoint); !s) {
      throw std::runtime_error(s.error().message);
    }
    batches = keep_batches;  // move on to new data rather than replaying the diverged batches
    ++current.rollbacks;
    if (++rollbacks_since_save > kMaxRollbacks) {
      throw std::runtime_error(format(
          "training diverged {} times since step {}; lower the learning rate (--lr) and resume",
          kMaxRollbacks, step));
    }
    log::warn("trainer: rolled back to the last good state (step {})", step);
  }

  void apply(TrainerCommand& command) {
    std::visit(
        [&](auto& c) {
          using T = std::decay_t<decltype(c)>;
          if constexpr (std::is_same_v<T, Pause>) {
            paused = true;
          } else if constexpr (std::is_same_v<T, Resume>) {
            paused = false;
          } else if constexpr (std::is_same_v<T, Stop>) {
            stopping = true;
            save_on_stop = c.save;
          } else if constexpr (std::is_same_v<T, Save>) {
            if (auto s = save(); !s) throw_error(s.error());
          } else if constexpr (std::is_same_v<T, SetLearningRate>) {
            base_lr = c.value;
          } else if constexpr (std::is_same_v<T, SetLossWeights>) {
            weights = c.weights;
          } else if constexpr (std::is_same_v<T, SetGan>) {
            gan = c.on;
          } else if constexpr (std::is_same_v<T, SetWarp>) {
            if (data) data->set_warp(c.on);
            current.warp = c.on;
          } else if constexpr (std::is_same_v<T, RequestPreview>) {
            publish_preview();
          } else if constexpr (std::is_same_v<T, RequestSnapshot>) {
            publish_snapshot();
          }
        },
        command);
  }

  [[noreturn]] static void throw_error(const Error& error) { throw std::runtime_error(error.message); }

  void publish_snapshot() {
    if (!all_finite(generator_parameters())) rollback();
    snapshots.publish(std::make_shared<const model::WeightSnapshot>(model::take_snapshot(*model, step)));
  }

  torch::Tensor swap_faces(const torch::Tensor& faces, int to) {
    return model->decode(model->encode(faces), to).to(torch::kFloat);
  }

  void publish_preview() {
    const torch::NoGradGuard no_grad;
    const int r = preset.resolution;
    const int rows = static_cast<int>(std::min<std::size_t>({4, a->size(), b->size()}));
    IdentityBatch pa = plain_batch(*a, 0, rows, r);
    IdentityBatch pb = plain_batch(*b, 0, rows, r);
    const torch::Tensor fa = nhwc(pa.target, rows, r, 3, device, false);
    const torch::Tensor fb = nhwc(pb.target, rows, r, 3, device, false);
    model->eval();
    const torch::Tensor aa = swap_faces(fa, 0), ab = swap_faces(fa, 1);
    const torch::Tensor bb = swap_faces(fb, 1), ba = swap_faces(fb, 0);
    model->train();
    using torch::indexing::Slice;
    const auto rgb = [](const torch::Tensor& t) { return t.index({Slice(), Slice(0, 3)}); };
    const auto mask = [](const torch::Tensor& t) { return t.index({Slice(), Slice(3, 4)}).expand({-1, 3, -1, -1}); };
    // [rows, 3, r, 8r]: the columns side by side, then the rows stacked.
    const torch::Tensor grid =
        torch::cat({fa, rgb(aa), rgb(ab), mask(aa), fb, rgb(bb), rgb(ba), mask(bb)}, 3);
    const torch::Tensor image = grid.permute({0, 2, 3, 1}).reshape({rows * r, 8 * r, 3})
                                    .mul(255).round().clamp(0, 255).to(torch::kCPU, torch::kUInt8).contiguous();
    auto preview = std::make_shared<PreviewImage>();
    preview->step = step;
    preview->width = 8 * r;
    preview->height = rows * r;
    preview->rgb.assign(image.data_ptr<std::uint8_t>(), image.data_ptr<std::uint8_t>() + image.numel());
    previews.publish(std::move(preview));
  }

  double evaluate() {
    if (!eval_a || eval_a->empty()) return 0;
    const torch::NoGradGuard no_grad;
    model->eval();
    const int r = preset.resolution;
    double total = 0;
    const int n = static_cast<int>(eval_a->size());
    for (int first = 0; first < n; first += 32) {
      const int count = std::min(32, n - first);
      IdentityBatch faces = plain_batch(*eval_a, first, count, r);
      const torch::Tensor x = nhwc(faces.target, count, r, 3, device, false);
      using torch::indexing::Slice;
      const torch::Tensor y = swap_faces(x, 0).index({Slice(), Slice(0, 3)});
      total += model::psnr(y, x).item<double>() * count;
    }
    model->train();
    return total / n;
  }

  // One step on `batch`; false when the guard dropped it.
  bool train_step(TrainBatch& batch) {
    const std::int64_t n = batch.count, r = batch.resolution;
    const bool cl = options.channels_last;
    IdentityTensors ta = to_tensors(batch.a, n, r, device, cl);
    IdentityTensors tb = to_tensors(batch.b, n, r, device, cl);
    const double lr = scheduled_lr();
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
    (loss_scale == 1 ? total : total * loss_scale).backward();
    if (step == last_poisoned && options.debug_poison_weights && !poisoned_weights) {
      poisoned_weights = true;
      const torch::NoGradGuard no_grad;
      generator_parameters().front().select(0, 0).fill_(std::numeric_limits<float>::quiet_NaN());
      optimizer->sync_compute();
    }
    reduce_gradients(optimizer->gradient_tensors());
    const double norm = optimizer->gradient_norm(1 / loss_scale);
    const double loss_value = total.item<double>();
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
      if (!all_finite(generator_parameters())) rollback();
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
      loss_d.backward();
      d_loss = loss_d.item<double>();
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

  // The data-parallel hook: with several processes, an all-reduce (c10d Gloo/NCCL) of each
  // gradient divided by the world size goes here; every rank then takes the same Adam step.
  void reduce_gradients(const std::vector<torch::Tensor>& /*gradient_holders*/) {}

  void write_log() {
    if (!log_file) return;
    Json line{{"step", step},           {"time_s", current.elapsed_s}, {"loss", current.loss},
              {"loss_a", current.loss_a}, {"loss_b", current.loss_b},   {"l1", current.l1},
              {"ssim", current.ssim},     {"mask", current.mask},       {"edge", current.edge},
              {"adversarial", current.adversarial}, {"discriminator", current.discriminator},
              {"learning_rate", current.learning_rate},
              {"samples_per_second", current.samples_per_second},
              {"data_wait_share", current.data_wait_share}, {"rejected_steps", current.rejected_steps}};
    if (current.eval_psnr_a > 0) line["eval_psnr_a"] = current.eval_psnr_a;
    *log_file << line.dump() << '\n';
    log_file->flush();
  }

  void publish_stats() {
    current.step = step;
    current.paused = paused;
    current.gan = gan;
    current.elapsed_s = elapsed_s();
    stats.publish(current);
  }

  bool limit_reached() const {
    return (options.max_steps > 0 && step >= options.max_steps) ||
           (options.max_minutes > 0 && elapsed_s() >= 60 * options.max_minutes);
  }

  void run(std::stop_token stop) {
    PipelineOptions pipeline;
    pipeline.batch = options.batch;
    pipeline.resolution = preset.resolution;
    pipeline.augment = options.augment;
    pipeline.seed = options.seed;
    pipeline.threads = options.data_threads;
    pipeline.depth = options.prefetch;
    data = std::make_unique<BatchPrefetcher>(a, b, pipeline, batches);
    if (!options.model_dir.empty()) {
      std::filesystem::create_directories(options.model_dir);
      log_file = std::make_unique<std::ofstream>(options.model_dir / "train_log.jsonl", std::ios::app);
    }
    started = Clock::now();
    while (!stop.stop_requested()) {
      for (TrainerCommand& command : commands.drain()) apply(command);
      if (stopping) break;
      if (paused) {
        publish_stats();
        const auto pause_start = Clock::now();
        if (auto command = commands.pop_for(std::chrono::milliseconds(100), stop)) apply(*command);
        paused_s += std::chrono::duration<double>(Clock::now() - pause_start).count();
        continue;
      }
      if (limit_reached()) break;
      if (current.warp && options.warp_until < 1.0 && progress() >= options.warp_until) {
        // The final phase without warping sharpens the reconstruction (DFL does the same).
        data->set_warp(false);
        current.warp = false;
      }
      const auto t0 = Clock::now();
      std::optional<TrainBatch> batch = data->next(stop);
      if (!batch) break;
      ++batches;
      const auto t1 = Clock::now();
      const bool stepped = train_step(*batch);
      const double wait_s = std::chrono::duration<double>(t1 - t0).count();
      const double step_s = std::chrono::duration<double>(Clock::now() - t0).count();
      constexpr double kSmooth = 0.1;
      const bool first = ema_step_s == 0;
      ema_step_s = first ? step_s : (1 - kSmooth) * ema_step_s + kSmooth * step_s;
      ema_wait_s = first ? wait_s : (1 - kSmooth) * ema_wait_s + kSmooth * wait_s;
      current.step_ms = 1000 * ema_step_s;
      current.samples_per_second = 2.0 * options.batch / ema_step_s;
      current.data_wait_share = ema_wait_s / ema_step_s;
      if (++run_steps > options.timing_skip) {
        ++current.timed_steps;
        current.timed_s += step_s;
        current.timed_wait_s += wait_s;
      }
      if (stepped) {
        if (options.eval_every > 0 && step % options.eval_every == 0) current.eval_psnr_a = evaluate();
        if (options.log_every > 0 && step % options.log_every == 0) write_log();
        if (options.save_every > 0 && step % options.save_every == 0) {
          if (auto s = save(); !s) throw_error(s.error());
        }
        if (options.preview_every > 0 && step % options.preview_every == 0) publish_preview();
        if (options.snapshot_every > 0 && step % options.snapshot_every == 0) publish_snapshot();
      }
      publish_stats();
    }
    if (stop.stop_requested() && !stopping) save_on_stop = false;  // destroyed without Stop
    if (save_on_stop && step > 0) {
      if (options.eval_every > 0) current.eval_psnr_a = evaluate();
      write_log();
      if (auto s = save(); !s) throw_error(s.error());
    }
    data.reset();
  }
};

// Builds the model, the compute copy, the discriminators and the optimizers, and resumes the
// newest checkpoint of options.model_dir if there is one. Runs on a short-lived thread (create()).
Status Trainer::State::build() {
  State& s = *this;
  try {
    torch::manual_seed(options.seed);
    auto made = model::make_faceswap_model(preset);
    if (!made) return std::unexpected(made.error());
    s.model = *made;
    s.model->to(s.device);
    if (options.channels_last) model::to_channels_last(*s.model);
    std::vector<torch::Tensor> compute_parameters;
    if (s.compute_dtype == torch::kFloat) {
      s.compute = s.model;
    } else {
      auto copy = model::make_faceswap_model(preset);
      if (!copy) return std::unexpected(copy.error());
      s.compute = *copy;
      s.compute->to(s.device, s.compute_dtype);
      if (options.channels_last) model::to_channels_last(*s.compute);
      compute_parameters = s.compute->parameters();
    }
    for (int i = 0; i < preset.identities; ++i) {
      model::Discriminator d(preset.discriminator_filters);
      d->to(s.device);
      for (auto& t : d->parameters()) s.d_parameters.push_back(t);
      s.discriminators.push_back(d);
    }
    model::FusedAdamOptions adam;
    adam.learning_rate = options.learning_rate;
    adam.beta1 = options.beta1;
    adam.beta2 = options.beta2;
    s.optimizer = std::make_unique<model::FusedAdam>(s.model->parameters(), compute_parameters, adam);
    s.optimizer->sync_compute();
    model::FusedAdamOptions d_adam;
    d_adam.learning_rate = options.discriminator_learning_rate;
    d_adam.beta1 = 0.5;
    s.d_optimizer = std::make_unique<model::FusedAdam>(s.d_parameters, std::vector<torch::Tensor>{}, d_adam);
    if (const auto existing = options.model_dir.empty() ? std::vector<std::filesystem::path>{}
                                                        : model::list_checkpoints(options.model_dir);
        !existing.empty()) {
      // The newest checkpoint only: resuming from an older one would let the next saves rotate
      // the newer (damaged) file's neighbours away. A person decides; the files stay untouched.
      auto checkpoint = model::load_checkpoint(existing.front());
      if (!checkpoint) {
        Error error = checkpoint.error();
        if (existing.size() > 1) {
          error.message += format(" (move it aside to resume from {})", existing[1].filename().string());
        }
        return std::unexpected(error);
      }
      if (auto st = model::check_preset(*checkpoint, preset.name); !st) return std::unexpected(st.error());
      if (auto st = s.restore(*checkpoint); !st) return std::unexpected(st.error());
      s.current.saved_step = checkpoint->header.step;
      log::info("resuming {} at step {}", checkpoint->path.string(), s.step);
    }
    s.last_good = s.encode_state();
  } catch (const std::exception& exception) {
    return fail(ErrorCode::kInternal, "setting up training: {}",
                std::string(exception.what()).substr(0, std::string(exception.what()).find('\n')));
  }
  return ok();
}

Trainer::Trainer(std::unique_ptr<State> state) : state_(std::move(state)) {}

Trainer::~Trainer() {
  state_->commands.close();
  state_->worker.stop();
}

Result<std::unique_ptr<Trainer>> Trainer::create(const TrainerOptions& options,
                                                 std::shared_ptr<const FaceBank> faces_a,
                                                 std::shared_ptr<const FaceBank> faces_b,
                                                 std::shared_ptr<const FaceBank> eval_a) {
  auto preset = model::find_preset(options.preset);
  if (!preset) return std::unexpected(preset.error());
  if (options.batch < 1 || options.batch > 4096) {
    return fail(ErrorCode::kInvalidArgument, "batch must be in [1, 4096], got {}", options.batch);
  }
  if (options.precision != "auto" && options.precision != "fp32" && options.precision != "bf16" &&
      options.precision != "fp16") {
    return fail(ErrorCode::kInvalidArgument, "precision must be auto, fp32, bf16 or fp16, got '{}'",
                options.precision);
  }
  if (options.schedule != "cosine" && options.schedule != "constant") {
    return fail(ErrorCode::kInvalidArgument, "schedule must be cosine or constant, got '{}'", options.schedule);
  }
  if (options.data_threads < 1 || options.prefetch < 1) {
    return fail(ErrorCode::kInvalidArgument, "data threads and prefetch depth must be at least 1");
  }
  int size = 0;
  for (const auto& [name, bank] : {std::pair{"A", faces_a}, std::pair{"B", faces_b}}) {
    if (!bank || bank->size() < static_cast<std::size_t>(kMinFaces)) {
      return fail(ErrorCode::kInvalidArgument, "face set {} has {} faces; training needs at least {}",
                  name, bank ? bank->size() : 0, kMinFaces);
    }
    for (const TrainFace& face : *bank) {
      if (size == 0) size = face.size;
      if (face.size != size || face.rgb.size() != static_cast<std::size_t>(size) * size * 3) {
        return fail(ErrorCode::kInvalidArgument,
                    "face set {} mixes face sizes ({} and {} px); re-extract with one --size", name,
                    size, face.size);
      }
    }
  }
  if (size < preset->resolution) {
    return fail(ErrorCode::kInvalidArgument, "faces of {} px are smaller than the {} preset's {} px",
                size, preset->name, preset->resolution);
  }
  const auto device = model::select_device(options.device);
  if (!device) return std::unexpected(device.error());

  auto state = std::make_unique<State>();
  State& s = *state;
  s.options = options;
  s.preset = *preset;
  s.device = *device;
  s.a = std::move(faces_a);
  s.b = std::move(faces_b);
  s.eval_a = std::move(eval_a);
  s.base_lr = options.learning_rate >= 0 ? options.learning_rate : preset->learning_rate;
  s.weights = options.weights;
  s.gan = options.gan;
  const bool cuda = s.device.is_cuda();
  const std::string& p = options.precision;
  if (p == "bf16" || (p == "auto" && (cuda || cpu_has_bf16()))) {
    s.compute_dtype = torch::kBFloat16;
    s.precision = "bf16, fp32 master weights";
  } else if (p == "fp16") {
    if (!cuda) return fail(ErrorCode::kUnsupported, "precision fp16 needs a CUDA device (use bf16 or fp32)");
    s.compute_dtype = torch::kHalf;
    s.loss_scale = kInitialLossScale;
    s.precision = "fp16, fp32 master weights, loss scaling";
  } else {
    s.precision = "fp32";
  }
  s.current.precision = s.precision;
  s.current.device = s.device.str();
  s.current.warp = options.augment.warp;
  s.current.train_flops_per_step = 3.0 * model::forward_flops_per_face(*preset) * 2.0 * options.batch;
  // The Torch work of setting up runs on a thread of its own that ends here, so that the caller's
  // thread never starts an OpenMP team: libgomp cuts its idle spinning to almost nothing once
  // more threads belong to teams than there are cores, which made every parallel op on the
  // trainer thread ~20 % slower (up to 2x for short convolutions) on the 2-core machine.
  Status built = ok();
  std::thread([&] { built = s.build(); }).join();
  if (!built) return std::unexpected(built.error());
  s.publish_stats();
  return std::unique_ptr<Trainer>(new Trainer(std::move(state)));
}


void Trainer::start() {
  if (state_->started_thread) return;
  state_->started_thread = true;
  State* s = state_.get();
  state_->worker = Worker("trainer", [s](std::stop_token stop) {
    try {
      s->run(stop);
    } catch (const std::exception& exception) {
      const std::string what = exception.what();
      s->failure = Error{what.find("cannot write") != std::string::npos ? ErrorCode::kIo : ErrorCode::kInternal,
                         what.substr(0, what.find('\n'))};
    }
    s->commands.close();
    s->current.finished = true;
    s->publish_stats();
  });
}

bool Trainer::send(TrainerCommand command) { return state_->commands.try_push(std::move(command)); }

TrainerStats Trainer::stats() const { return state_->stats.latest().value_or(TrainerStats{}); }

std::optional<PreviewImage> Trainer::take_preview() {
  auto preview = state_->previews.take();
  if (!preview || !*preview) return std::nullopt;
  return **preview;
}

std::shared_ptr<const model::WeightSnapshot> Trainer::latest_snapshot() const {
  return state_->snapshots.latest().value_or(nullptr);
}

std::uint64_t Trainer::snapshot_version() const { return state_->snapshots.version(); }

Status Trainer::wait() {
  state_->worker.join();
  if (state_->failure) return std::unexpected(*state_->failure);
  if (auto failure = state_->worker.failure()) return std::unexpected(*failure);
  return ok();
}

double Trainer::weight_norm() const {
  const torch::NoGradGuard no_grad;
  double sum = 0;
  for (const auto& p : state_->model->parameters()) sum += p.to(torch::kDouble).square().sum().item<double>();
  return std::sqrt(sum);
}

}  // namespace mirage::train
