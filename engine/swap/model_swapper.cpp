#include "engine/swap/model_swapper.h"

#include "engine/model/inference.h"

#include <string>

namespace mirage::swap {
namespace {

class ModelSwapper final : public LiveSwapper {
 public:
  explicit ModelSwapper(std::unique_ptr<model::InferenceModel> model) : model_(std::move(model)) {}

  Status update(const model::WeightSnapshot& snapshot) override { return model_->update(snapshot); }
  std::int64_t step() const override { return model_->step(); }

  int resolution() const override { return model_->resolution(); }
  int identities() const override { return model_->identities(); }
  std::string preset() const override { return model_->preset(); }
  std::string weights_sha256() const override { return model_->weights_sha256(); }
  std::filesystem::path checkpoint_path() const override { return model_->checkpoint_path(); }
  cv::Matx23d model_to_aligned(int resolution, int aligned_side) const override {
    const std::array<double, 6> m = model::model_to_aligned(resolution, aligned_side, model_->crop());
    return {m[0], m[1], m[2], m[3], m[4], m[5]};
  }
  Result<SwappedFaces> swap(std::span<const float> faces, int count, int to) const override {
    auto out = model_->swap(faces, count, to);
    if (!out) return std::unexpected(out.error());
    return SwappedFaces{std::move(out->rgb), std::move(out->mask)};
  }

 private:
  std::unique_ptr<model::InferenceModel> model_;
};

Result<std::unique_ptr<LiveSwapper>> checked(Result<std::unique_ptr<model::InferenceModel>> model,
                                             const std::string& what) {
  if (!model) return std::unexpected(model.error());
  const int resolution = (*model)->resolution();
  if (resolution != 64 && resolution != 128) {
    return fail(ErrorCode::kUnsupported, "{}: a model trained at {} px (Mirage swaps with 64 or 128 px models)", what,
                resolution);
  }
  if ((*model)->identities() < 2) return fail(ErrorCode::kUnsupported, "{}: the model has fewer than two identities", what);
  return std::unique_ptr<LiveSwapper>(std::make_unique<ModelSwapper>(std::move(*model)));
}

}  // namespace

Result<std::unique_ptr<FaceSwapper>> make_model_swapper(const std::filesystem::path& model_dir_or_file,
                                                        std::string_view device) {
  auto live = LiveSwapper::load(model_dir_or_file, device);
  if (!live) return std::unexpected(live.error());
  return std::unique_ptr<FaceSwapper>(std::move(*live));
}

Result<std::unique_ptr<LiveSwapper>> LiveSwapper::load(const std::filesystem::path& model_dir_or_file,
                                                       std::string_view device) {
  return checked(model::InferenceModel::load(model_dir_or_file, device), model_dir_or_file.string());
}

Result<std::unique_ptr<LiveSwapper>> LiveSwapper::from_snapshot(const model::WeightSnapshot& snapshot,
                                                                std::string_view device) {
  return checked(model::InferenceModel::from_snapshot(snapshot, device), "the trainer's snapshot");
}

}  // namespace mirage::swap
