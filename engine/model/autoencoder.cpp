#include "engine/model/autoencoder.h"

#include <torch/torch.h>

#include "engine/core/check.h"
#include "engine/model/blocks.h"
#include "engine/model/torch_error.h"

namespace mirage::model {
namespace {

Status validate_filters(const std::vector<int>& filters, std::string_view field) {
  for (const int count : filters) {
    if (count < 1 || count > kMaxFilters) {
      return fail(ErrorCode::kInvalidArgument, "autoencoder {}: each count must be in [1, {}], got {}",
                  field, kMaxFilters, count);
    }
  }
  return ok();
}

}  // namespace

Status validate(const AutoencoderOptions& options) {
  const auto levels = options.encoder_filters.size();
  if (levels == 0 || levels > 10) {
    return fail(ErrorCode::kInvalidArgument, "autoencoder encoder_filters: needs 1 to 10 levels, got {}",
                levels);
  }
  if (options.decoder_filters.size() != levels) {
    return fail(ErrorCode::kInvalidArgument,
                "autoencoder decoder_filters: needs {} levels to match the encoder, got {}", levels,
                options.decoder_filters.size());
  }
  if (auto s = validate_filters(options.encoder_filters, "encoder_filters"); !s) return s;
  if (auto s = validate_filters(options.decoder_filters, "decoder_filters"); !s) return s;
  const int step = 1 << levels;
  if (options.image_size < 1 || options.image_size > kMaxImageSize ||
      options.image_size % step != 0) {
    return fail(ErrorCode::kInvalidArgument,
                "autoencoder image_size: must be a multiple of {} (2^{} levels) in [1, {}], got {}",
                step, levels, kMaxImageSize, options.image_size);
  }
  if (options.channels < 1 || options.channels > 4) {
    return fail(ErrorCode::kInvalidArgument, "autoencoder channels: must be in [1, 4], got {}",
                options.channels);
  }
  if (options.latent < 1 || options.latent > kMaxFilters) {
    return fail(ErrorCode::kInvalidArgument, "autoencoder latent: must be in [1, {}], got {}",
                kMaxFilters, options.latent);
  }
  const std::int64_t side = options.image_size / step;
  const std::int64_t dense = side * side * options.encoder_filters.back() * options.latent;
  if (dense > kMaxDenseWeights) {
    return fail(ErrorCode::kInvalidArgument,
                "autoencoder: the dense bottleneck would hold {} weights (at most {}); lower "
                "latent or the last encoder filter count",
                dense, kMaxDenseWeights);
  }
  return ok();
}

ConvAutoencoderImpl::ConvAutoencoderImpl(AutoencoderOptions options) : options_(std::move(options)) {
  MIRAGE_CHECK(validate(options_).has_value());
  const std::int64_t side = bottleneck_size();
  const std::int64_t dense = side * side * options_.encoder_filters.back();

  torch::nn::Sequential encoder;
  int channels = options_.channels;
  for (const int filters : options_.encoder_filters) {
    encoder->push_back(ConvBlock(channels, filters));
    channels = filters;
  }
  encoder_ = register_module("encoder", encoder);
  to_latent_ = register_module("to_latent", torch::nn::Linear(dense, options_.latent));
  from_latent_ =
      register_module("from_latent", torch::nn::Linear(options_.latent, dense));

  torch::nn::Sequential decoder;
  for (const int filters : options_.decoder_filters) {
    decoder->push_back(UpscaleBlock(channels, filters));
    channels = filters;
  }
  decoder_ = register_module("decoder", decoder);
  to_image_ = register_module(
      "to_image",
      torch::nn::Conv2d(torch::nn::Conv2dOptions(channels, options_.channels, 5).padding(2)));
}

int ConvAutoencoderImpl::bottleneck_size() const {
  return options_.image_size >> options_.encoder_filters.size();
}

torch::Tensor ConvAutoencoderImpl::encode(const torch::Tensor& faces) {
  return to_latent_->forward(encoder_->forward(faces).flatten(1));
}

torch::Tensor ConvAutoencoderImpl::decode(const torch::Tensor& latent) {
  const int side = bottleneck_size();
  const torch::Tensor features =
      from_latent_->forward(latent).view({-1, options_.encoder_filters.back(), side, side});
  return torch::sigmoid(to_image_->forward(decoder_->forward(features)));
}

torch::Tensor ConvAutoencoderImpl::forward(const torch::Tensor& faces) { return decode(encode(faces)); }

Result<ConvAutoencoder> make_autoencoder(const AutoencoderOptions& options) {
  if (auto valid = validate(options); !valid) return std::unexpected(valid.error());
  try {
    return ConvAutoencoder(options);
  } catch (const std::exception& exception) {
    return std::unexpected(detail::torch_error(exception, "building the autoencoder"));
  }
}

std::int64_t count_parameters(const torch::nn::Module& module) {
  std::int64_t count = 0;
  for (const torch::Tensor& parameter : module.parameters()) {
    if (parameter.requires_grad()) count += parameter.numel();
  }
  return count;
}

}  // namespace mirage::model
