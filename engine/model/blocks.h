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

#include <cstdint>

#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/pimpl.h>

namespace mirage::model {

inline constexpr double kLeakySlope = 0.1;

// Convolution with `weight` and `bias` (stride, padding on both axes). On the CPU, when the output
// has at most kGemmMaxOutputPixels pixels per image and the weight is large, it runs as im2col +
// one GEMM instead of oneDNN's convolution: Torch 1.13's oneDNN computes the weight gradient of
// such layers (the 4x4-output ones at the bottleneck of `original` and `hd`) 4-5x slower than
// their forward, while as a GEMM the backward is two GEMMs and a col2im. Measured on the 2-core
// CPU, forward + backward in bf16, batch 32: `original`'s 8->4 encoder conv 147 -> 60 ms, its
// 4->4 upscale 189 -> 82 ms; for `lite`'s (16x smaller weights) oneDNN stays ahead, 6 vs 8 ms.
// Same weights, same result to float rounding (tests/model/faceswap_model_test.cpp).
inline constexpr int kGemmMaxOutputPixels = 16;
inline constexpr std::int64_t kGemmMinWeights = std::int64_t{1} << 22;
torch::Tensor convolve(const torch::Tensor& input, const torch::Tensor& weight,
                       const torch::Tensor& bias, int stride, int padding);
// convolve()'s choice, and its GEMM path on its own (any device, any size).
bool prefers_gemm(const torch::Tensor& input, const torch::Tensor& weight, int stride, int padding);
torch::Tensor convolve_gemm(const torch::Tensor& input, const torch::Tensor& weight,
                            const torch::Tensor& bias, int stride, int padding);

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
