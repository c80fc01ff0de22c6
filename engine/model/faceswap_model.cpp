#include "engine/model/faceswap_model.h"

#include <torch/torch.h>

#include <map>

#include "engine/core/check.h"
#include "engine/core/format.h"
#include "engine/model/blocks.h"
#include "engine/model/tensor_io.h"
#include "engine/model/torch_error.h"

namespace mirage::model {
namespace {

std::vector<ModelPreset> all_presets() {
  return {
      {"lite", 64, {32, 64, 128, 256}, 192, 128, {96, 48, 24}, 32, 2, 1, false, 3e-3},
      {"original", 64, {128, 256, 512, 1024}, 1024, 512, {256, 128, 64}, 64, 2},
      {"hd", 128, {64, 128, 256, 512, 1024}, 1024, 512, {256, 128, 64, 32}, 64, 2},
      {"lite-d", 128, {32, 64, 128, 256}, 192, 128, {96, 48, 24}, 32, 2, 2, true, 1e-3},
      {"tiny", 16, {8, 16}, 32, 16, {8}, 8, 2},
      {"tiny-d", 16, {8, 16}, 32, 16, {8}, 8, 2, 2, true},
      {"lite-liae", 64, {32, 64, 128, 256}, 192, 128, {96, 48, 24}, 32, 2, 1, false, 1e-3, true},
      {"tiny-liae", 16, {8, 16}, 32, 16, {8}, 8, 2, 1, false, 3e-4, true},
  };
}

// features [N, C, s, s] -> flatten -> dense1 -> dense2 -> [N, C, s, s] in the features' memory
// format. Flattens in NCHW order whatever the memory format, so weights do not depend on it.
torch::Tensor dense_bottleneck(const torch::Tensor& features, torch::nn::LinearImpl& dense1,
                               torch::nn::LinearImpl& dense2, int channels, int side) {
  const std::int64_t n = features.size(0);
  torch::Tensor x = dense2.forward(dense1.forward(features.contiguous().reshape({n, -1})));
  x = x.reshape({n, channels, side, side});
  if (features.is_contiguous(torch::MemoryFormat::ChannelsLast) && !features.is_contiguous()) {
    x = x.contiguous(torch::MemoryFormat::ChannelsLast);
  }
  return x;
}

}  // namespace

Result<ModelPreset> find_preset(std::string_view name) {
  for (ModelPreset& preset : all_presets()) {
    if (preset.name == name) return std::move(preset);
  }
  return fail(ErrorCode::kInvalidArgument, "unknown model preset '{}' (lite, lite-d, lite-liae, original or hd)", name);
}

Result<ModelPreset> preset_of(const CheckpointHeader& header, std::string_view source) {
  auto preset = find_preset(header.preset);
  if (!preset || preset->resolution != header.resolution) {
    return fail(ErrorCode::kCorrupt, "{}: unknown model preset '{}' ({} px)", source, printable(header.preset),
                header.resolution);
  }
  preset->crop = header.crop;
  return preset;
}

std::vector<std::string> preset_names() { return {"lite", "lite-d", "lite-liae", "original", "hd"}; }

DecoderImpl::DecoderImpl(int in_channels, const std::vector<int>& filters, bool double_output) {
  upscales_ = register_module("upscales", torch::nn::Sequential());
  int channels = in_channels;
  for (const int f : filters) {
    upscales_->push_back(UpscaleBlock(channels, f));
    channels = f;
  }
  if (!double_output) {
    to_output_ = register_module("to_output", torch::nn::Conv2d(torch::nn::Conv2dOptions(channels, 4, 5).padding(2)));
    return;
  }
  to_output_ = register_module("to_output", torch::nn::Conv2d(torch::nn::Conv2dOptions(channels, 4, 1)));
  head_ = register_module("head", torch::nn::ModuleList());
  for (int i = 0; i < 3; ++i) head_->push_back(torch::nn::Conv2d(torch::nn::Conv2dOptions(channels, 4, 3).padding(1)));
}

torch::Tensor DecoderImpl::forward(const torch::Tensor& features) {
  const torch::Tensor x = upscales_->forward(features);
  if (!head_) return torch::sigmoid(to_output_->forward(x));
  // DeepFaceLab's -d head: the four maps side by side are the four pixels of each 2x2 output
  // block (pixel shuffle orders a 16-channel map as 4 output channels x 2 x 2).
  std::vector<torch::Tensor> parts{to_output_->forward(x)};
  for (const auto& conv : *head_) parts.push_back(conv->as<torch::nn::Conv2dImpl>()->forward(x));
  // parts[k] holds, for every output channel c, sub-pixel k: reorder to channel-major (c * 4 + k).
  const torch::Tensor stacked = torch::stack(parts, 2);  // [N, 4 channels, 4 sub-pixels, h, w]
  const torch::Tensor merged = stacked.reshape({x.size(0), 16, x.size(2), x.size(3)});
  return torch::sigmoid(torch::pixel_shuffle(merged, 2));
}

InterImpl::InterImpl(int channels, int side, int width, int out_channels) : channels_(channels), side_(side) {
  const std::int64_t flat = std::int64_t{side} * side * channels;
  dense1_ = register_module("dense1", torch::nn::Linear(flat, width));
  dense2_ = register_module("dense2", torch::nn::Linear(width, flat));
  upscale_ = register_module("upscale", UpscaleBlock(channels, out_channels));
}

torch::Tensor InterImpl::forward(const torch::Tensor& features) {
  return upscale_->forward(dense_bottleneck(features, *dense1_, *dense2_, channels_, side_));
}

FaceSwapModelImpl::FaceSwapModelImpl(ModelPreset preset) : preset_(std::move(preset)) {
  const auto levels = static_cast<int>(preset_.encoder_filters.size());
  MIRAGE_CHECK(levels >= 1 && preset_.decoder_filters.size() + 1 == preset_.encoder_filters.size());
  MIRAGE_CHECK(preset_.input_downscale >= 1 && preset_.resolution % preset_.input_downscale == 0);
  const int encoder_side = preset_.resolution / preset_.input_downscale;
  MIRAGE_CHECK(encoder_side % (1 << levels) == 0);
  bottleneck_side_ = encoder_side >> levels;
  // The decoders reach encoder_side; the -d head doubles it. Their output must be `resolution`.
  MIRAGE_CHECK(encoder_side * (preset_.double_output ? 2 : 1) == preset_.resolution);
  encoder_ = register_module("encoder", torch::nn::Sequential());
  int channels = 3;
  for (const int f : preset_.encoder_filters) {
    encoder_->push_back(ConvBlock(channels, f));
    channels = f;
  }
  if (preset_.liae) {
    // Each inter draws half of the decoder's input; the decoder sees concat(slot, inter_ab).
    MIRAGE_CHECK(preset_.bottleneck_filters % 2 == 0 && preset_.identities >= 2);
    const int half = preset_.bottleneck_filters / 2;
    inter_ab_ = register_module("inter_ab", Inter(channels, bottleneck_side_, preset_.dense, half));
    inters_ = register_module("inters", torch::nn::ModuleList());
    for (int i = 0; i + 1 < preset_.identities; ++i) inters_->push_back(Inter(channels, bottleneck_side_, preset_.dense, half));
    decoders_ = register_module("decoders", torch::nn::ModuleList());
    decoders_->push_back(Decoder(preset_.bottleneck_filters, preset_.decoder_filters, preset_.double_output));
    return;
  }
  const std::int64_t flat = std::int64_t{bottleneck_side_} * bottleneck_side_ * channels;
  dense1_ = register_module("dense1", torch::nn::Linear(flat, preset_.dense));
  dense2_ = register_module("dense2", torch::nn::Linear(preset_.dense, flat));
  upscale_ = register_module("upscale", torch::nn::Sequential(UpscaleBlock(channels, preset_.bottleneck_filters)));
  decoders_ = register_module("decoders", torch::nn::ModuleList());
  for (int i = 0; i < preset_.identities; ++i) {
    decoders_->push_back(Decoder(preset_.bottleneck_filters, preset_.decoder_filters, preset_.double_output));
  }
}

torch::Tensor FaceSwapModelImpl::encode(const torch::Tensor& faces) {
  const int k = preset_.input_downscale;
  const torch::Tensor features = encoder_->forward(k > 1 ? torch::avg_pool2d(faces, k, k) : faces);
  if (preset_.liae) return features;
  return upscale_->forward(
      dense_bottleneck(features, *dense1_, *dense2_, preset_.encoder_filters.back(), bottleneck_side_));
}

torch::Tensor FaceSwapModelImpl::decode(const torch::Tensor& latent, int identity) {
  MIRAGE_CHECK(identity >= 0 && identity < preset_.identities);
  if (preset_.liae) {
    // DeepFaceLab's LIAE: the last identity ("src", the face swapped in) is drawn from
    // inter_ab twice; the others from their own inter beside inter_ab. A swap to the last identity
    // therefore uses only layers that were trained on every identity's faces.
    const torch::Tensor shared = inter_ab_->forward(latent);
    const bool own = identity + 1 < preset_.identities;
    const torch::Tensor slot = own ? inters_->ptr<InterImpl>(static_cast<std::size_t>(identity))->forward(latent) : shared;
    return decoders_->ptr<DecoderImpl>(0)->forward(torch::cat({slot, shared}, 1));
  }
  return decoders_->ptr<DecoderImpl>(static_cast<std::size_t>(identity))->forward(latent);
}

SelfAttentionImpl::SelfAttentionImpl(int channels) {
  MIRAGE_CHECK(channels >= 8);
  const auto conv1x1 = [](int in, int out) { return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 1)); };
  query_ = register_module("query", conv1x1(channels, channels / 8));
  key_ = register_module("key", conv1x1(channels, channels / 8));
  value_ = register_module("value", conv1x1(channels, channels));
  gamma_ = register_parameter("gamma", torch::zeros({1}));
}

