#include "engine/model/autoencoder.h"

#include <string>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "engine/core/check.h"
#include "engine/model/blocks.h"
#include "engine/model/train_step.h"

namespace mirage::model {
namespace {

AutoencoderOptions tiny_options() {
  AutoencoderOptions options;
  options.image_size = 16;
  options.encoder_filters = {8, 16};
  options.latent = 32;
  options.decoder_filters = {16, 8};
  return options;
}

ConvAutoencoder make_tiny(std::uint64_t seed = 1) {
  torch::manual_seed(seed);
  Result<ConvAutoencoder> model = make_autoencoder(tiny_options());
  MIRAGE_CHECK(model.has_value());
  return *model;
}

// Smooth colour fields: learnable in a few steps, unlike per-pixel noise.
torch::Tensor smooth_faces(int count, int size) {
  torch::manual_seed(7);
  namespace F = torch::nn::functional;
  return F::interpolate(torch::rand({count, 3, 3, 3}),
                        F::InterpolateFuncOptions()
                            .size(std::vector<std::int64_t>{size, size})
                            .mode(torch::kBilinear)
                            .align_corners(true));
}

TEST(Blocks, HalveAndDoubleTheSide) {
  torch::manual_seed(1);
  ConvBlock down(3, 8);
  UpscaleBlock up(8, 4);
  const torch::Tensor x = torch::rand({2, 3, 16, 16});
  const torch::Tensor half = down(x);
  EXPECT_EQ(half.sizes(), torch::IntArrayRef({2, 8, 8, 8}));
  EXPECT_EQ(up(half).sizes(), torch::IntArrayRef({2, 4, 16, 16}));
}

TEST(Autoencoder, OutputHasTheInputShapeAndStaysInZeroOne) {
  ConvAutoencoder model = make_tiny();
  const torch::Tensor faces = torch::rand({4, 3, 16, 16});
  const torch::Tensor out = model->forward(faces);
  EXPECT_EQ(out.sizes(), faces.sizes());
  EXPECT_GE(out.min().item<float>(), 0.0F);
  EXPECT_LE(out.max().item<float>(), 1.0F);
  EXPECT_EQ(model->encode(faces).sizes(), torch::IntArrayRef({4, 32}));
  EXPECT_EQ(model->bottleneck_size(), 4);
}

TEST(Autoencoder, DefaultOptionsReconstruct64x64Rgb) {
  torch::manual_seed(1);
  Result<ConvAutoencoder> model = make_autoencoder(AutoencoderOptions{});
  ASSERT_TRUE(model);
  EXPECT_EQ((*model)->bottleneck_size(), 8);
  const torch::NoGradGuard no_grad;
  const torch::Tensor out = (*model)->forward(torch::rand({1, 3, 64, 64}));
  EXPECT_EQ(out.sizes(), torch::IntArrayRef({1, 3, 64, 64}));
}

TEST(Autoencoder, CountsItsParameters) {
  const ConvAutoencoder model = make_tiny();
  const std::int64_t conv1 = 3 * 8 * 25 + 8;
  const std::int64_t conv2 = 8 * 16 * 25 + 16;
  const std::int64_t dense = 4 * 4 * 16;
  const std::int64_t to_latent = dense * 32 + 32;
  const std::int64_t from_latent = 32 * dense + dense;
  const std::int64_t up1 = 16 * (4 * 16) * 9 + 4 * 16;
  const std::int64_t up2 = 16 * (4 * 8) * 9 + 4 * 8;
  const std::int64_t to_image = 8 * 3 * 25 + 3;
  EXPECT_EQ(count_parameters(*model),
            conv1 + conv2 + to_latent + from_latent + up1 + up2 + to_image);
}

TEST(Autoencoder, ValidateRejectsInconsistentOptions) {
  EXPECT_TRUE(validate(tiny_options()));
  auto expect_invalid = [](AutoencoderOptions options, const char* field) {
    const Status status = validate(options);
    ASSERT_FALSE(status) << field;
    EXPECT_EQ(status.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(status.error().message.find(field), std::string::npos) << status.error().message;
    EXPECT_FALSE(make_autoencoder(options));
  };
  AutoencoderOptions options = tiny_options();
  options.image_size = 18;
  expect_invalid(options, "image_size");
  options = tiny_options();
  options.decoder_filters = {8};
  expect_invalid(options, "decoder_filters");
  options = tiny_options();
  options.encoder_filters = {};
  options.decoder_filters = {};
  expect_invalid(options, "encoder_filters");
  options = tiny_options();
  options.encoder_filters = {8, 0};
  expect_invalid(options, "encoder_filters");
  options = tiny_options();
  options.channels = 5;
  expect_invalid(options, "channels");
  options = tiny_options();
  options.latent = 0;
  expect_invalid(options, "latent");
  options = tiny_options();
  options.image_size = 1024;
  options.encoder_filters = {8192};
  options.decoder_filters = {8};
  options.latent = 8192;
  expect_invalid(options, "dense");
}

TEST(Autoencoder, ChannelsLastComputesTheSameOutput) {
  ConvAutoencoder model = make_tiny();
  const torch::NoGradGuard no_grad;
  const torch::Tensor faces = smooth_faces(2, 16);
  const torch::Tensor expected = model->forward(faces);
  to_channels_last(*model);
  const torch::Tensor actual = model->forward(faces.contiguous(torch::MemoryFormat::ChannelsLast));
  EXPECT_TRUE(torch::allclose(actual, expected, 1e-4, 1e-5));
}

TEST(TrainStep, ReducesTheLossOnFixedData) {
  ConvAutoencoder model = make_tiny();
  torch::optim::Adam adam = make_adam(model->parameters(), AdamOptions{1e-3, 0.9, 0.999});
  const torch::Tensor faces = smooth_faces(8, 16);
  const Result<torch::Tensor> first = train_step(model, adam, faces, faces);
  ASSERT_TRUE(first);
  float last = first->item<float>();
  for (int step = 0; step < 150; ++step) {
    const Result<torch::Tensor> loss = train_step(model, adam, faces, faces);
    ASSERT_TRUE(loss);
    last = loss->item<float>();
  }
  // Seeded: about 0.15 -> 0.025 here; the bounds leave room for other BLAS and thread counts.
  EXPECT_GT(first->item<float>(), 0.1F);
  EXPECT_LT(last, 0.05F);
  EXPECT_LT(last, first->item<float>() / 3);
}

TEST(TrainStep, RejectsMismatchedTensors) {
  ConvAutoencoder model = make_tiny();
  torch::optim::Adam adam = make_adam(model->parameters(), AdamOptions{});
  const torch::Tensor faces = torch::rand({2, 3, 16, 16});
  for (const torch::Tensor& wrong :
       {torch::rand({2, 3, 32, 32}), torch::rand({2, 1, 16, 16}), torch::rand({3, 16, 16}),
        torch::Tensor()}) {
    const Result<torch::Tensor> as_input = train_step(model, adam, wrong, wrong);
    ASSERT_FALSE(as_input);
    EXPECT_EQ(as_input.error().code, ErrorCode::kInvalidArgument);
    const Result<torch::Tensor> as_target = train_step(model, adam, faces, wrong);
    ASSERT_FALSE(as_target);
    EXPECT_EQ(as_target.error().code, ErrorCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace mirage::model
