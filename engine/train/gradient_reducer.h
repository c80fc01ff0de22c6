// Averages the gradients of a set of parameters over a ProcessGroup the way DistributedDataParallel
// does: in buckets, each all-reduced as soon as backward has produced all of its gradients, so
// communication runs while backward computes the rest.
//
//   GradientReducer reducer(group, adam.gradient_tensors());  // once, after the model is built
//   reducer.prepare({loss_value});         // arms the hooks; values to average along
//   loss.backward();                       // ready buckets start their all-reduce on the way
//   reducer.finish(step);                  // the rest, the waits; .grad = mean over the ranks
//   double mean_loss = reducer.extra(0);   // the ranks' mean of the values given to prepare()
//
// Buckets hold parameters in reverse registration order (about the order backward reaches them),
// up to bucket_bytes of fp32 each; a gradient is copied into its bucket by a hook on the
// parameter, in fp32 whatever the compute dtype, and the averaged values are written back into
// .grad (rounded to the gradient's dtype, identically on every rank, so every rank's optimizer
// step is the same). A parameter that got no gradient (the same on every rank, since every rank
// runs the same graph) adds zeros and keeps an undefined .grad. Hooks that fire while the reducer
// is not armed (a discriminator's parameters during the generator's backward) are ignored.
// Extra values (a rank's loss, so that the NaN guard decides the same everywhere) ride at the end
// of the first bucket, at no extra collective.
// Trainer-thread only.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include <torch/types.h>

#include "engine/train/process_group.h"

namespace mirage::train {

class GradientReducer {
 public:
  static constexpr std::int64_t kBucketBytes = 4 << 20;

  GradientReducer(ProcessGroup& group, std::vector<torch::Tensor> parameters, int extras = 0,
                  std::int64_t bucket_bytes = kBucketBytes);
  ~GradientReducer();
  GradientReducer(const GradientReducer&) = delete;
  GradientReducer& operator=(const GradientReducer&) = delete;

  void prepare(std::span<const double> extras = {});  // at most `extras` values
  // Throws RankLost (ProcessGroup::wait) when a peer is gone.
  void finish(std::int64_t step);

  double extra(int i) const { return extra_means_.at(static_cast<std::size_t>(i)); }
  std::size_t buckets() const { return buckets_.size(); }
  double gradient_megabytes() const { return 4.0 * static_cast<double>(elements_) / 1e6; }
  double last_wait_ms() const { return last_wait_ms_; }  // finish()'s wait in the last step

 private:
  struct Bucket {
    torch::Tensor flat;                    // fp32, every member's gradient side by side
    std::vector<std::size_t> members;      // indices into parameters_
    std::vector<std::int64_t> offsets;     // of each member in flat
    int pending = 0;                       // members whose gradient has not arrived this step
    c10::intrusive_ptr<c10d::Work> work;   // the running all-reduce, once launched
  };
  void on_gradient(std::size_t parameter, const torch::Tensor& grad);
  void launch(Bucket& bucket);

  ProcessGroup& group_;
  std::vector<torch::Tensor> parameters_;
  std::vector<std::pair<std::size_t, std::size_t>> where_;  // parameter -> (bucket, member)
  std::vector<bool> arrived_;
  std::vector<unsigned> hooks_;
  std::vector<Bucket> buckets_;
  std::int64_t elements_ = 0;
  int extras_ = 0;
  std::int64_t extras_offset_ = 0;  // in buckets_.front().flat
  std::vector<double> extra_means_;
  bool armed_ = false;
  double last_wait_ms_ = 0;
};

}  // namespace mirage::train
