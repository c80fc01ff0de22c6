#include "engine/model/blocks.h"

#include <torch/torch.h>

#include "engine/core/check.h"

namespace mirage::model {

ConvBlockImpl::ConvBlockImpl(int in_channels, int out_channels) {
  MIRAGE_CHECK(in_channels > 0 && out_channels > 0);
  conv_ = register_module(
      "conv", torch::nn::Conv2d(
                  torch::nn::Conv2dOptions(in_channels, out_channels, 5).stride(2).padding(2)));
}

torch::Tensor ConvBlockImpl::forward(const torch::Tensor& input) {
  // In place: the convolution's backward needs its input and weight, not its output.
  torch::Tensor output = conv_->forward(input);
  return torch::leaky_relu_(output, kLeakySlope);
}

UpscaleBlockImpl::UpscaleBlockImpl(int in_channels, int out_channels) {
  MIRAGE_CHECK(in_channels > 0 && out_channels > 0);
  conv_ = register_module(
      "conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(in_channels, 4 * out_channels, 3).padding(1)));
}

torch::Tensor UpscaleBlockImpl::forward(const torch::Tensor& input) {
  torch::Tensor output = conv_->forward(input);
  return torch::pixel_shuffle(torch::leaky_relu_(output, kLeakySlope), 2);
}

}  // namespace mirage::model
