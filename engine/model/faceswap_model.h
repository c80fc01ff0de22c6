// The shared-encoder face-swap model (FACESWAP-FACTS.md sections 1 and 3): one encoder for every
// identity, one decoder per identity that outputs RGB plus a learned mask, and an optional
// conditional patch discriminator per identity.
//
//   Result<ModelPreset> preset = find_preset("lite");              // lite | original | hd
//   Result<FaceSwapModel> model = make_faceswap_model(*preset);
//   torch::Tensor latent = (*model)->encode(faces);                // [N, 3, R, R] in [0, 1]
//   torch::Tensor out = (*model)->decode(latent, 1);               // [N, 4, R, R]: RGB + mask
//
// Presets (R = resolution):
//   original  64 px: conv 128-256-512-1024, dense 1024, upscale 512, decoders 256-128-64 (~85 M)
//   lite      64 px: conv 32-64-128-256, dense 192, upscale 128, decoders 96-48-24 (~5.1 M)
//   hd       128 px: conv 64-128-256-512-1024, dense 1024, upscale 512, decoders 256-128-64-32
//   lite-d   128 px out at lite's 64 px cost: the encoder sees the face area-downscaled to 64 px,
//            the decoders are lite's and end in DeepFaceLab's "-d" head (four parallel output
//            convolutions, one 1x1 and three 3x3, concatenated and rearranged depth-to-space,
//            2x), so each identity's decoder draws its own 128 px detail (~5.2 M)
//   lite-liae lite's encoder and one decoder of lite's width in DeepFaceLab's LIAE layout: the
//            encoder's features go through two "inter" layers (dense, dense, upscale), inter_ab
//            shared by both identities and inter_a for A only; the decoder draws from
//            concat(identity slot, inter_ab), where A's slot is inter_a and B's is inter_ab
//            again. One decoder draws both people from one pose-and-expression code, so a swap
//            to B keeps more of the source's geometry, and less of B's identity, than a
//            decoder per identity (measured: docs/results/swap_quality.md) (~6.1 M)
//   tiny      16 px: for tests only (a few thousand parameters); tiny-d its -d form, tiny-liae
//            its LIAE form
// Tensors are float NCHW in either memory format. Like every torch::nn module, a model is used by
// one thread at a time for training; concurrent no-grad forwards are safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include "engine/core/error.h"
#include "engine/model/blocks.h"
#include "engine/model/checkpoint.h"
#include "engine/model/model_crop.h"
#include "engine/model/tensor_archive.h"

namespace mirage::model {

struct ModelPreset {
  std::string name;
  int resolution = 64;               // input and output side in pixels
  std::vector<int> encoder_filters;  // one 5x5 stride-2 conv each
  int dense = 0;                     // width of the first dense layer
  int bottleneck_filters = 0;        // the encoder's final upscale (doubles the bottleneck side)
  std::vector<int> decoder_filters;  // one upscale each; encoder levels - 1 of them
  int discriminator_filters = 64;    // first layer of the patch discriminator
  int identities = 2;
  int input_downscale = 1;           // the encoder sees resolution / this (area average)
  bool double_output = false;        // the decoders end in the 2x depth-to-space head ("-d")
  // The learning rate a run starts from unless told otherwise (engine/train's cosine schedule).
  // lite: 3e-3, measured on the 2-core CPU against 2e-3 in equal minutes (two seeds: +0.5-0.6 dB
  // held-out, a little more detail, lower NME), 2e-3 against 1e-3 at equal steps (+1.0-1.1 dB)
  // and 1e-3 against 3e-4 before it; lite-d and lite-liae: 1e-3 (docs/results/swap_quality.md);
  // the large presets keep 3e-4.
  double learning_rate = 3e-4;
  // LIAE layout (see above): one decoder, identity-specific inter layers. encode() then returns the
  // encoder's convolutional features; decode() runs the inters and the one decoder.
  bool liae = false;
  // Where the model looks in an aligned face (engine/model/model_crop.h): not part of the
  // architecture, so a checkpoint's header sets it (preset_of) and every preset starts new
  // models at kFaceCrop.
  ModelCrop crop = kFaceCrop;
};

// Errors: kInvalidArgument naming the known presets.
Result<ModelPreset> find_preset(std::string_view name);
// The preset a checkpoint was trained as: find_preset(header.preset) with the header's crop.
// Errors: kCorrupt "<source>: unknown model preset '<name>' (<R> px)" for an unknown name or a
// resolution that is not the preset's.
Result<ModelPreset> preset_of(const CheckpointHeader& header, std::string_view source);
// "lite", "lite-d", "lite-liae", "original", "hd" (the user-facing ones; "tiny", "tiny-d" and
// "tiny-liae" are accepted by find_preset for tests).
std::vector<std::string> preset_names();

class DecoderImpl : public torch::nn::Module {
 public:
  DecoderImpl(int in_channels, const std::vector<int>& filters, bool double_output = false);
  // [N, in, r, r] -> [N, 4, r * 2^levels (x2 with double_output), ...]: channels 0-2 RGB,
  // channel 3 mask, all sigmoid.
  torch::Tensor forward(const torch::Tensor& features);