torch::Tensor SelfAttentionImpl::forward(const torch::Tensor& x) {
  const std::int64_t n = x.size(0), c = x.size(1), positions = x.size(2) * x.size(3);
  const torch::Tensor q = query_->forward(x).reshape({n, -1, positions}).transpose(1, 2);  // [n, p, c/8]
  const torch::Tensor k = key_->forward(x).reshape({n, -1, positions});                     // [n, c/8, p]
  const torch::Tensor v = value_->forward(x).reshape({n, c, positions});                    // [n, c, p]
  const torch::Tensor attention = torch::softmax(torch::bmm(q, k), -1);                     // [n, p, p]
  return x + gamma_ * torch::bmm(v, attention.transpose(1, 2)).reshape(x.sizes());
}

DiscriminatorImpl::DiscriminatorImpl(int filters) {
  using torch::nn::Conv2dOptions;
  const auto conv = [](int in, int out) {
    return torch::nn::Conv2d(Conv2dOptions(in, out, 4).stride(2).padding(1));
  };
  const auto leaky = [] { return torch::nn::LeakyReLU(torch::nn::LeakyReLUOptions().negative_slope(0.2)); };
  layers_ = register_module(
      "layers",
      torch::nn::Sequential(conv(6, filters), leaky(), conv(filters, 2 * filters),
                            torch::nn::InstanceNorm2d(2 * filters), leaky(),
                            conv(2 * filters, 4 * filters), torch::nn::InstanceNorm2d(4 * filters),
                            leaky(), torch::nn::Conv2d(Conv2dOptions(4 * filters, 1, 4).padding(1))));
  // Registered after the convolutions so that their names and parameter positions (and with them
  // checkpoints from before this layer) stay as they were.
  attention_ = register_module("attention", SelfAttention(4 * filters));
}

