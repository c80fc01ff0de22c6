// A small convolutional autoencoder: the classic face-swap shape (FACESWAP-FACTS.md section 1) at
// a configurable, smaller width. Used by `mirage bench step` and the tests; the real presets
// (shared encoder, one decoder per identity, mask head) are built from the same blocks.
//
//   AutoencoderOptions options;                        // 64x64x3, 64-128-256, latent 256
//   Result<ConvAutoencoder> model = make_autoencoder(options);
//   if (!model) return std::unexpected(model.error());
//   torch::Tensor faces = ...;                         // [N, 3, 64, 64], values in [0, 1]
//   torch::Tensor reconstructed = (*model)->forward(faces);  // same shape, values in [0, 1]
//
// Shape: image -> ConvBlock per encoder filter (each halves the side) -> flatten -> Linear(latent)
// -> Linear(side*side*encoder_filters.back()) -> reshape -> UpscaleBlock per decoder filter (each
// doubles the side) -> Conv2d(channels, kernel 5) -> sigmoid.
#pragma once

#include <cstdint>
#include <vector>

#include <torch/nn/module.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include "engine/core/error.h"

namespace mirage::model {

struct AutoencoderOptions {
  int image_size = 64;  // input and output side in pixels
  int channels = 3;     // 3 (RGB) or 1..4
  std::vector<int> encoder_filters{64, 128, 256};  // one ConvBlock each
  int latent = 256;                                // width of the dense bottleneck
  std::vector<int> decoder_filters{128, 64, 32};   // one UpscaleBlock each
};

inline constexpr int kMaxImageSize = 1024;
inline constexpr int kMaxFilters = 8192;
inline constexpr std::int64_t kMaxDenseWeights = std::int64_t{1} << 31;  // 8 GiB of float

// Errors (ErrorCode::kInvalidArgument), one line naming the field: image_size outside
// [1, kMaxImageSize] or not divisible by 2^encoder levels; channels outside [1, 4]; an empty
// encoder, or a decoder with a different number of levels; a filter or latent outside
// [1, kMaxFilters]; a dense layer with more than kMaxDenseWeights weights.
Status validate(const AutoencoderOptions& options);

class ConvAutoencoderImpl : public torch::nn::Module {
 public:
  // options must pass validate() (checked); make_autoencoder() validates for you.
  explicit ConvAutoencoderImpl(AutoencoderOptions options);

  // [N, channels, image_size, image_size] in [0, 1] -> the same shape, values in [0, 1].
  torch::Tensor forward(const torch::Tensor& faces);
  // [N, channels, image_size, image_size] -> [N, latent].
  torch::Tensor encode(const torch::Tensor& faces);
  // [N, latent] -> [N, channels, image_size, image_size].
  torch::Tensor decode(const torch::Tensor& latent);

  const AutoencoderOptions& options() const { return options_; }
  // Side of the square feature map at the bottleneck: image_size / 2^levels.
  int bottleneck_size() const;

 private:
  AutoencoderOptions options_;
  torch::nn::Sequential encoder_{nullptr};
  torch::nn::Linear to_latent_{nullptr};
  torch::nn::Linear from_latent_{nullptr};
  torch::nn::Sequential decoder_{nullptr};
  torch::nn::Conv2d to_image_{nullptr};
};
TORCH_MODULE(ConvAutoencoder);

// Validates, then builds the model on the CPU with Torch's default initialisation (seed it with
// torch::manual_seed for reproducible weights). Errors: validate()'s, or ErrorCode::kDevice when
// the weights do not fit in memory.
Result<ConvAutoencoder> make_autoencoder(const AutoencoderOptions& options);

// Number of trainable scalars in a module and its children.
std::int64_t count_parameters(const torch::nn::Module& module);

}  // namespace mirage::model