 private:
  torch::nn::Sequential upscales_{nullptr};
  torch::nn::Conv2d to_output_{nullptr};  // 5x5 to 4 channels; with double_output the 1x1 of the head
  torch::nn::ModuleList head_{nullptr};   // double_output: the three 3x3 convolutions to 4 channels
};
TORCH_MODULE(Decoder);

// LIAE's inter layer: [N, C, s, s] features -> flatten -> dense(width) -> dense(C * s * s) ->
// reshape -> UpscaleBlock(C -> out_channels): [N, out_channels, 2s, 2s].
class InterImpl : public torch::nn::Module {
 public:
  InterImpl(int channels, int side, int width, int out_channels);
  torch::Tensor forward(const torch::Tensor& features);

 private:
  int channels_ = 0;
  int side_ = 0;
  torch::nn::Linear dense1_{nullptr};
  torch::nn::Linear dense2_{nullptr};
  UpscaleBlock upscale_{nullptr};
};
TORCH_MODULE(Inter);

class FaceSwapModelImpl : public torch::nn::Module {
 public:
  explicit FaceSwapModelImpl(ModelPreset preset);  // preset must come from find_preset()

  // [N, 3, R, R] in [0, 1] -> the shared representation: [N, bottleneck_filters, 2s, 2s], or with
  // liae the encoder's features [N, encoder_filters.back(), s, s] (R: the preset's resolution;
  // the encoder itself runs at R / input_downscale). Callers treat it as opaque.
  torch::Tensor encode(const torch::Tensor& faces);
  // Decodes as identity `identity` (0 = A, 1 = B): [N, 4, R, R], RGB then mask, in [0, 1].
  torch::Tensor decode(const torch::Tensor& latent, int identity);

  const ModelPreset& preset() const { return preset_; }
  // A resumed run takes its checkpoint's crop (the weights do not depend on it).
  void set_crop(const ModelCrop& crop) { preset_.crop = crop; }
  // Every trainable tensor of the generator (encoder + decoders).
  std::vector<torch::Tensor> generator_parameters() { return parameters(); }

 private:
  ModelPreset preset_;
  int bottleneck_side_ = 0;
  torch::nn::Sequential encoder_{nullptr};
  torch::nn::Linear dense1_{nullptr};
  torch::nn::Linear dense2_{nullptr};
  torch::nn::Sequential upscale_{nullptr};
  torch::nn::ModuleList decoders_{nullptr};  // one per identity; liae: one for all
  Inter inter_ab_{nullptr};                  // liae: shared by every identity
  torch::nn::ModuleList inters_{nullptr};    // liae: identity i's own (the last identity has none)
};
TORCH_MODULE(FaceSwapModel);

// Self-attention over the positions of a feature map (SAGAN): x + gamma * softmax(q^T k) v with
// 1x1 convolutions q, k (channels / 8) and v; gamma starts at 0, so the layer starts as the
// identity and the network learns how much long-range context to use.
class SelfAttentionImpl : public torch::nn::Module {
 public:
  explicit SelfAttentionImpl(int channels);  // channels >= 8
  torch::Tensor forward(const torch::Tensor& features);
  torch::Tensor& gamma() { return gamma_; }

 private:
  torch::nn::Conv2d query_{nullptr}, key_{nullptr}, value_{nullptr};
  torch::Tensor gamma_;
};
TORCH_MODULE(SelfAttention);

// Conditional patch discriminator (faceswap-GAN v2.2): input concat(image, distorted input), 6
// channels; conv k4 s2 + LeakyReLU(0.2): f -> 2f + InstanceNorm -> 4f + InstanceNorm ->
// self-attention -> conv(1, k4) giving an (R/8 - 1)^2 patch map of raw scores (trained as mixup
// LSGAN by engine/train).
class DiscriminatorImpl : public torch::nn::Module {
 public:
  explicit DiscriminatorImpl(int filters);
  torch::Tensor forward(const torch::Tensor& image, const torch::Tensor& condition);

 private:
  torch::nn::Sequential layers_{nullptr};  // the convolutions; attention_ runs before the last
  SelfAttention attention_{nullptr};
};
TORCH_MODULE(Discriminator);

// Loads discriminator `prefix` of a tensor archive (engine/model/tensor_io.h). One saved before
// the self-attention layer existed (no "<prefix>.attention." tensors) loads too: its attention
// starts fresh (gamma 0, the identity), and the result is false to say so. load_module's errors
// for anything else.
Result<bool> load_discriminator(const TensorArchive& in, std::string_view prefix, DiscriminatorImpl& discriminator,
                                std::string_view source);

// Builds the model on the CPU with Torch's default initialisation (seed with torch::manual_seed).
// Errors: kDevice when the weights do not fit in memory.
Result<FaceSwapModel> make_faceswap_model(const ModelPreset& preset);

// Forward FLOPs (multiply-add = 2) of encode + decode for one face: the figure benchmarks divide
// by. A train step costs about 3x the forward.
double forward_flops_per_face(const ModelPreset& preset);

}  // namespace mirage::model
