#include "engine/model/inference.h"

#include "engine/core/sha256.h"

#include <mutex>

#include <torch/torch.h>

#include "engine/model/checkpoint.h"
#include "engine/model/device.h"
#include "engine/model/tensor_io.h"
#include "engine/model/torch_error.h"
#include "engine/model/weight_snapshot.h"

namespace mirage::model {

struct InferenceModel::State {
  ModelPreset preset;
  torch::Device device{torch::kCPU};
  mutable std::mutex mutex;               // guards `model` and `step` (the pointers, not the model)
  std::shared_ptr<FaceSwapModel> model;   // replaced whole by update(); never mutated in place
  std::int64_t step = 0;
  std::filesystem::path checkpoint;       // the file the weights came from (until update())
  std::string weights_sha256;             // of `model`, computed on first request
};

WeightSnapshot take_snapshot(FaceSwapModelImpl& model, std::int64_t step) {
  const torch::NoGradGuard no_grad;
  WeightSnapshot snapshot{model.preset(), step, {}};
  for (const auto& item : model.named_parameters()) {
    snapshot.tensors.emplace_back(item.key(), item.value().detach().to(torch::kCPU, torch::kFloat).contiguous().clone());
  }
  for (const auto& item : model.named_buffers()) {
    snapshot.tensors.emplace_back(item.key(), item.value().detach().to(torch::kCPU).contiguous().clone());
  }
  return snapshot;
}

Status load_snapshot(FaceSwapModelImpl& model, const WeightSnapshot& snapshot) {
  if (snapshot.preset.name != model.preset().name) {
    return fail(ErrorCode::kInvalidArgument, "weight snapshot is preset '{}', the model '{}'",
                snapshot.preset.name, model.preset().name);
  }
  if (snapshot.preset.crop != model.preset().crop) {
    return fail(ErrorCode::kInvalidArgument, "weight snapshot was trained on another crop of the face than the model");
  }
  const torch::NoGradGuard no_grad;
  auto parameters = model.named_parameters();
  auto buffers = model.named_buffers();
  std::size_t matched = 0;
  for (const auto& [name, tensor] : snapshot.tensors) {
    torch::Tensor* target = parameters.find(name);
    if (target == nullptr) target = buffers.find(name);
    if (target == nullptr || target->sizes() != tensor.sizes()) {
      return fail(ErrorCode::kInvalidArgument, "weight snapshot: tensor '{}' does not fit the model",
                  name);
    }
    target->copy_(tensor);
    ++matched;
  }
  if (matched != parameters.size() + buffers.size()) {
    return fail(ErrorCode::kInvalidArgument, "weight snapshot: {} tensors for a model of {}",
                matched, parameters.size() + buffers.size());
  }
  return ok();
}

InferenceModel::InferenceModel(std::unique_ptr<State> state) : state_(std::move(state)) {}
InferenceModel::~InferenceModel() = default;

Result<std::unique_ptr<InferenceModel>> InferenceModel::load(const std::filesystem::path& path,
                                                             std::string_view device_name) {
  const auto device = select_device(device_name);
  if (!device) return std::unexpected(device.error());
  auto checkpoint = load_checkpoint(path);
  if (!checkpoint) return std::unexpected(checkpoint.error());
  return from_checkpoint(*checkpoint, device_name);
}

Result<std::unique_ptr<InferenceModel>> InferenceModel::from_checkpoint(const Checkpoint& checkpoint,
                                                                        std::string_view device_name) {
  const auto device = select_device(device_name);
  if (!device) return std::unexpected(device.error());
  const std::string where = checkpoint.path.empty() ? std::string("checkpoint") : checkpoint.path.string();
  const auto preset = preset_of(checkpoint.header, where);
  if (!preset) return std::unexpected(preset.error());
  auto state = std::make_unique<State>();
  state->preset = *preset;
  state->device = *device;
  state->step = checkpoint.header.step;
  state->checkpoint = checkpoint.path;
  if (checkpoint.version == kLegacyCheckpointVersion) return std::unexpected(legacy_payload_error(where));
  auto archive = TensorArchive::parse(checkpoint.payload, where);
  if (!archive) return std::unexpected(archive.error());
  try {
    torch::NoGradGuard no_grad;
    auto model = std::make_shared<FaceSwapModel>(*preset);
    if (auto s = load_module(*archive, "model", *model->get(), where); !s) return std::unexpected(s.error());
    (*model)->to(*device);
    (*model)->eval();
    state->model = std::move(model);
  } catch (const std::exception& exception) {
    return fail(ErrorCode::kCorrupt, "{}: damaged checkpoint ({})", where,
                detail::torch_error(exception, "weights").message);
  }
  return std::unique_ptr<InferenceModel>(new InferenceModel(std::move(state)));
}

Result<std::unique_ptr<InferenceModel>> InferenceModel::from_snapshot(const WeightSnapshot& snapshot,
                                                                      std::string_view device_name) {
  const auto device = select_device(device_name);
  if (!device) return std::unexpected(device.error());
  auto state = std::make_unique<State>();
  state->preset = snapshot.preset;
  state->device = *device;
  state->model = std::make_shared<FaceSwapModel>(snapshot.preset);
  state->model->get()->eval();
  std::unique_ptr<InferenceModel> model(new InferenceModel(std::move(state)));
  if (auto s = model->update(snapshot); !s) return std::unexpected(s.error());
  return model;
}

int InferenceModel::resolution() const { return state_->preset.resolution; }
std::string InferenceModel::preset() const { return state_->preset.name; }
int InferenceModel::identities() const { return state_->preset.identities; }
ModelCrop InferenceModel::crop() const { return state_->preset.crop; }
std::int64_t InferenceModel::step() const {
  const std::lock_guard lock(state_->mutex);
  return state_->step;
}

std::filesystem::path InferenceModel::checkpoint_path() const {
  const std::lock_guard lock(state_->mutex);
  return state_->checkpoint;
}

std::string InferenceModel::weights_sha256() const {
  const std::lock_guard lock(state_->mutex);
  if (!state_->weights_sha256.empty()) return state_->weights_sha256;
  const torch::NoGradGuard no_grad;
  Sha256 hash;
  auto add = [&hash](const std::string& name, const torch::Tensor& t) {
    const torch::Tensor cpu = t.detach().to(torch::kCPU, torch::kFloat32).contiguous();
    hash.update(name);
    for (std::int64_t size : cpu.sizes()) hash.update(std::to_string(size) + ",");
    hash.update(std::span(static_cast<const std::uint8_t*>(cpu.data_ptr()), cpu.numel() * sizeof(float)));
  };
  for (const auto& item : (*state_->model)->named_parameters()) add(item.key(), item.value());
  for (const auto& item : (*state_->model)->named_buffers()) add(item.key(), item.value());
  state_->weights_sha256 = hash.hex();
  return state_->weights_sha256;
}

Result<SwapOutput> InferenceModel::swap(std::span<const float> faces, int count, int to) const {
  const int r = resolution();
  if (count < 0 || faces.size() != static_cast<std::size_t>(count) * r * r * 3) {
    return fail(ErrorCode::kInvalidArgument, "swap: {} floats for {} faces of {}x{}x3",
                faces.size(), count, r, r);
  }
  if (to < 0 || to >= identities()) {
    return fail(ErrorCode::kInvalidArgument, "swap: identity {} (the model has {})", to, identities());
  }
  SwapOutput out;
  if (count == 0) return out;
  std::shared_ptr<FaceSwapModel> model;
  {
    const std::lock_guard lock(state_->mutex);
    model = state_->model;
  }
  try {
    const torch::InferenceMode inference;
    const torch::Tensor input =
        torch::from_blob(const_cast<float*>(faces.data()), {count, r, r, 3}, torch::kFloat)
            .to(state_->device)
            .permute({0, 3, 1, 2});
    const torch::Tensor output =
        (*model)->decode((*model)->encode(input), to).permute({0, 2, 3, 1}).to(torch::kCPU).contiguous();
    using torch::indexing::Slice;
    const torch::Tensor rgb = output.index({Slice(), Slice(), Slice(), Slice(0, 3)}).contiguous();
    const torch::Tensor mask = output.index({Slice(), Slice(), Slice(), 3}).contiguous();
    out.rgb.assign(rgb.data_ptr<float>(), rgb.data_ptr<float>() + rgb.numel());
    out.mask.assign(mask.data_ptr<float>(), mask.data_ptr<float>() + mask.numel());
  } catch (const std::exception& exception) {
    return std::unexpected(detail::torch_error(exception, "swap"));
  }
  return out;
}

Status InferenceModel::update(const WeightSnapshot& snapshot) {
  if (snapshot.preset.name != state_->preset.name) {
    return fail(ErrorCode::kInvalidArgument, "weight snapshot is preset '{}', the model '{}'",
                snapshot.preset.name, state_->preset.name);
  }
  // The crop is fixed for a model's lifetime: swappers cache the matrices made from it.
  if (snapshot.preset.crop != state_->preset.crop) {
    return fail(ErrorCode::kInvalidArgument, "weight snapshot was trained on another crop of the face than the model");
  }
  try {
    auto model = std::make_shared<FaceSwapModel>(snapshot.preset);
    if (auto s = load_snapshot(**model, snapshot); !s) return s;
    (*model)->to(state_->device);
    (*model)->eval();
    const std::lock_guard lock(state_->mutex);
    state_->model = std::move(model);
    state_->step = snapshot.step;
    state_->checkpoint.clear();
    state_->weights_sha256.clear();
  } catch (const std::exception& exception) {
    return std::unexpected(detail::torch_error(exception, "loading a weight snapshot"));
  }
  return ok();
}

}  // namespace mirage::model
