// The convolutional building blocks of Mirage's face models (FACESWAP-FACTS.md section 1), shared
// by the encoders and decoders of every preset.
//
//   ConvBlock down(3, 64);      // 5x5 conv, stride 2, LeakyReLU(0.1):   [N, 3, 64, 64] -> [N, 64, 32, 32]
//   UpscaleBlock up(64, 32);    // 3x3 conv to 4*32, LeakyReLU(0.1), PixelShuffle(2): -> [N, 32, 64, 64]
//   torch::Tensor y = up(down(x));
//
// Tensors are float NCHW in either memory format (contiguous or channels-last); an odd input side
// halves rounding up. Like every torch::nn module, a block is used by one thread at a time.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/pimpl.h>

namespace mirage::model {

inline constexpr double kLeakySlope = 0.1;

// Halves the spatial size: Conv2d(in -> out, kernel 5, stride 2, padding 2) + LeakyReLU(0.1).
class ConvBlockImpl : public torch::nn::Module {
 public:
  ConvBlockImpl(int in_channels, int out_channels);  // both > 0 (checked)
  torch::Tensor forward(const torch::Tensor& input);

 private:
  torch::nn::Conv2d conv_{nullptr};
};
TORCH_MODULE(ConvBlock);

// Doubles the spatial size: Conv2d(in -> 4*out, kernel 3, padding 1) + LeakyReLU(0.1) +
// PixelShuffle(2).
class UpscaleBlockImpl : public torch::nn::Module {
 public:
  UpscaleBlockImpl(int in_channels, int out_channels);  // both > 0 (checked)
  torch::Tensor forward(const torch::Tensor& input);

 private:
  torch::nn::Conv2d conv_{nullptr};
};
TORCH_MODULE(UpscaleBlock);

}  // namespace mirage::model
