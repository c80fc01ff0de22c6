// One optimisation step of an autoencoder (L1 reconstruction, Adam), and the helpers around it.
//
//   ConvAutoencoder model = *make_autoencoder(options);
//   model->to(device);
//   to_channels_last(*model);                          // optional, before make_adam()
//   torch::optim::Adam adam = make_adam(model->parameters(), AdamOptions{});
//   for (...) {
//     Result<torch::Tensor> loss = train_step(model, adam, faces, faces);
//     if (!loss) return std::unexpected(loss.error());
//     if (step % 100 == 0) log::info("loss {:.4f}", loss->item<float>());  // item() syncs
//   }
//
// Not thread-safe: a model and its optimizer belong to one thread (the trainer's).
#pragma once

#include <vector>

#include <torch/optim/adam.h>

#include "engine/core/error.h"
#include "engine/model/autoencoder.h"

namespace mirage::model {

// The classic face-swap settings (FACESWAP-FACTS.md section 1).
struct AdamOptions {
  double learning_rate = 5e-5;
  double beta1 = 0.5;
  double beta2 = 0.999;
};

torch::optim::Adam make_adam(const std::vector<torch::Tensor>& parameters,
                             const AdamOptions& options);

// zero_grad, L1(model(input), target) averaged over every element, backward, optimizer step.
// input and target: [N, channels, image_size, image_size] float on the model's device, values in
// [0, 1]. Returns the loss before the step as a detached scalar on that device (reading it with
// item() waits for the device; leave it unread to keep a GPU busy).
// Errors: ErrorCode::kInvalidArgument for tensors of the wrong shape; ErrorCode::kDevice when
// memory runs out; ErrorCode::kInternal for any other Torch failure.
Result<torch::Tensor> train_step(ConvAutoencoder& model, torch::optim::Optimizer& optimizer,
                                 const torch::Tensor& input, const torch::Tensor& target);

// Stores every 4-D parameter of module channels-last (NHWC), which lets oneDNN and cuDNN skip
// layout conversions when the inputs are channels-last too. Call before creating the optimizer so
// its state is allocated in the same layout.
void to_channels_last(torch::nn::Module& module);

}  // namespace mirage::model
