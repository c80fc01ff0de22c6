#include "engine/model/faceswap_model.h"

#include <cmath>
#include <sstream>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "engine/model/autoencoder.h"
#include "engine/model/blocks.h"
#include "engine/model/losses.h"
#include "engine/model/tensor_io.h"

namespace mirage::model {
namespace {

TEST(FaceSwapModel, PresetsHaveTheDocumentedShapes) {
  for (const auto& [name, resolution] : {std::pair{"lite", 64}, std::pair{"original", 64}, std::pair{"hd", 128},
                                         std::pair{"lite-d", 128}, std::pair{"lite-liae", 64}, std::pair{"tiny", 16},
                                         std::pair{"tiny-d", 16}, std::pair{"tiny-liae", 16}}) {
    const auto preset = find_preset(name);
    ASSERT_TRUE(preset.has_value()) << name;
    EXPECT_EQ(preset->resolution, resolution);
  }
  // The small presets start faster (measured: docs/results/swap_quality.md); the large ones as before.
  EXPECT_DOUBLE_EQ(find_preset("lite")->learning_rate, 3e-3);
  EXPECT_DOUBLE_EQ(find_preset("lite-d")->learning_rate, 1e-3);
  EXPECT_DOUBLE_EQ(find_preset("lite-liae")->learning_rate, 1e-3);
  EXPECT_DOUBLE_EQ(find_preset("original")->learning_rate, 3e-4);
  EXPECT_FALSE(find_preset("huge").has_value());
  EXPECT_EQ(find_preset("huge").error().code, ErrorCode::kInvalidArgument);
}

TEST(FaceSwapModel, LiteIsAboutFiveMillionParameters) {
  torch::manual_seed(1);
  auto lite = make_faceswap_model(*find_preset("lite"));
  ASSERT_TRUE(lite.has_value());
  const auto count = count_parameters(**lite);
  EXPECT_LT(count, 5'300'000);
  EXPECT_GT(count, 3'000'000);
}

TEST(FaceSwapModel, LiteDDrawsTwiceTheSideAtAboutLitesCost) {
  torch::manual_seed(1);
  auto lite = make_faceswap_model(*find_preset("lite"));
  auto lite_d = make_faceswap_model(*find_preset("lite-d"));
  ASSERT_TRUE(lite && lite_d);
  // Same encoder and decoders; only the output head differs (1x1 + three 3x3 vs one 5x5).
  EXPECT_NEAR(static_cast<double>(count_parameters(**lite_d)), static_cast<double>(count_parameters(**lite)), 2000.0);
  const double ratio = forward_flops_per_face(*find_preset("lite-d")) / forward_flops_per_face(*find_preset("lite"));
  EXPECT_GT(ratio, 0.95);
  EXPECT_LT(ratio, 1.15);
  const torch::NoGradGuard no_grad;
  const torch::Tensor out = (*lite_d)->decode((*lite_d)->encode(torch::rand({2, 3, 128, 128})), 1);
  EXPECT_EQ(out.sizes(), (std::vector<std::int64_t>{2, 4, 128, 128}));
}

TEST(FaceSwapModel, DoubleOutputHeadPutsEachConvolutionOnItsOwnSubPixel) {
  // With zero weights and per-convolution biases, head convolution k (0: the 1x1) paints
  // sub-pixel k of every 2x2 block (row-major) with its bias, in every output channel.
  auto model = *make_faceswap_model(*find_preset("tiny-d"));
  const torch::NoGradGuard no_grad;
  int k = 0;
  for (auto& item : model->named_parameters()) {
    const std::string& name = item.key();
    torch::Tensor& tensor = item.value();
    if (name.rfind("decoders.0.", 0) != 0) continue;
    const bool head = name.find("to_output") != std::string::npos || name.find("head") != std::string::npos;
    if (!head) continue;
    if (name.find("weight") != std::string::npos) {
      tensor.zero_();
    } else {
      // to_output comes first, then head.0, head.1, head.2; channel c gets bias (k + 1) * (c + 1) / 10.
      const int index = name.find("to_output") != std::string::npos ? 0 : 1 + (name[name.find("head.") + 5] - '0');
      for (int c = 0; c < 4; ++c) tensor[c] = (index + 1) * (c + 1) / 10.0f;
      ++k;
    }
  }
  EXPECT_EQ(k, 4);
  const torch::Tensor out = model->decode(model->encode(torch::rand({1, 3, 16, 16})), 0);
  ASSERT_EQ(out.sizes(), (std::vector<std::int64_t>{1, 4, 16, 16}));
  for (int c = 0; c < 4; ++c) {
    for (int sub = 0; sub < 4; ++sub) {
      const float expected = 1.f / (1.f + std::exp(-(sub + 1) * (c + 1) / 10.0f));
      EXPECT_NEAR(out[0][c][6 + sub / 2][10 + sub % 2].item<float>(), expected, 1e-6) << "channel " << c << " sub-pixel " << sub;
    }
  }
}

TEST(FaceSwapModel, GradientsReachEveryParameterOfTheDoubleOutputModel) {
  torch::manual_seed(3);
  auto model = *make_faceswap_model(*find_preset("tiny-d"));
  const torch::Tensor faces = torch::rand({2, 3, 16, 16});
  const torch::Tensor latent = model->encode(faces);
  (model->decode(latent, 0).mean() + model->decode(latent, 1).mean()).backward();
  for (const auto& item : model->named_parameters()) {
    ASSERT_TRUE(item.value().grad().defined()) << item.key();
    EXPECT_GT(item.value().grad().abs().sum().item<float>(), 0.f) << item.key();
  }
}

TEST(FaceSwapModel, LiteLiaeHasOneDecoderAtAboutLitesCost) {
  torch::manual_seed(1);
  auto lite = make_faceswap_model(*find_preset("lite"));
  auto liae = make_faceswap_model(*find_preset("lite-liae"));
  ASSERT_TRUE(lite && liae);
  int decoders = 0, inters = 0;
  for (const auto& item : (*liae)->named_children()) {
    if (item.key() == "decoders") decoders = static_cast<int>(item.value()->children().size());
    if (item.key() == "inters") inters = static_cast<int>(item.value()->children().size());
  }
  EXPECT_EQ(decoders, 1);
  EXPECT_EQ(inters, 1);  // A's; B is drawn from inter_ab twice
  // One decoder instead of two, two inters (dense pair + upscale each) instead of one: ~6.1 M
  // against lite's 5.1 M, and per face the same decoder work plus a second inter.
  const auto count = static_cast<double>(count_parameters(**liae));
  EXPECT_GT(count, 1.1 * static_cast<double>(count_parameters(**lite)));
  EXPECT_LT(count, 1.3 * static_cast<double>(count_parameters(**lite)));
  const double ratio = forward_flops_per_face(*find_preset("lite-liae")) / forward_flops_per_face(*find_preset("lite"));
  EXPECT_GT(ratio, 0.95);
  EXPECT_LT(ratio, 1.15);
  const torch::NoGradGuard no_grad;
  const torch::Tensor latent = (*liae)->encode(torch::rand({2, 3, 64, 64}));
  for (int identity = 0; identity < 2; ++identity) {
    const torch::Tensor out = (*liae)->decode(latent, identity);
    EXPECT_EQ(out.sizes(), (std::vector<std::int64_t>{2, 4, 64, 64}));
    EXPECT_GE(out.min().item<float>(), 0.0f);
    EXPECT_LE(out.max().item<float>(), 1.0f);
  }
}

TEST(FaceSwapModel, LiaeDrawsTheLastIdentityFromSharedLayersOnly) {
  // LIAE's wiring: A goes through its own inter, B (the face swapped in) through inter_ab only.
  // Changing A's inter changes A's output and leaves B's exactly as it was.
  torch::manual_seed(4);
  auto model = *make_faceswap_model(*find_preset("tiny-liae"));
  const torch::NoGradGuard no_grad;
  const torch::Tensor latent = model->encode(torch::rand({2, 3, 16, 16}));
  const torch::Tensor a = model->decode(latent, 0), b = model->decode(latent, 1);
  EXPECT_FALSE(torch::equal(a, b));
  int changed = 0;
  for (auto& item : model->named_parameters()) {
    if (item.key().rfind("inters.0.", 0) != 0) continue;
    item.value().add_(torch::randn_like(item.value()));
    ++changed;
  }
  EXPECT_GT(changed, 0);
  EXPECT_FALSE(torch::allclose(model->decode(latent, 0), a));
  EXPECT_TRUE(torch::equal(model->decode(latent, 1), b));
}

TEST(FaceSwapModel, GradientsReachEveryParameterOfTheLiaeModel) {
  torch::manual_seed(3);
  auto model = *make_faceswap_model(*find_preset("tiny-liae"));
  const torch::Tensor latent = model->encode(torch::rand({2, 3, 16, 16}));
  (model->decode(latent, 0).mean() + model->decode(latent, 1).mean()).backward();
  for (const auto& item : model->named_parameters()) {
    ASSERT_TRUE(item.value().grad().defined()) << item.key();
    EXPECT_GT(item.value().grad().abs().sum().item<float>(), 0.f) << item.key();
  }
}

TEST(FaceSwapModel, OriginalMatchesTheClassicSize) {
  auto original = make_faceswap_model(*find_preset("original"));
  ASSERT_TRUE(original.has_value());
  const auto count = count_parameters(**original);
  EXPECT_GT(count, 75'000'000);
  EXPECT_LT(count, 95'000'000);
  // FACESWAP-FACTS: about 3.8 GFLOP per face forward.
  const double gflop = forward_flops_per_face(*find_preset("original")) / 1e9;
  EXPECT_GT(gflop, 3.0);
  EXPECT_LT(gflop, 4.5);
}

TEST(FaceSwapModel, DecodersGiveRgbPlusMaskInRange) {
  torch::manual_seed(2);
  auto model = *make_faceswap_model(*find_preset("tiny"));
  const torch::Tensor faces = torch::rand({3, 3, 16, 16});
  const torch::Tensor latent = model->encode(faces);
  for (int identity = 0; identity < 2; ++identity) {
    const torch::Tensor out = model->decode(latent, identity);
    EXPECT_EQ(out.sizes(), (std::vector<std::int64_t>{3, 4, 16, 16}));
    EXPECT_GE(out.min().item<float>(), 0.0f);
    EXPECT_LE(out.max().item<float>(), 1.0f);
  }
  // The two decoders are different modules.
  EXPECT_FALSE(torch::equal(model->decode(latent, 0), model->decode(latent, 1)));
}

TEST(FaceSwapModel, ChannelsLastGivesTheSameOutput) {
  for (const char* name : {"tiny", "tiny-liae"}) {
    torch::manual_seed(3);
    auto model = *make_faceswap_model(*find_preset(name));
    const torch::Tensor faces = torch::rand({2, 3, 16, 16});
    for (int identity = 0; identity < 2; ++identity) {
      const torch::Tensor a = model->decode(model->encode(faces), identity);
      const torch::Tensor b =
          model->decode(model->encode(faces.contiguous(torch::MemoryFormat::ChannelsLast)), identity);
      EXPECT_TRUE(torch::allclose(a, b, 1e-5, 1e-5)) << name << " identity " << identity;
    }
  }
}

// The GEMM path of convolve() against Torch's convolution: the same output and the same gradients
// for input, weight and bias, for both block shapes, odd sides included.
TEST(Blocks, GemmConvolutionMatchesTorchConvolution) {
  struct Case { int side, kernel, stride, padding; };
  for (const Case c : {Case{8, 5, 2, 2}, Case{7, 5, 2, 2}, Case{4, 3, 1, 1}, Case{2, 3, 1, 1},
                       Case{16, 5, 2, 2}}) {
    torch::manual_seed(c.side * 10 + c.kernel);
    const torch::Tensor x = torch::randn({3, 6, c.side, c.side}, torch::kDouble);
    const torch::Tensor w = torch::randn({5, 6, c.kernel, c.kernel}, torch::kDouble);
    const torch::Tensor b = torch::randn({5}, torch::kDouble);
    const torch::Tensor upstream = torch::randn_like(torch::conv2d(x, w, b, c.stride, c.padding));
    auto run = [&](bool ours) {
      std::vector<torch::Tensor> leaves{x.clone().requires_grad_(), w.clone().requires_grad_(),
                                        b.clone().requires_grad_()};
      const torch::Tensor y = ours ? convolve_gemm(leaves[0], leaves[1], leaves[2], c.stride, c.padding)
                                   : torch::conv2d(leaves[0], leaves[1], leaves[2], c.stride, c.padding);
      (y * upstream).sum().backward();
      leaves.insert(leaves.begin(), y.detach());
      return leaves;
    };
    const auto expected = run(false);
    const auto actual = run(true);
    EXPECT_TRUE(actual[0].sizes() == expected[0].sizes()) << c.side;
    EXPECT_TRUE(torch::allclose(actual[0], expected[0], 1e-9, 1e-9)) << "output, side " << c.side;
    for (int i = 1; i < 4; ++i) {
      EXPECT_TRUE(torch::allclose(actual[i].grad(), expected[i].grad(), 1e-9, 1e-9))
          << "gradient " << i << ", side " << c.side;
    }
  }
}

TEST(Blocks, GemmIsChosenForLargeWeightsWithFewOutputPixels) {
  const auto options = torch::TensorOptions().dtype(torch::kBFloat16);
  // original's 8->4 encoder conv and 4->4 upscale: yes; lite's: no (small weights); a 16 px
  // input (64 output pixels): no.
  EXPECT_TRUE(prefers_gemm(torch::empty({2, 512, 8, 8}, options), torch::empty({1024, 512, 5, 5}, options), 2, 2));
  EXPECT_TRUE(prefers_gemm(torch::empty({2, 1024, 4, 4}, options), torch::empty({2048, 1024, 3, 3}, options), 1, 1));
  EXPECT_FALSE(prefers_gemm(torch::empty({2, 128, 8, 8}, options), torch::empty({256, 128, 5, 5}, options), 2, 2));
  EXPECT_FALSE(prefers_gemm(torch::empty({2, 512, 16, 16}, options), torch::empty({1024, 512, 5, 5}, options), 2, 2));
}

TEST(Discriminator, GivesAPatchMap) {
  Discriminator d(8);
  const torch::Tensor x = torch::rand({2, 3, 64, 64});
  EXPECT_EQ(d->forward(x, x).sizes(), (std::vector<std::int64_t>{2, 1, 7, 7}));
}

TEST(SelfAttention, StartsAsTheIdentityAndMixesPositionsOnceGammaGrows) {
  torch::manual_seed(3);
  SelfAttention attention(16);
  const torch::Tensor x = torch::randn({2, 16, 5, 5});
  EXPECT_TRUE(torch::equal(attention->forward(x), x));
  {
    const torch::NoGradGuard no_grad;
    attention->gamma().fill_(1.0);
  }
  const torch::Tensor y = attention->forward(x);
  EXPECT_EQ(y.sizes(), x.sizes());
  EXPECT_GT((y - x).abs().max().item<float>(), 1e-3f);
  // Every output position depends on every input position: change one corner, the opposite
  // corner of the output moves.
  torch::Tensor x2 = x.clone();
  x2.index_put_({0, torch::indexing::Slice(), 0, 0}, 5.0);
  const torch::Tensor y2 = attention->forward(x2);
  EXPECT_GT((y2[0].index({torch::indexing::Slice(), 4, 4}) - y[0].index({torch::indexing::Slice(), 4, 4}))
                .abs().max().item<float>(), 1e-4f);
  // gamma gets a gradient, so training can grow it.
  attention->forward(x).sum().backward();
  ASSERT_TRUE(attention->gamma().grad().defined());
}

TEST(Discriminator, LoadsADiscriminatorSavedBeforeSelfAttention) {
  torch::manual_seed(4);
  Discriminator saved(8);
  {
    const torch::NoGradGuard no_grad;
    for (auto& p : saved->parameters()) p.uniform_(-0.5, 0.5);
  }
  // A discriminator of the earlier layout: the same convolutions, no attention tensors.
  TensorArchiveWriter old_layout;
  write_module(old_layout, "d.layers", *saved->named_children()["layers"]);
  const std::string old_bytes = std::move(old_layout).finish();
  auto old_archive = TensorArchive::parse(old_bytes, "old");
  ASSERT_TRUE(old_archive);
  Discriminator fresh(8);
  auto loaded = load_discriminator(*old_archive, "d", *fresh, "old");
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_FALSE(*loaded);
  const auto expected = saved->named_parameters();
  for (const auto& p : fresh->named_parameters()) {
    if (p.key().starts_with("attention.")) continue;
    EXPECT_TRUE(torch::equal(p.value(), expected[p.key()])) << p.key();
  }
  EXPECT_EQ(fresh->named_parameters()["attention.gamma"].item<float>(), 0.0f);

  // The current layout loads whole.
  TensorArchiveWriter current;
  write_module(current, "d", *saved);
  const std::string bytes = std::move(current).finish();
  auto archive = TensorArchive::parse(bytes, "current");
  ASSERT_TRUE(archive);
  Discriminator again(8);
  loaded = load_discriminator(*archive, "d", *again, "current");
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_TRUE(*loaded);
  for (const auto& p : again->named_parameters()) EXPECT_TRUE(torch::equal(p.value(), expected[p.key()])) << p.key();

  // A tensor of another shape is one line naming it, not a model that fails later.
  Discriminator other(16);
  const auto refused = load_discriminator(*archive, "d", *other, "current");
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("the model needs"), std::string::npos) << refused.error().message;
}

TEST(Losses, DssimIsZeroForEqualImagesAndPositiveOtherwise) {
  const torch::Tensor a = torch::rand({2, 3, 16, 16});
  EXPECT_NEAR(dssim(a, a).item<float>(), 0.0f, 1e-5f);
  EXPECT_GT(dssim(a, torch::rand({2, 3, 16, 16})).item<float>(), 0.1f);
}

TEST(Losses, EyePriorityWeightsErrorsInsideTheEyes) {
  const torch::Tensor target = torch::zeros({1, 3, 8, 8});
  torch::Tensor output = torch::zeros({1, 4, 8, 8});
  output.index_put_({0, 0, 2, 2}, 1.0);  // one wrong pixel
  LossTargets t{target, torch::zeros({1, 1, 8, 8}), torch::zeros({1, 1, 8, 8}), torch::zeros({1, 1, 8, 8})};
  LossWeights w;
  w.ssim = 0;
  const float outside = reconstruction_loss(output, t, w).l1.item<float>();
  t.eyes.index_put_({0, 0, 2, 2}, 1.0);
  const float inside = reconstruction_loss(output, t, w).l1.item<float>();
  EXPECT_NEAR(inside / outside, 1.0 + w.eyes, 1e-4);
}

TEST(Losses, BackgroundWeightCountsErrorsAwayFromTheFaceLess) {
  // A 32 px square whose hull is its central 16 px; one wrong pixel inside it, one far outside.
  const torch::Tensor target = torch::full({1, 3, 32, 32}, 0.5);
  torch::Tensor hull = torch::zeros({1, 1, 32, 32});
  hull.index_put_({0, 0, torch::indexing::Slice(8, 24), torch::indexing::Slice(8, 24)}, 1.0);
  const LossTargets t{target, hull, torch::zeros({1, 1, 32, 32}), torch::zeros({1, 1, 32, 32})};
  torch::Tensor inside = target.clone();
  inside.index_put_({0, 0, 16, 16}, 1.0);
  torch::Tensor outside = target.clone();
  outside.index_put_({0, 0, 1, 30}, 1.0);
  const auto loss = [&](const torch::Tensor& rgb, double background) {
    LossWeights w;
    w.background = background;
    return reconstruction_loss(torch::cat({rgb, hull}, 1), t, w);
  };
  // 1 (the default) is the unmasked loss: both errors count alike.
  EXPECT_NEAR(loss(outside, 1).l1.item<float>(), loss(inside, 1).l1.item<float>(), 1e-7f);
  // Inside the face nothing changes; far outside the error counts `background` of it, in the
  // L1, edge and DSSIM terms alike.
  for (const double background : {0.0, 0.25}) {
    const LossTerms in = loss(inside, background);
    const LossTerms out = loss(outside, background);
    EXPECT_NEAR(in.l1.item<float>(), loss(inside, 1).l1.item<float>(), 1e-7f) << background;
    EXPECT_NEAR(in.ssim.item<float>(), loss(inside, 1).ssim.item<float>(), 1e-6f) << background;
    EXPECT_NEAR(out.l1.item<float>(), background * loss(outside, 1).l1.item<float>(), 1e-7f) << background;
    EXPECT_NEAR(out.edge.item<float>(), background * loss(outside, 1).edge.item<float>(), 1e-6f) << background;
    EXPECT_LT(out.ssim.item<float>(), loss(outside, 1).ssim.item<float>() * (background + 0.05)) << background;
  }
  // The face's edge counts fully: the hull is softened outward, not eroded.
  torch::Tensor edge = target.clone();
  edge.index_put_({0, 0, 8, 16}, 1.0);
  EXPECT_NEAR(loss(edge, 0).l1.item<float>(), loss(edge, 1).l1.item<float>(), 1e-7f);
}

TEST(Losses, CoarseDssimAddsTheDssimOfTheHalvedPair) {
  torch::manual_seed(3);
  const torch::Tensor target = torch::rand({2, 3, 32, 32});
  const torch::Tensor rgb = torch::rand({2, 3, 32, 32});
  const torch::Tensor hull = torch::ones({2, 1, 32, 32});
  const LossTargets t{target, hull, torch::zeros({2, 1, 32, 32}), torch::zeros({2, 1, 32, 32})};
  const torch::Tensor output = torch::cat({rgb, hull}, 1);
  LossWeights w;
  const float without = reconstruction_loss(output, t, w).total.item<float>();
  w.ssim_coarse = 2;
  const float with = reconstruction_loss(output, t, w).total.item<float>();
  const float expected = 2 * dssim(torch::avg_pool2d(rgb, 2), torch::avg_pool2d(target, 2)).item<float>();
  EXPECT_GT(expected, 0.05f);
  EXPECT_NEAR(with - without, expected, 1e-5f);
  // Masked, the halved weight applies: a hull of ones changes nothing.
  w.background = 0;
  EXPECT_NEAR(reconstruction_loss(output, t, w).total.item<float>(), with, 1e-5f);
  // Equal images: no DSSIM at either scale.
  const torch::Tensor same = torch::cat({target, hull}, 1);
  EXPECT_NEAR(reconstruction_loss(same, t, w).ssim.item<float>(), 0.0f, 1e-6f);
  EXPECT_NEAR(reconstruction_loss(same, t, w).total.item<float>(), 0.0f, 1e-5f);
}

TEST(Losses, ConfigReadsTheBackgroundWeightAndRefusesOneOutOfRange) {
  LossWeights w;
  ASSERT_TRUE(read_loss_weights(Json{{"background", 0.25}}, "test", w));
  EXPECT_DOUBLE_EQ(w.background, 0.25);
  EXPECT_DOUBLE_EQ(to_json(w)["background"].get<double>(), 0.25);
  const Status refused = read_loss_weights(Json{{"background", 1.5}}, "test", w);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("background"), std::string::npos) << refused.error().message;
  EXPECT_DOUBLE_EQ(w.background, 0.25) << "a refused value leaves the weights as they were";
}

TEST(Losses, PsnrOfAKnownError) {
  const torch::Tensor a = torch::zeros({1, 3, 4, 4});
  EXPECT_NEAR(psnr(a, a + 0.1).item<float>(), 20.0f, 1e-3f);
}

}  // namespace
}  // namespace mirage::model
