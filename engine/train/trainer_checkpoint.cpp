// The trainer's persistence: building the model and its optimizers, resuming, the encoded state
// (checkpoints and the in-memory last good state), rolling back, and a data-parallel rank's
// start from rank 0's state.
#include <ATen/CPUGeneratorImpl.h>

#include <mutex>

#include "engine/core/log.h"
#include "engine/core/sha256.h"
#include "engine/model/checkpoint.h"
#include "engine/model/tensor_io.h"
#include "engine/model/train_step.h"
#include "engine/train/trainer_state.h"

namespace mirage::train {
namespace {

constexpr int kMaxRollbacks = 5;  // in a row without a good save in between: give up

std::string first_line(const std::exception& exception) {
  const std::string what = exception.what();
  return what.substr(0, what.find('\n'));
}

// A face set's identity for the ranks' comparison: the count and a digest of every pixel.
std::string describe(const FaceBank& bank) {
  std::string pixels;
  for (const TrainFace& face : bank) pixels.append(face.rgb.begin(), face.rgb.end());
  return format("{} faces of {} px, sha256 {}", bank.size(), bank.empty() ? 0 : bank.front().size,
                sha256_hex(pixels).substr(0, 16));
}

}  // namespace

std::string Trainer::State::encode_state() {
  model::TensorArchiveWriter archive;
  model::write_module(archive, "model", *model);
  for (std::size_t i = 0; i < discriminators.size(); ++i) {
    model::write_module(archive, format("discriminator{}", i), *discriminators[i]);
  }
  optimizer->save(archive, "optimizer");
  d_optimizer->save(archive, "discriminator_optimizer");
  {
    auto generator = at::detail::getDefaultCPUGenerator();
    const std::lock_guard lock(generator.mutex());
    model::write_tensor(archive, "rng", generator.get_state());
  }
  model::CheckpointHeader header;
  header.preset = preset.name;
  header.resolution = preset.resolution;
  header.step = step;
  header.seed = options.seed;
  header.crop = preset.crop;
  header.config = Json{{"options", to_json(options)},     {"batches", batches},
                       {"learning_rate", base_lr},         {"weights", model::to_json(weights)},
                       {"gan", gan},                       {"loss_scale", loss_scale}};
  return model::encode_checkpoint(header, std::move(archive).finish());
}

Status Trainer::State::restore(const model::Checkpoint& checkpoint) {
  const std::string where = checkpoint.path.empty() ? std::string("checkpoint") : checkpoint.path.string();
  if (checkpoint.version == model::kLegacyCheckpointVersion) return std::unexpected(model::legacy_payload_error(where));
  auto archive = model::TensorArchive::parse(checkpoint.payload, where);
  if (!archive) return std::unexpected(archive.error());
  try {
    if (auto s = model::load_module(*archive, "model", *model, where); !s) return s;
    bool current_discriminators = true;
    for (std::size_t i = 0; i < discriminators.size(); ++i) {
      auto loaded = model::load_discriminator(*archive, format("discriminator{}", i), *discriminators[i], where);
      if (!loaded) return std::unexpected(loaded.error());
      current_discriminators = current_discriminators && *loaded;
    }
    if (auto s = optimizer->load(*archive, "optimizer", where); !s) return s;
    if (current_discriminators) {
      if (auto s = d_optimizer->load(*archive, "discriminator_optimizer", where); !s) return s;
    } else {
      // Saved before the discriminators had self-attention: their parameter positions moved,
      // so their Adam moments start again (they rebuild in a few hundred steps).
      log::warn("{}: discriminators from before self-attention; their optimizer state starts fresh", where);
    }
    // Saves refuse non-finite weights; a file that has them anyway was not written by a save.
    if (!detail::all_finite(generator_parameters()) || !detail::all_finite(d_parameters)) {
      return fail(ErrorCode::kCorrupt, "{}: damaged checkpoint (weights that are not finite)", where);
    }
    optimizer->sync_compute();
    const model::TensorEntry* rng = archive->find("rng");
    if (rng == nullptr || rng->type != model::TensorType::kUint8) {
      return fail(ErrorCode::kCorrupt, "{}: damaged checkpoint (no random generator state)", where);
    }
    auto generator = at::detail::getDefaultCPUGenerator();
    const std::lock_guard lock(generator.mutex());
    generator.set_state(model::read_tensor(*rng));
  } catch (const std::exception& exception) {
    return fail(ErrorCode::kCorrupt, "{}: damaged checkpoint ({})", where, first_line(exception));
  }
  step = checkpoint.header.step;
  // A run resumed from a model of before kFaceCrop keeps cutting faces the way it learnt them.
  preset.crop = checkpoint.header.crop;
  model->set_crop(preset.crop);
  compute->set_crop(preset.crop);
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

Status Trainer::State::save() {
  if (!detail::all_finite(generator_parameters()) || !detail::all_finite(d_parameters)) {
    log::warn("trainer: weights are not finite at step {}; not saving, rolling back", step);
    rollback();
    return ok();
  }
  std::string bytes = encode_state();
  if (!options.model_dir.empty() && writes_files()) {
    if (auto s = model::commit_checkpoint(options.model_dir, step, bytes, options.keep); !s) {
      return std::unexpected(s.error().with_context("saving the checkpoint"));
    }
    current.saved_step = step;
  }
  last_good = std::move(bytes);
  rollbacks_since_save = 0;
  return ok();
}

void Trainer::State::rollback() {
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

Json Trainer::State::fingerprint() const {
  Json print = to_json(options);
  print.erase("device");  // machines differ; what they compute must not
  print["augment"] = Json{{"warp_sigma", options.augment.warp_sigma},
                          {"rotation_deg", options.augment.rotation_deg},
                          {"scale", options.augment.scale},
                          {"shift", options.augment.shift},
                          {"flip", options.augment.flip},
                          {"balance_pose", options.augment.balance_pose},
                          {"lightness", options.augment.lightness},
                          {"colour", options.augment.colour}};
  print["save_every"] = options.save_every;  // every rank encodes its last good state then
  print["world_size"] = options.distributed.world_size;
  print["face set A"] = describe(*a);
  print["face set B"] = describe(*b);
  return print;
}

// Builds the model, the compute copy, the discriminators and the optimizers, and resumes the
// newest checkpoint of options.model_dir if there is one (rank 0 only: the other ranks of a group
// take rank 0's state in join_group()). Runs on a short-lived thread (create()).
Status Trainer::State::build() {
  State& s = *this;
  // Torch's CPU generator is one per process: two trainers made at once (the ranks of a test's
  // group, threads in one process) must not interleave their seeded draws of initial weights.
  static std::mutex seeding;
  std::unique_lock seeded(seeding);
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
    seeded.unlock();
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
    if (const auto existing = options.model_dir.empty() || !writes_files()
                                  ? std::vector<std::filesystem::path>{}
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
    return fail(ErrorCode::kInternal, "setting up training: {}", first_line(exception));
  }
  return ok();
}

// Data parallel: the rendezvous, the check that every rank trains the same thing, the model built
// everywhere (a rank that fails to build stops every rank with its reason), and rank 0's state
// (fresh or resumed) copied to the others, so that the ranks start identical.
Status Trainer::State::join_group() {
  auto connected = ProcessGroup::connect(options.distributed, device.is_cuda());
  if (!connected) return std::unexpected(connected.error());
  group = std::move(*connected);
  if (auto s = group->check_same(fingerprint()); !s) return s;
  if (auto s = group->agree(build()); !s) return s;
  try {
    std::string state = group->broadcast_bytes(group->rank() == 0 ? last_good : std::string());
    if (group->rank() != 0) {
      auto checkpoint = model::decode_checkpoint(std::move(state), "rank 0's state");
      if (!checkpoint) return std::unexpected(checkpoint.error());
      if (auto s = restore(*checkpoint); !s) return s;
      current.saved_step = checkpoint->header.step > 0 ? checkpoint->header.step : -1;
      last_good = encode_state();
    }
    reducer = std::make_unique<GradientReducer>(*group, optimizer->gradient_tensors(), 1);
    d_reducer = std::make_unique<GradientReducer>(*group, d_parameters, 1);
  } catch (const RankLost& lost) {
    return fail(ErrorCode::kIo, "{}", lost.what());
  } catch (const std::exception& exception) {
    return fail(ErrorCode::kInternal, "starting the group: {}", first_line(exception));
  }
  current.world_size = group->world_size();
  current.rank = group->rank();
  current.gradient_megabytes = reducer->gradient_megabytes();
  current.rank_steps_per_second.assign(static_cast<std::size_t>(group->world_size()), 0.0);
  return ok();
}

}  // namespace mirage::train
