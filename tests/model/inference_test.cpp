#include "engine/model/inference.h"

#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "engine/core/file_io.h"
#include "engine/model/checkpoint.h"
#include "engine/model/faceswap_model.h"
#include "engine/model/tensor_io.h"
#include "engine/model/weight_snapshot.h"
#include "tests/core/temp_dir.h"

namespace mirage::model {
namespace {

std::string tiny_checkpoint(FaceSwapModel& model, std::int64_t step, const std::string& preset = "tiny",
                            ModelCrop crop = kFaceCrop) {
  TensorArchiveWriter archive;
  write_module(archive, "model", *model);
  CheckpointHeader header;
  header.preset = preset;
  header.resolution = 16;
  header.step = step;
  header.crop = crop;
  return encode_checkpoint(header, std::move(archive).finish());
}

TEST(ModelCrop, TheLegacyCropIsTheCentreOfTheAlignedCrop) {
  const auto m = model_to_aligned(64, 256, kLegacyCrop);
  // Pixel edges: model [0, 64) covers aligned [32, 224); centres sit 1.5 px into each cell.
  EXPECT_DOUBLE_EQ(m[0], 3.0);
  EXPECT_DOUBLE_EQ(m[2] - 0.5 * m[0] + 0.5, 32.0);
  EXPECT_DOUBLE_EQ(m[2] + 64 * m[0] - 0.5 * m[0] + 0.5, 224.0);
  EXPECT_DOUBLE_EQ(m[5], m[2]);
  EXPECT_EQ(m[1], 0.0);
  EXPECT_EQ(m[3], 0.0);
}

TEST(ModelCrop, TheFaceCropIsSmallerAndLower) {
  const auto m = model_to_aligned(64, 256, kFaceCrop);
  const double side = 0.68 * 256, left = (256 - side) / 2, top = left + 0.055 * 256;
  EXPECT_DOUBLE_EQ(m[0], side / 64);
  EXPECT_DOUBLE_EQ(m[4], side / 64);
  EXPECT_NEAR(m[2] - 0.5 * m[0] + 0.5, left, 1e-12);
  EXPECT_NEAR(m[5] - 0.5 * m[0] + 0.5, top, 1e-12);
  EXPECT_NEAR(m[5] + 64 * m[0] - 0.5 * m[0] + 0.5, top + side, 1e-12);
  // The same square at any resolution and aligned size.
  const auto n = model_to_aligned(128, 512, kFaceCrop);
  EXPECT_NEAR(n[5] - 0.5 * n[0] + 0.5, 2 * top, 1e-9);
}

TEST(ModelCrop, SquaresOutsideTheAlignedCropAreRefused) {
  EXPECT_TRUE(validate(kFaceCrop).has_value());
  EXPECT_TRUE(validate(kLegacyCrop).has_value());
  EXPECT_TRUE(validate(ModelCrop{1.0, 0.0}).has_value());
  for (const ModelCrop bad : {ModelCrop{0.2, 0.0}, ModelCrop{1.2, 0.0}, ModelCrop{0.9, 0.1}, ModelCrop{0.68, -0.2},
                              ModelCrop{std::nan(""), 0.0}}) {
    const Status status = validate(bad);
    ASSERT_FALSE(status.has_value()) << bad.fraction << " " << bad.shift_y;
    EXPECT_EQ(status.error().code, ErrorCode::kInvalidArgument);
  }
}

TEST(InferenceModel, UsesTheCropItsCheckpointNames) {
  TempDir dir;
  torch::manual_seed(4);
  auto model = *make_faceswap_model(*find_preset("tiny"));
  ASSERT_TRUE(commit_checkpoint(dir.path(), 3, tiny_checkpoint(model, 3, "tiny", kLegacyCrop), 3));
  auto legacy = InferenceModel::load(dir.path(), "cpu");
  ASSERT_TRUE(legacy.has_value()) << legacy.error().message;
  EXPECT_EQ((*legacy)->crop(), kLegacyCrop);
  ASSERT_TRUE(commit_checkpoint(dir.path(), 4, tiny_checkpoint(model, 4), 3));
  auto current = InferenceModel::load(dir.path(), "cpu");
  ASSERT_TRUE(current.has_value()) << current.error().message;
  EXPECT_EQ((*current)->crop(), kFaceCrop);
  // Live weights of a model that looks elsewhere would be cut wrongly: refused, weights kept.
  const WeightSnapshot snapshot = take_snapshot(*model, 9);
  const Status refused = (*legacy)->update(snapshot);
  ASSERT_FALSE(refused.has_value());
  EXPECT_NE(refused.error().message.find("crop"), std::string::npos);
  EXPECT_EQ((*legacy)->step(), 3);
  EXPECT_TRUE((*current)->update(snapshot).has_value());
}

TEST(InferenceModel, LoadsACheckpointAndSwaps) {
  TempDir dir;
  torch::manual_seed(4);
  auto model = *make_faceswap_model(*find_preset("tiny"));
  ASSERT_TRUE(commit_checkpoint(dir.path(), 12, tiny_checkpoint(model, 12), 3));
  auto loaded = InferenceModel::load(dir.path(), "cpu");
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
  EXPECT_EQ((*loaded)->resolution(), 16);
  EXPECT_EQ((*loaded)->preset(), "tiny");
  EXPECT_EQ((*loaded)->identities(), 2);
  EXPECT_EQ((*loaded)->step(), 12);
  std::vector<float> faces(2 * 16 * 16 * 3, 0.5f);
  auto out = (*loaded)->swap(faces, 2, 1);
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(out->rgb.size(), faces.size());
  EXPECT_EQ(out->mask.size(), 2u * 16 * 16);
  // Same numbers as the module itself (NHWC in, NHWC out).
  const torch::Tensor x = torch::full({2, 3, 16, 16}, 0.5f);
  const torch::Tensor y = model->decode(model->encode(x), 1).permute({0, 2, 3, 1}).contiguous();
  EXPECT_NEAR(y.index({0, 3, 5, 1}).item<float>(), out->rgb[(3 * 16 + 5) * 3 + 1], 1e-5);
  EXPECT_NEAR(y.index({1, 7, 2, 3}).item<float>(), out->mask[16 * 16 + 7 * 16 + 2], 1e-5);
  EXPECT_FALSE((*loaded)->swap(faces, 3, 1).has_value());
  EXPECT_FALSE((*loaded)->swap(faces, 2, 2).has_value());
}

TEST(InferenceModel, SwapsWithALiaeCheckpoint) {
  // The one-decoder layout loads by its preset name and swaps both ways as the module does.
  TempDir dir;
  torch::manual_seed(5);
  auto model = *make_faceswap_model(*find_preset("tiny-liae"));
  ASSERT_TRUE(commit_checkpoint(dir.path(), 7, tiny_checkpoint(model, 7, "tiny-liae"), 3));
  auto loaded = InferenceModel::load(dir.path(), "cpu");
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
  EXPECT_EQ((*loaded)->preset(), "tiny-liae");
  const torch::Tensor x = torch::rand({2, 3, 16, 16});
  const torch::Tensor nhwc = x.permute({0, 2, 3, 1}).contiguous();
  const std::vector<float> faces(nhwc.data_ptr<float>(), nhwc.data_ptr<float>() + nhwc.numel());
  for (int to = 0; to < 2; ++to) {
    auto out = (*loaded)->swap(faces, 2, to);
    ASSERT_TRUE(out.has_value());
    const torch::Tensor y = model->decode(model->encode(x), to).permute({0, 2, 3, 1}).contiguous();
    const torch::Tensor rgb = y.index({"...", torch::indexing::Slice(0, 3)}).contiguous();
    const torch::Tensor got = torch::from_blob(out->rgb.data(), {2, 16, 16, 3});
    EXPECT_TRUE(torch::allclose(got, rgb, 1e-5, 1e-5)) << "to " << to;
  }
}

TEST(InferenceModel, RefusesMissingForeignAndDamagedFiles) {
  TempDir dir;
  EXPECT_EQ(InferenceModel::load(dir.path() / "none", "cpu").error().code, ErrorCode::kNotFound);
  ASSERT_TRUE(write_file_atomic(dir.path() / "foreign.mirage", "PK junk"));
  EXPECT_EQ(InferenceModel::load(dir.path() / "foreign.mirage", "cpu").error().code, ErrorCode::kCorrupt);
  // A valid header around a payload that is not a torch archive.
  CheckpointHeader header;
  header.preset = "tiny";
  header.resolution = 16;
  ASSERT_TRUE(write_file_atomic(dir.path() / "bad.mirage", encode_checkpoint(header, "not an archive")));
  const auto bad = InferenceModel::load(dir.path() / "bad.mirage", "cpu");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, ErrorCode::kCorrupt);
  EXPECT_EQ(bad.error().message.find('\n'), std::string::npos);
}

// Module::load takes whatever tensors an archive holds; a checkpoint of the right preset whose
// tensor has another shape used to load and fail (or worse) only inside a swap.
TEST(InferenceModel, RefusesTensorsOfAnotherShape) {
  torch::manual_seed(4);
  auto model = *make_faceswap_model(*find_preset("tiny"));
  {
    const torch::NoGradGuard no_grad;
    auto parameter = model->named_parameters().begin()->value();
    parameter.set_data(torch::zeros({3}));
  }
  auto checkpoint = decode_checkpoint(tiny_checkpoint(model, 5), "crafted.mirage");
  ASSERT_TRUE(checkpoint.has_value());
  auto loaded = InferenceModel::from_checkpoint(*checkpoint, "cpu");
  ASSERT_FALSE(loaded.has_value());
  EXPECT_EQ(loaded.error().code, ErrorCode::kCorrupt);
  EXPECT_NE(loaded.error().message.find("the model needs"), std::string::npos) << loaded.error().message;
  EXPECT_NE(loaded.error().message.find("[3]"), std::string::npos) << loaded.error().message;
}

TEST(InferenceModel, UpdateFromASnapshotWhileOtherThreadsSwap) {
  torch::manual_seed(5);
  auto trained = *make_faceswap_model(*find_preset("tiny"));
  const WeightSnapshot first = take_snapshot(*trained, 1);
  auto model = InferenceModel::from_snapshot(first, "cpu");
  ASSERT_TRUE(model.has_value());
  std::vector<float> faces(16 * 16 * 3, 0.25f);
  const auto before = (*model)->swap(faces, 1, 0)->rgb;
  {
    const torch::NoGradGuard no_grad;
    for (auto& p : trained->parameters()) p.add_(0.05);
  }
  std::atomic<bool> done{false};
  std::thread reader([&] {
    while (!done.load()) ASSERT_TRUE((*model)->swap(faces, 1, 0).has_value());
  });
  ASSERT_TRUE((*model)->update(take_snapshot(*trained, 2)));
  done.store(true);
  reader.join();
  EXPECT_EQ((*model)->step(), 2);
  EXPECT_NE((*model)->swap(faces, 1, 0)->rgb, before);
}

}  // namespace
}  // namespace mirage::model
