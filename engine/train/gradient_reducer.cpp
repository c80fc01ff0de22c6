#include "engine/train/gradient_reducer.h"

#include <chrono>

#include <torch/csrc/autograd/grad_mode.h>
#include <torch/csrc/distributed/c10d/Work.hpp>

#include "engine/core/check.h"
#include "engine/core/error.h"

namespace mirage::train {

GradientReducer::GradientReducer(ProcessGroup& group, std::vector<torch::Tensor> parameters,
                                 int extras, std::int64_t bucket_bytes)
    : group_(group), parameters_(std::move(parameters)), extras_(extras) {
  MIRAGE_CHECK(!parameters_.empty() && extras >= 0);
  const std::int64_t capacity = std::max<std::int64_t>(1, bucket_bytes / 4);
  where_.resize(parameters_.size());
  arrived_.assign(parameters_.size(), false);
  std::vector<Bucket> buckets;
  std::int64_t filled = 0;
  for (std::size_t k = parameters_.size(); k-- > 0;) {
    const std::int64_t n = parameters_[k].numel();
    if (buckets.empty() || (filled > 0 && filled + n > capacity)) {
      buckets.emplace_back();
      filled = 0;
    }
    Bucket& bucket = buckets.back();
    where_[k] = {buckets.size() - 1, bucket.members.size()};
    bucket.members.push_back(k);
    bucket.offsets.push_back(filled);
    filled += n;
    elements_ += n;
  }
  extras_offset_ = buckets.front().offsets.back() + parameters_[buckets.front().members.back()].numel();
  extra_means_.assign(static_cast<std::size_t>(extras_), 0.0);
  for (Bucket& bucket : buckets) {
    std::int64_t size = bucket.offsets.back() + parameters_[bucket.members.back()].numel();
    if (&bucket == &buckets.front()) size += extras_;
    const torch::Device device = parameters_.front().device();
    bucket.flat = torch::zeros({size}, torch::TensorOptions().dtype(torch::kFloat).device(
                                           device.is_cuda() && !group_.reduces_on_cuda() ? torch::Device(torch::kCPU) : device));
  }
  buckets_ = std::move(buckets);
  for (std::size_t k = 0; k < parameters_.size(); ++k) {
    hooks_.push_back(parameters_[k].register_hook([this, k](const torch::Tensor& grad) { on_gradient(k, grad); }));
  }
}

GradientReducer::~GradientReducer() {
  for (std::size_t k = 0; k < parameters_.size(); ++k) parameters_[k].remove_hook(hooks_[k]);
}

void GradientReducer::prepare(std::span<const double> extras) {
  MIRAGE_CHECK(extras.size() <= static_cast<std::size_t>(extras_));
  torch::Tensor slots = buckets_.front().flat.narrow(0, extras_offset_, extras_);
  slots.zero_();
  for (std::size_t i = 0; i < extras.size(); ++i) slots[static_cast<std::int64_t>(i)] = extras[i];
  for (Bucket& bucket : buckets_) {
    bucket.pending = static_cast<int>(bucket.members.size());
    bucket.work.reset();
  }
  arrived_.assign(parameters_.size(), false);
  armed_ = true;
}

void GradientReducer::on_gradient(std::size_t k, const torch::Tensor& grad) {
  if (!armed_ || arrived_[k]) return;
  const torch::NoGradGuard no_grad;
  arrived_[k] = true;
  const auto [b, m] = where_[k];
  Bucket& bucket = buckets_[b];
  bucket.flat.narrow(0, bucket.offsets[m], grad.numel()).view(grad.sizes()).copy_(grad);
  if (--bucket.pending == 0) launch(bucket);
}

void GradientReducer::launch(Bucket& bucket) { bucket.work = group_.allreduce(bucket.flat); }

void GradientReducer::finish(std::int64_t step) {
  const torch::NoGradGuard no_grad;
  armed_ = false;
  for (Bucket& bucket : buckets_) {
    if (bucket.work) continue;
    for (std::size_t m = 0; m < bucket.members.size(); ++m) {
      const std::size_t k = bucket.members[m];
      if (!arrived_[k]) bucket.flat.narrow(0, bucket.offsets[m], parameters_[k].numel()).zero_();
    }
    launch(bucket);
  }
  const auto start = std::chrono::steady_clock::now();
  const double mean = 1.0 / group_.world_size();
  for (Bucket& bucket : buckets_) {
    group_.wait(bucket.work, step);
    bucket.flat.mul_(mean);
    for (std::size_t m = 0; m < bucket.members.size(); ++m) {
      torch::Tensor& grad = parameters_[bucket.members[m]].mutable_grad();
      if (!grad.defined()) continue;
      grad.copy_(bucket.flat.narrow(0, bucket.offsets[m], grad.numel()).view(grad.sizes()));
    }
    bucket.work.reset();
  }
  const torch::Tensor slots = buckets_.front().flat.narrow(0, extras_offset_, extras_).to(torch::kDouble);
  for (int i = 0; i < extras_; ++i) extra_means_[static_cast<std::size_t>(i)] = slots[i].item<double>();
  last_wait_ms_ = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace mirage::train
