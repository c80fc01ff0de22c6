#include "engine/model/blocks.h"

#include <torch/torch.h>

#include "engine/core/check.h"

namespace mirage::model {

namespace {

std::int64_t output_side(std::int64_t side, std::int64_t kernel, int stride, int padding) {
  return (side + 2 * padding - kernel) / stride + 1;
}

}  // namespace

bool prefers_gemm(const torch::Tensor& input, const torch::Tensor& weight, int stride, int padding) {
  const std::int64_t kernel = weight.size(2);
  return input.device().is_cpu() && weight.size(3) == kernel &&
         weight.numel() >= kGemmMinWeights &&
         output_side(input.size(2), kernel, stride, padding) *
                 output_side(input.size(3), kernel, stride, padding) <=
             kGemmMaxOutputPixels;
}

torch::Tensor convolve_gemm(const torch::Tensor& input, const torch::Tensor& weight,
                            const torch::Tensor& bias, int stride, int padding) {
  const std::int64_t kernel = weight.size(2);
  const std::int64_t out_h = output_side(input.size(2), kernel, stride, padding);
  const std::int64_t out_w = output_side(input.size(3), weight.size(3), stride, padding);
  const std::int64_t n = input.size(0);
  const std::int64_t out_channels = weight.size(0);
  // [N, C*k*k, out_h*out_w] -> one row per output pixel.
  const torch::Tensor columns = torch::im2col(input, {kernel, weight.size(3)}, {1, 1},
                                              {padding, padding}, {stride, stride});
  const torch::Tensor rows = columns.transpose(1, 2).reshape({n * out_h * out_w, -1});
  const torch::Tensor output = torch::addmm(bias, rows, weight.reshape({out_channels, -1}).t());
  return output.view({n, out_h, out_w, out_channels}).permute({0, 3, 1, 2}).contiguous();
}

torch::Tensor convolve(const torch::Tensor& input, const torch::Tensor& weight,
                       const torch::Tensor& bias, int stride, int padding) {
  if (prefers_gemm(input, weight, stride, padding)) {
    return convolve_gemm(input, weight, bias, stride, padding);
  }
  return torch::conv2d(input, weight, bias, stride, padding);
}

ConvBlockImpl::ConvBlockImpl(int in_channels, int out_channels) {
  MIRAGE_CHECK(in_channels > 0 && out_channels > 0);
  conv_ = register_module(
      "conv", torch::nn::Conv2d(
                  torch::nn::Conv2dOptions(in_channels, out_channels, 5).stride(2).padding(2)));
}

torch::Tensor ConvBlockImpl::forward(const torch::Tensor& input) {
  // In place: the convolution's backward needs its input and weight, not its output.
  torch::Tensor output = convolve(input, conv_->weight, conv_->bias, 2, 2);
  return torch::leaky_relu_(output, kLeakySlope);
}

UpscaleBlockImpl::UpscaleBlockImpl(int in_channels, int out_channels) {
  MIRAGE_CHECK(in_channels > 0 && out_channels > 0);
  conv_ = register_module(
      "conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(in_channels, 4 * out_channels, 3).padding(1)));
}

torch::Tensor UpscaleBlockImpl::forward(const torch::Tensor& input) {
  torch::Tensor output = convolve(input, conv_->weight, conv_->bias, 1, 1);
  return torch::pixel_shuffle(torch::leaky_relu_(output, kLeakySlope), 2);
}

}  // namespace mirage::model
