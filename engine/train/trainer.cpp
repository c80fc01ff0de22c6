// The trainer: create(), its thread and loop, and the commands. The step, persistence and what
// the trainer publishes live beside it (engine/train/trainer_state.h lists them).
#include "engine/train/trainer.h"

#include <chrono>
#include <cmath>
#include <fstream>
#include <numbers>
#include <thread>

#include <torch/torch.h>

#include "engine/core/log.h"
#include "engine/model/device.h"
#include "engine/train/trainer_state.h"

namespace mirage::train {
namespace {

using detail::Clock;
constexpr double kInitialLossScale = 65536;
constexpr auto kPausePoll = std::chrono::milliseconds(100);

bool cpu_has_bf16() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.starts_with("flags")) return line.find("avx512_bf16") != std::string::npos;
  }
  return false;
}

[[noreturn]] void throw_error(const Error& error) { throw std::runtime_error(error.message); }

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

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
              {"decay_from", o.decay_from},
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

double Trainer::State::elapsed_s() const { return seconds_since(started) - paused_s; }

double Trainer::State::progress() const {
  double done = 0;
  if (options.max_steps > 0) done = static_cast<double>(step) / options.max_steps;
  if (options.max_minutes > 0) done = std::max(done, elapsed_s() / (60 * options.max_minutes));
  return std::clamp(done, 0.0, 1.0);
}

double Trainer::State::scheduled_lr() const {
  double lr = base_lr;
  if (options.warmup_steps > 0 && step < options.warmup_steps) {
    lr *= static_cast<double>(step + 1) / options.warmup_steps;
  }
  if (options.schedule == "cosine") {
    const double decay = std::clamp((progress() - options.decay_from) / (1.0 - options.decay_from), 0.0, 1.0);
    lr *= 0.1 + 0.9 * 0.5 * (1 + std::cos(std::numbers::pi * decay));
  }
  return lr;
}

bool Trainer::State::limit_reached() const {
  return (options.max_steps > 0 && step >= options.max_steps) ||
         (options.max_minutes > 0 && elapsed_s() >= 60 * options.max_minutes);
}

