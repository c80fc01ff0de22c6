#include "engine/swap/model_swapper.h"

#include "engine/model/inference.h"

namespace mirage::swap {
namespace {

class ModelSwapper final : public FaceSwapper {
 public:
  explicit ModelSwapper(std::unique_ptr<model::InferenceModel> model) : model_(std::move(model)) {}

  int resolution() const override { return model_->resolution(); }
  int identities() const override { return model_->identities(); }
  std::string preset() const override { return model_->preset(); }
  cv::Matx23d model_to_aligned(int resolution, int aligned_side) const override {
    const std::array<double, 6> m = model::model_to_aligned(resolution, aligned_side);
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

}  // namespace

Result<std::unique_ptr<FaceSwapper>> make_model_swapper(const std::filesystem::path& model_dir_or_file,
                                                        std::string_view device) {
  auto model = model::InferenceModel::load(model_dir_or_file, device);
  if (!model) return std::unexpected(model.error());
  const int resolution = (*model)->resolution();
  if (resolution != 64 && resolution != 128) {
    return fail(ErrorCode::kUnsupported, "{}: a model trained at {} px (Mirage swaps with 64 or 128 px models)",
                model_dir_or_file.string(), resolution);
  }
  if ((*model)->identities() < 2) {
    return fail(ErrorCode::kUnsupported, "{}: the model has fewer than two identities", model_dir_or_file.string());
  }
  return std::unique_ptr<FaceSwapper>(std::make_unique<ModelSwapper>(std::move(*model)));
}

}  // namespace mirage::swap