torch::Tensor DiscriminatorImpl::forward(const torch::Tensor& image, const torch::Tensor& condition) {
  torch::Tensor x = torch::cat({image, condition}, 1);
  const auto last = std::prev(layers_->end());
  for (auto layer = layers_->begin(); layer != last; ++layer) x = layer->forward(x);
  return last->forward(attention_->forward(x));
}

Result<bool> load_discriminator(const TensorArchive& in, std::string_view prefix, DiscriminatorImpl& discriminator,
                                std::string_view source) {
  const bool with_attention = in.has_prefix(format("{}.attention.", prefix));
  if (auto s = load_module(in, prefix, discriminator, source, with_attention ? "" : "attention."); !s) {
    return std::unexpected(s.error());
  }
  return with_attention;
}

Result<FaceSwapModel> make_faceswap_model(const ModelPreset& preset) {
  try {
    return FaceSwapModel(preset);
  } catch (const std::exception& exception) {
    return std::unexpected(detail::torch_error(exception, "building the " + preset.name + " model"));
  }
}

double forward_flops_per_face(const ModelPreset& p) {
  double flops = 0;
  int side = p.resolution / p.input_downscale;
  int channels = 3;
  for (const int f : p.encoder_filters) {
    side /= 2;
    flops += 2.0 * side * side * f * channels * 25;
    channels = f;
  }
  const double flat = double(side) * side * channels;
  if (p.liae) {
    // Two inters (an identity's own and inter_ab), each dense, dense and an upscale to half the
    // decoder's input.
    flops += 2.0 * (2.0 * 2.0 * flat * p.dense + 2.0 * side * side * 4.0 * (p.bottleneck_filters / 2) * channels * 9);
  } else {
    flops += 2.0 * 2.0 * flat * p.dense;
    flops += 2.0 * side * side * 4.0 * p.bottleneck_filters * channels * 9;
  }
  side *= 2;
  channels = p.bottleneck_filters;
  for (const int f : p.decoder_filters) {
    flops += 2.0 * side * side * 4.0 * f * channels * 9;
    side *= 2;
    channels = f;
  }
  // The output convolution: 5x5 to 4 channels, or the -d head (1x1 + three 3x3, 4 channels each).
  flops += p.double_output ? 2.0 * side * side * 4.0 * channels * (1 + 3 * 9) : 2.0 * side * side * 4.0 * channels * 25;
  return flops;
}

}  // namespace mirage::model
