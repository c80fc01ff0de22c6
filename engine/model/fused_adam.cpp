#include "engine/model/fused_adam.h"

#include <bit>
#include <cmath>
#include <stdexcept>
#include <string>

#include <ATen/Functions.h>
#include <ATen/Parallel.h>
#include <torch/csrc/autograd/grad_mode.h>

#include "engine/core/format.h"
#include "engine/model/tensor_io.h"

// This file is compiled with -fno-math-errno (engine/model/CMakeLists.txt) so that the compiler
// can vectorise sqrt; each kernel is cloned for AVX-512, AVX2+FMA and the baseline and picked at
// load time, because the release binary targets plain x86-64.

namespace mirage::model {
namespace {

constexpr std::int64_t kGrain = 1 << 15;  // elements per parallel chunk (~128 KiB of floats)

struct Coefficients {
  float beta1, one_minus_beta1, beta2, one_minus_beta2;
  float step_size;     // lr / (1 - beta1^t)
  float inv_sqrt_bc2;  // 1 / sqrt(1 - beta2^t)
  float eps, weight_decay, grad_scale;
};

[[gnu::always_inline]] inline float bf16_to_float(std::uint16_t bits) {
  return std::bit_cast<float>(static_cast<std::uint32_t>(bits) << 16);
}

// Round to nearest even, NaN kept NaN (a carry out of a NaN's mantissa could make it a zero).
[[gnu::always_inline]] inline std::uint16_t float_to_bf16(float value) {
  const std::uint32_t bits = std::bit_cast<std::uint32_t>(value);
  const std::uint32_t rounded = (bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16;
  return static_cast<std::uint16_t>(value != value ? 0x7FC0u : rounded);
}

template <typename Grad, bool kCopy>
[[gnu::always_inline]] inline void adam_chunk(float* __restrict param, const Grad* __restrict grad,
                                              float* __restrict exp_avg, float* __restrict exp_avg_sq,
                                              std::uint16_t* __restrict copy, std::int64_t begin,
                                              std::int64_t end, const Coefficients& c) {
  for (std::int64_t i = begin; i < end; ++i) {
    float g;
    if constexpr (std::is_same_v<Grad, float>) {
      g = grad[i];
    } else {
      g = bf16_to_float(grad[i]);
    }
    float p = param[i];
    g = g * c.grad_scale + c.weight_decay * p;
    const float m = c.beta1 * exp_avg[i] + c.one_minus_beta1 * g;
    const float v = c.beta2 * exp_avg_sq[i] + c.one_minus_beta2 * g * g;
    exp_avg[i] = m;
    exp_avg_sq[i] = v;
    p -= c.step_size * m / (std::sqrt(v) * c.inv_sqrt_bc2 + c.eps);
    param[i] = p;
    if constexpr (kCopy) copy[i] = float_to_bf16(p);
  }
}

#define MIRAGE_CLONES [[gnu::target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")]]

MIRAGE_CLONES void adam_f32(float* p, const float* g, float* m, float* v, std::int64_t b,
                            std::int64_t e, const Coefficients& c) {
  adam_chunk<float, false>(p, g, m, v, nullptr, b, e, c);
}
MIRAGE_CLONES void adam_f32_copy(float* p, const float* g, float* m, float* v, std::uint16_t* out,
                                 std::int64_t b, std::int64_t e, const Coefficients& c) {
  adam_chunk<float, true>(p, g, m, v, out, b, e, c);
}
MIRAGE_CLONES void adam_bf16_copy(float* p, const std::uint16_t* g, float* m, float* v,
                                  std::uint16_t* out, std::int64_t b, std::int64_t e,
                                  const Coefficients& c) {
  adam_chunk<std::uint16_t, true>(p, g, m, v, out, b, e, c);
}

// Sum of squares in eight double lanes (the compiler keeps them in one vector register).
template <typename T>
[[gnu::always_inline]] inline double squares_chunk(const T* __restrict x, std::int64_t begin,
                                                   std::int64_t end, double scale) {
  double lanes[8] = {};
  std::int64_t i = begin;
  for (; i + 8 <= end; i += 8) {
    for (int j = 0; j < 8; ++j) {
      double value;
      if constexpr (std::is_same_v<T, float>) {
        value = x[i + j];
      } else {
        value = bf16_to_float(x[i + j]);
      }
      lanes[j] += value * value;
    }
  }
  double sum = 0;
  for (; i < end; ++i) {
    double value;
    if constexpr (std::is_same_v<T, float>) {
      value = x[i];
    } else {
      value = bf16_to_float(x[i]);
    }
    sum += value * value;
  }
  for (const double lane : lanes) sum += lane;
  return sum * scale * scale;
}

MIRAGE_CLONES double squares_f32(const float* x, std::int64_t b, std::int64_t e, double scale) {
  return squares_chunk(x, b, e, scale);
}
MIRAGE_CLONES double squares_bf16(const std::uint16_t* x, std::int64_t b, std::int64_t e,
                                  double scale) {
  return squares_chunk(x, b, e, scale);
}

#undef MIRAGE_CLONES

bool fused_kinds(const torch::Tensor& grad) {
  return grad.device().is_cpu() && grad.is_contiguous() &&
         (grad.scalar_type() == torch::kFloat || grad.scalar_type() == torch::kBFloat16);
}

}  // namespace

double clip_scale(double norm, double max_norm) {
  if (max_norm <= 0) return 1.0;
  const double scale = max_norm / (norm + 1e-6);
  return scale < 1.0 ? scale : 1.0;
}

FusedAdam::FusedAdam(std::vector<torch::Tensor> master, std::vector<torch::Tensor> compute,
                     FusedAdamOptions options)
    : master_(std::move(master)), compute_(std::move(compute)), options_(options) {
  if (!compute_.empty() && compute_.size() != master_.size()) {
    throw std::invalid_argument(format("FusedAdam: {} compute tensors for {} master tensors",
                                       compute_.size(), master_.size()));
  }
  for (std::size_t i = 0; i < master_.size(); ++i) {
    if (master_[i].scalar_type() != torch::kFloat) {
      throw std::invalid_argument(format("FusedAdam: master tensor {} is not float", i));
    }
    if (!compute_.empty() && !compute_[i].sizes().equals(master_[i].sizes())) {
      throw std::invalid_argument(format("FusedAdam: compute tensor {} has another shape", i));
    }
  }
  state_.resize(master_.size());
}

const std::vector<torch::Tensor>& FusedAdam::gradient_tensors() const {
  return compute_.empty() ? master_ : compute_;
}

bool FusedAdam::fused_applies(std::size_t i, const torch::Tensor& grad) const {
  if (force_generic_ || !fused_kinds(grad)) return false;
  const torch::Tensor& p = master_[i];
  if (!p.device().is_cpu() || !p.is_contiguous()) return false;
  if (compute_.empty()) return grad.scalar_type() == torch::kFloat;
  const torch::Tensor& copy = compute_[i];
  return copy.device().is_cpu() && copy.is_contiguous() && copy.scalar_type() == torch::kBFloat16;
}

double FusedAdam::gradient_norm(double grad_scale) const {
  const at::NoGradGuard no_grad;
  double sum = 0;
  for (const torch::Tensor& t : gradient_tensors()) {
    const torch::Tensor& grad = t.grad();
    if (!grad.defined()) continue;
    const std::int64_t n = grad.numel();
    if (!force_generic_ && fused_kinds(grad)) {
      const bool f32 = grad.scalar_type() == torch::kFloat;
      const void* data = grad.data_ptr();
      sum += at::parallel_reduce(
          std::int64_t{0}, n, kGrain, 0.0,
          [&](std::int64_t begin, std::int64_t end, double identity) {
            return identity + (f32 ? squares_f32(static_cast<const float*>(data), begin, end, grad_scale)
                                   : squares_bf16(static_cast<const std::uint16_t*>(data), begin,
                                                  end, grad_scale));
          },
          std::plus<double>());
    } else {
      sum += grad.to(torch::kDouble).mul(grad_scale).square().sum().item<double>();
    }
  }
  return std::sqrt(sum);
}

void FusedAdam::step(double grad_scale) {
  const at::NoGradGuard no_grad;
  const FusedAdamOptions& o = options_;
  for (std::size_t i = 0; i < master_.size(); ++i) {
    const torch::Tensor& grad = gradient_tensors()[i].grad();
    if (!grad.defined()) continue;
    torch::Tensor& param = master_[i];
    ParamState& state = state_[i];
    if (!state.exp_avg.defined()) {
      state.exp_avg = at::zeros_like(param, torch::MemoryFormat::Preserve);
      state.exp_avg_sq = at::zeros_like(param, torch::MemoryFormat::Preserve);
    }
    ++state.step;
    const double bias_correction1 = 1 - std::pow(o.beta1, static_cast<double>(state.step));
    const double bias_correction2 = 1 - std::pow(o.beta2, static_cast<double>(state.step));
    const double step_size = o.learning_rate / bias_correction1;
    if (fused_applies(i, grad) && state.exp_avg.is_contiguous()) {
      const Coefficients c{static_cast<float>(o.beta1),
                           static_cast<float>(1 - o.beta1),
                           static_cast<float>(o.beta2),
                           static_cast<float>(1 - o.beta2),
                           static_cast<float>(step_size),
                           static_cast<float>(1 / std::sqrt(bias_correction2)),
                           static_cast<float>(o.eps),
                           static_cast<float>(o.weight_decay),
                           static_cast<float>(grad_scale)};
      float* p = param.data_ptr<float>();
      float* m = state.exp_avg.data_ptr<float>();
      float* v = state.exp_avg_sq.data_ptr<float>();
      auto* copy = compute_.empty() ? nullptr
                                    : static_cast<std::uint16_t*>(compute_[i].data_ptr());
      const bool f32 = grad.scalar_type() == torch::kFloat;
      const void* g = grad.data_ptr();
      at::parallel_for(0, param.numel(), kGrain, [&](std::int64_t begin, std::int64_t end) {
        if (copy == nullptr) {
          adam_f32(p, static_cast<const float*>(g), m, v, begin, end, c);
        } else if (f32) {
          adam_f32_copy(p, static_cast<const float*>(g), m, v, copy, begin, end, c);
        } else {
          adam_bf16_copy(p, static_cast<const std::uint16_t*>(g), m, v, copy, begin, end, c);
        }
      });
      continue;
    }
    // The same maths as tensor ops, for devices and layouts the kernel does not cover.
    torch::Tensor g = grad.to(param.scalar_type());
    if (grad_scale != 1.0) g = g * grad_scale;
    if (o.weight_decay != 0) g = g.add(param, o.weight_decay);
    state.exp_avg.mul_(o.beta1).add_(g, 1 - o.beta1);
    state.exp_avg_sq.mul_(o.beta2).addcmul_(g, g, 1 - o.beta2);
    const torch::Tensor denom = (state.exp_avg_sq.sqrt() / std::sqrt(bias_correction2)).add_(o.eps);
    param.addcdiv_(state.exp_avg, denom, -step_size);
    if (!compute_.empty()) compute_[i].copy_(param);
  }
}

void FusedAdam::clear_gradients() {
  for (const torch::Tensor& t : gradient_tensors()) t.mutable_grad() = torch::Tensor();
}

void FusedAdam::sync_compute() {
  const at::NoGradGuard no_grad;
  for (std::size_t i = 0; i < compute_.size(); ++i) compute_[i].copy_(master_[i]);
}

void FusedAdam::save(TensorArchiveWriter& out, std::string_view prefix) const {
  for (std::size_t i = 0; i < state_.size(); ++i) {
    const ParamState& state = state_[i];
    if (!state.exp_avg.defined()) continue;
    write_tensor(out, format("{}.{}.step", prefix, i), at::scalar_tensor(state.step, at::kLong));
    write_tensor(out, format("{}.{}.exp_avg", prefix, i), state.exp_avg);
    write_tensor(out, format("{}.{}.exp_avg_sq", prefix, i), state.exp_avg_sq);
  }
}

Status FusedAdam::load(const TensorArchive& in, std::string_view prefix, std::string_view source) {
  std::vector<ParamState> loaded(master_.size());
  for (std::size_t i = 0; i < master_.size(); ++i) {
    const TensorEntry* step = in.find(format("{}.{}.step", prefix, i));
    if (step == nullptr) continue;  // a parameter that has not been stepped yet
    const TensorEntry* moments[] = {in.find(format("{}.{}.exp_avg", prefix, i)),
                                    in.find(format("{}.{}.exp_avg_sq", prefix, i))};
    for (const TensorEntry* m : moments) {
      if (m == nullptr || m->type != TensorType::kFloat32 || !master_[i].sizes().equals(m->shape)) {
        return fail(ErrorCode::kCorrupt, "{}: damaged checkpoint (the {} state of parameter {} does not fit it)", source,
                    prefix, i);
      }
    }
    if (step->type != TensorType::kInt64 || step->elements() != 1) {
      return fail(ErrorCode::kCorrupt, "{}: damaged checkpoint ({}.{}.step is not one int64)", source, prefix, i);
    }
    ParamState& state = loaded[i];
    state.step = read_tensor(*step).item<std::int64_t>();
    state.exp_avg = read_tensor(*moments[0]).to(master_[i].device()).contiguous();
    state.exp_avg_sq = read_tensor(*moments[1]).to(master_[i].device()).contiguous();
  }
  state_ = std::move(loaded);
  return ok();
}

}  // namespace mirage::model
