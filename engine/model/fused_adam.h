// Adam whose per-element work for a step is one pass over memory, with fp32 master weights for a
// reduced-precision compute copy and gradient clipping folded into that pass.
//
//   // fp32 training: the model's own parameters are the master weights and get the gradients.
//   FusedAdam adam(model->parameters(), {}, FusedAdamOptions{.learning_rate = 2e-4});
//   // bf16 training: gradients land on the bf16 copy; Adam updates the fp32 master and rewrites
//   // the copy in the same pass.
//   FusedAdam adam(master->parameters(), compute->parameters(), options);
//   loss.backward();
//   const double norm = adam.gradient_norm();          // one read pass; inf/nan if any is
//   if (!std::isfinite(norm)) adam.clear_gradients();  // ... and skip the step
//   else adam.step(clip_scale(norm, 1.0));
//
// Why: Torch's C++/Python Adam on the CPU runs eight tensor ops per parameter (each a pass over
// memory), clip_grad_norm_ two more, and autocast casts every weight to bf16 in the forward and
// every gradient back to fp32 in the backward. For the 85 M-parameter `original` model these cost
// about 350 ms of a 1.2 s step on a 2-core CPU; this does the same maths in about 40 ms.
// The maths is Torch's Adam (torch/optim/adam.cpp, no amsgrad) to float rounding:
//   g = grad * grad_scale (+ weight_decay * p);  m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
//   p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
// A parameter whose gradient is undefined is left alone (no state, no step count), as Torch does.
// CPU tensors of float master / float or bf16 gradient / bf16 or fp16 copy take the fused kernel;
// anything else (CUDA) runs the same maths as tensor ops.
// Not thread-safe: an optimizer belongs to the trainer thread.
#pragma once

#include <cstdint>
#include <vector>

#include <string_view>

#include <torch/types.h>

#include "engine/core/error.h"
#include "engine/model/tensor_archive.h"

namespace mirage::model {

struct FusedAdamOptions {
  double learning_rate = 2e-4;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0;
};

// The factor clip_grad_norm_ scales gradients by: max_norm / (norm + 1e-6) when that is below 1,
// else 1 (also 1 when max_norm <= 0, clipping off).
double clip_scale(double norm, double max_norm);

class FusedAdam {
 public:
  // master: fp32 leaf tensors. compute: empty, or one tensor per master tensor, same shape, on
  // which backward() leaves the gradients (checked: throws std::invalid_argument).
  FusedAdam(std::vector<torch::Tensor> master, std::vector<torch::Tensor> compute,
            FusedAdamOptions options);

  // sqrt of the sum of squares of every defined gradient, accumulated in double; non-finite when
  // any gradient element is. grad_scale multiplies each gradient first (1/loss-scale for fp16).
  double gradient_norm(double grad_scale = 1.0) const;
  // One Adam step on every parameter with a gradient, each gradient first multiplied by
  // grad_scale; then the compute copies (if any) are rewritten from the master weights.
  void step(double grad_scale = 1.0);
  // Drops the gradients (backward then writes fresh ones instead of adding to zeroed buffers).
  void clear_gradients();
  // Rewrites every compute copy from its master tensor (after loading or rolling back weights).
  void sync_compute();

  void set_learning_rate(double value) { options_.learning_rate = value; }
  const FusedAdamOptions& options() const { return options_; }
  // The tensors backward() writes gradients to: compute copies if any, else the master weights.
  const std::vector<torch::Tensor>& gradient_tensors() const;
  const std::vector<torch::Tensor>& master() const { return master_; }

  // State by parameter position under `prefix`: "<prefix>.<i>.step", ".exp_avg", ".exp_avg_sq"
  // (the layout checkpoints have used since the first release; the bytes are deterministic).
  void save(TensorArchiveWriter& out, std::string_view prefix) const;
  // kCorrupt "<source>: damaged checkpoint (...)" when a tensor does not fit its parameter; the
  // state is then as it was.
  Status load(const TensorArchive& in, std::string_view prefix, std::string_view source);

  // For tests: run the tensor-op path even where the fused kernel applies.
  void force_generic_path(bool on) { force_generic_ = on; }

 private:
  struct ParamState {
    std::int64_t step = 0;
    torch::Tensor exp_avg;
    torch::Tensor exp_avg_sq;
  };
  bool fused_applies(std::size_t i, const torch::Tensor& grad) const;

  std::vector<torch::Tensor> master_;
  std::vector<torch::Tensor> compute_;
  std::vector<ParamState> state_;
  FusedAdamOptions options_;
  bool force_generic_ = false;
};

}  // namespace mirage::model
