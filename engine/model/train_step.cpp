#include "engine/model/train_step.h"

#include <torch/torch.h>

#include "engine/model/torch_error.h"

namespace mirage::model {

torch::optim::Adam make_adam(const std::vector<torch::Tensor>& parameters,
                             const AdamOptions& options) {
  return torch::optim::Adam(parameters, torch::optim::AdamOptions(options.learning_rate)
                                            .betas({options.beta1, options.beta2}));
}

Result<torch::Tensor> train_step(ConvAutoencoder& model, torch::optim::Optimizer& optimizer,
                                 const torch::Tensor& input, const torch::Tensor& target) {
  const AutoencoderOptions& options = model->options();
  const std::vector<std::int64_t> expected{input.defined() ? input.size(0) : 0, options.channels,
                                           options.image_size, options.image_size};
  if (!input.defined() || input.dim() != 4 || input.sizes() != c10::IntArrayRef(expected)) {
    return fail(ErrorCode::kInvalidArgument, "train step: faces must be [N, {}, {}, {}], got {}",
                options.channels, options.image_size, options.image_size,
                input.defined() ? input.sizes() : c10::IntArrayRef{});
  }
  if (!target.defined() || target.sizes() != input.sizes()) {
    return fail(ErrorCode::kInvalidArgument, "train step: target must match the faces {}, got {}",
                input.sizes(), target.defined() ? target.sizes() : c10::IntArrayRef{});
  }
  try {
    optimizer.zero_grad();
    const torch::Tensor loss = torch::l1_loss(model->forward(input), target);
    loss.backward();
    optimizer.step();
    return loss.detach();
  } catch (const std::exception& exception) {
    return std::unexpected(detail::torch_error(exception, "train step"));
  }
}

void to_channels_last(torch::nn::Module& module) {
  const torch::NoGradGuard no_grad;
  for (torch::Tensor& parameter : module.parameters()) {
    if (parameter.dim() == 4) {
      parameter.set_data(parameter.contiguous(torch::MemoryFormat::ChannelsLast));
    }
  }
}

}  // namespace mirage::model