void Trainer::State::apply(TrainerCommand& command) {
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
          if (group) {
            save_requested = true;  // every rank saves at the same step (their last good states agree)
          } else if (auto s = save(); !s) {
            throw_error(s.error());
          }
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

// The periodic work after a step: evaluation, the log, saves, previews and snapshots. In a group
// every rank saves (each keeps its last good state for rollbacks; rank 0 alone commits the file)
// and publishes snapshots; rank 0 alone evaluates, logs and draws previews.
void Trainer::State::after_step(bool stepped) {
  if (!stepped) return;
  const auto due = [&](std::int64_t every) { return every > 0 && step % every == 0; };
  if (writes_files() && due(options.eval_every)) current.eval_psnr_a = evaluate();
  if (writes_files() && due(options.log_every)) write_log();
  if (due(options.save_every)) {
    if (auto s = save(); !s) throw_error(s.error());
  }
  if (writes_files() && due(options.preview_every)) publish_preview();
  if (due(options.snapshot_every)) publish_snapshot();
}

void Trainer::State::finish_run(bool save_now) {
  if (!save_now || step == 0) return;
  if (writes_files() && options.eval_every > 0) current.eval_psnr_a = evaluate();
  if (writes_files()) write_log();
  if (auto s = save(); !s) throw_error(s.error());
}

void Trainer::State::loop(std::stop_token stop) {
  while (true) {
    if (stop.stop_requested()) {
      // Destroyed without Stop: no save. A group hears of it in the exchange below, so that the
      // other ranks end cleanly instead of losing this one.
      if (!stopping) save_on_stop = false;
      stopping = true;
      if (!group) return;
    }
    for (TrainerCommand& command : commands.drain()) apply(command);
    if (!group && stopping) return;
    if (current.warp && options.warp_until < 1.0 && writes_files() && progress() >= options.warp_until) {
      // The final phase without warping sharpens the reconstruction (DFL does the same). In a
      // group rank 0 decides, before the exchange tells the others.
      data->set_warp(false);
      current.warp = false;
    }
    if (group) {
      exchange_control();
      if (control->save) {
        if (auto s = save(); !s) throw_error(s.error());
      }
      if (control->stop) {
        if (!stopping) save_on_stop = true;  // another rank's Stop, or rank 0's limit
        return;
      }
    }
    if (paused || group_paused) {
      publish_stats();
      const auto pause_start = Clock::now();
      if (auto command = commands.pop_for(kPausePoll, stop)) apply(*command);
      paused_s += seconds_since(pause_start);
      continue;
    }
    if (!group && limit_reached()) return;
    const auto t0 = Clock::now();
    std::optional<TrainBatch> batch = data->next(stop);
    if (!batch) {
      if (!group) return;
      continue;  // stopping: the next exchange tells the group
    }
    ++batches;
    if (run_steps == options.debug_stall_step) {
      while (!stop.stop_requested() && !stop_sent.load()) std::this_thread::sleep_for(kPausePoll);
      stopping = true;
      if (stop.stop_requested()) save_on_stop = false;
      if (!group) return;
      continue;
    }
    const auto t1 = Clock::now();
    const bool stepped = train_step(*batch);
    const double wait_s = std::chrono::duration<double>(t1 - t0).count();
    const double step_s = seconds_since(t0);
    constexpr double kSmooth = 0.1;
    const bool first = ema_step_s == 0;
    ema_step_s = first ? step_s : (1 - kSmooth) * ema_step_s + kSmooth * step_s;
    ema_wait_s = first ? wait_s : (1 - kSmooth) * ema_wait_s + kSmooth * wait_s;
    current.step_ms = 1000 * ema_step_s;
    // In a group: the faces of the whole group per second.
    current.samples_per_second = 2.0 * options.batch * current.world_size / ema_step_s;
    current.data_wait_share = ema_wait_s / ema_step_s;
    current.reduce_wait_share = ema_reduce_s / ema_step_s;
    if (++run_steps > options.timing_skip) {
      ++current.timed_steps;
      current.timed_s += step_s;
      current.timed_wait_s += wait_s;
    }
    after_step(stepped);
    publish_stats();
  }
}

void Trainer::State::run(std::stop_token stop) {
  PipelineOptions pipeline;
  pipeline.batch = options.batch;
  pipeline.resolution = preset.resolution;
  pipeline.crop = preset.crop;
  pipeline.augment = options.augment;
  pipeline.seed = options.seed;
  pipeline.threads = options.data_threads;
  pipeline.depth = options.prefetch;
  // Rank r trains slots [r * batch, (r + 1) * batch) of the group's batch of world * batch: the
  // group sees exactly what one process with the whole batch would.
  pipeline.first_slot = options.distributed.rank * options.batch;
  data = std::make_unique<BatchPrefetcher>(a, b, pipeline, batches);
  if (!options.model_dir.empty() && writes_files()) {
    std::filesystem::create_directories(options.model_dir);
    const auto log_path = options.model_dir / "train_log.jsonl";
    if (auto s = detail::repair_train_log(log_path, step); !s) log::warn("{}", s.error().message);
    log_file = std::make_unique<std::ofstream>(log_path, std::ios::app);
  }
  started = Clock::now();
  try {
    loop(stop);
  } catch (const RankLost& lost) {
    // The weights are those of the last whole step (a step's update follows its all-reduce), the
    // same on every rank: rank 0 keeps them.
    data.reset();
    std::string saved;
    if (writes_files() && step > 0 && !options.model_dir.empty()) {
      group.reset();  // nothing more to say to the peers; stops the heartbeat
      if (auto s = save(); s && current.saved_step == step) {
        saved = format("; step {} saved in {}", step, options.model_dir.string());
      } else if (!s) {
        saved = format("; saving failed too: {}", s.error().message);
      }
    }
    throw std::runtime_error(lost.what() + saved);
  }
  finish_run(save_on_stop);
  data.reset();
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
  if (!(options.decay_from >= 0.0 && options.decay_from < 1.0)) {
    return fail(ErrorCode::kInvalidArgument, "decay_from must be in [0, 1), got {}", options.decay_from);
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
  if (auto st = validate(options.distributed); !st) return std::unexpected(st.error());
  const auto device = model::select_device(
      device_for_rank(options.device, options.distributed, torch::cuda::is_available()));
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
  // A group's rendezvous runs there too: every rank waits for the others (up to the timeout).
  std::thread([&] { built = options.distributed.active() ? s.join_group() : s.build(); }).join();
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

bool Trainer::send(TrainerCommand command) {
  if (std::holds_alternative<Stop>(command)) state_->stop_sent = true;
  return state_->commands.try_push(std::move(command));
}

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
