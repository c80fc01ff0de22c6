#include "engine/model/fused_adam.h"

#include <cmath>
#include <sstream>

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace mirage::model {
namespace {

// Parameters of assorted sizes: a chunk boundary (2^15) is crossed and odd tails are left.
std::vector<torch::Tensor> make_parameters(std::uint64_t seed) {
  torch::manual_seed(seed);
  std::vector<torch::Tensor> out;
  for (const std::int64_t n : {1, 7, 33, 70001}) out.push_back(torch::randn({n}).requires_grad_());
  out.push_back(torch::randn({5, 3, 4, 4}).requires_grad_());
  return out;
}

std::vector<torch::Tensor> make_gradients(std::uint64_t seed, const std::vector<torch::Tensor>& like) {
  torch::manual_seed(seed);
  std::vector<torch::Tensor> out;
  for (const auto& p : like) out.push_back(torch::randn(p.sizes()) * 0.1);
  return out;
}

double max_difference(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) {
  double worst = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    worst = std::max(worst, (a[i].detach() - b[i].detach()).abs().max().item<double>());
  }
  return worst;
}

std::vector<torch::Tensor> clones(const std::vector<torch::Tensor>& tensors) {
  std::vector<torch::Tensor> out;
  for (const auto& t : tensors) out.push_back(t.detach().clone().requires_grad_());
  return out;
}

TEST(FusedAdam, MatchesTorchAdamOverSeveralSteps) {
  for (const double weight_decay : {0.0, 0.01}) {
    std::vector<torch::Tensor> reference = make_parameters(1);
    std::vector<torch::Tensor> fused = clones(reference);
    torch::optim::Adam adam(reference, torch::optim::AdamOptions(1e-2).betas({0.9, 0.999})
                                           .weight_decay(weight_decay));
    FusedAdam ours(fused, {}, FusedAdamOptions{1e-2, 0.9, 0.999, 1e-8, weight_decay});
    for (int step = 0; step < 5; ++step) {
      const auto grads = make_gradients(100 + step, reference);
      for (std::size_t i = 0; i < grads.size(); ++i) {
        reference[i].mutable_grad() = grads[i].clone();
        fused[i].mutable_grad() = grads[i].clone();
      }
      adam.step();
      ours.step();
    }
    EXPECT_LT(max_difference(reference, fused), 2e-6) << "weight decay " << weight_decay;
    // The update moved the weights by far more than the tolerance.
    EXPECT_GT(max_difference(reference, make_parameters(1)), 1e-2);
  }
}

TEST(FusedAdam, FusedKernelAndTensorOpsAgree) {
  std::vector<torch::Tensor> a = make_parameters(2);
  std::vector<torch::Tensor> b = clones(a);
  FusedAdam fused(a, {}, {});
  FusedAdam generic(b, {}, {});
  generic.force_generic_path(true);
  for (int step = 0; step < 3; ++step) {
    const auto grads = make_gradients(200 + step, a);
    for (std::size_t i = 0; i < grads.size(); ++i) {
      a[i].mutable_grad() = grads[i].clone();
      b[i].mutable_grad() = grads[i].clone();
    }
    EXPECT_NEAR(fused.gradient_norm(0.5), generic.gradient_norm(0.5), 1e-9);
    fused.step(0.5);
    generic.step(0.5);
  }
  EXPECT_LT(max_difference(a, b), 1e-6);
}

TEST(FusedAdam, GradientNormAndClipScaleFollowClipGradNorm) {
  std::vector<torch::Tensor> params = make_parameters(3);
  const auto grads = make_gradients(300, params);
  double expected = 0;
  for (std::size_t i = 0; i < grads.size(); ++i) {
    params[i].mutable_grad() = grads[i].clone();
    expected += grads[i].to(torch::kDouble).square().sum().item<double>();
  }
  expected = std::sqrt(expected);
  FusedAdam adam(params, {}, {});
  EXPECT_NEAR(adam.gradient_norm(), expected, 1e-9 * expected);
  EXPECT_NEAR(adam.gradient_norm(2.0), 2 * expected, 1e-9 * expected);
  std::vector<torch::Tensor> copies = clones(params);
  for (std::size_t i = 0; i < copies.size(); ++i) copies[i].mutable_grad() = grads[i].clone();
  const double torch_norm = torch::nn::utils::clip_grad_norm_(copies, 1.0);
  EXPECT_NEAR(torch_norm, expected, 1e-4 * expected);
  EXPECT_DOUBLE_EQ(clip_scale(expected, 1.0), 1.0 / (expected + 1e-6));
  EXPECT_DOUBLE_EQ(clip_scale(0.5, 1.0), 1.0);
  EXPECT_DOUBLE_EQ(clip_scale(50, 0), 1.0);
  // One non-finite element makes the norm non-finite, in the kernel and in the tensor ops.
  params[3].mutable_grad()[12345] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_FALSE(std::isfinite(adam.gradient_norm()));
  adam.force_generic_path(true);
  EXPECT_FALSE(std::isfinite(adam.gradient_norm()));
  params[3].mutable_grad()[12345] = std::numeric_limits<float>::infinity();
  adam.force_generic_path(false);
  EXPECT_FALSE(std::isfinite(adam.gradient_norm()));
}

TEST(FusedAdam, Bf16ComputeCopyFollowsTheMasterWeights) {
  std::vector<torch::Tensor> master = make_parameters(4);
  for (auto& m : master) m = m.detach();  // the master gets no gradient of its own
  std::vector<torch::Tensor> compute;
  for (const auto& m : master) compute.push_back(m.to(torch::kBFloat16).requires_grad_());
  std::vector<torch::Tensor> reference = clones(master);
  FusedAdam adam(master, compute, {});
  FusedAdam expected(reference, {}, {});
  EXPECT_TRUE(adam.gradient_tensors()[0].is_same(compute[0]));
  for (int step = 0; step < 3; ++step) {
    const auto grads = make_gradients(400 + step, master);
    for (std::size_t i = 0; i < grads.size(); ++i) {
      compute[i].mutable_grad() = grads[i].to(torch::kBFloat16);
      // The reference sees the same bf16-rounded gradient in fp32.
      reference[i].mutable_grad() = grads[i].to(torch::kBFloat16).to(torch::kFloat);
    }
    EXPECT_NEAR(adam.gradient_norm(), expected.gradient_norm(), 1e-6);
    adam.step();
    expected.step();
  }
  EXPECT_LT(max_difference(master, reference), 2e-6);
  for (std::size_t i = 0; i < master.size(); ++i) {
    // The copy is the master rounded to the nearest bf16.
    EXPECT_TRUE(torch::equal(compute[i].detach(), master[i].to(torch::kBFloat16))) << i;
  }
  adam.clear_gradients();
  for (const auto& c : compute) EXPECT_FALSE(c.grad().defined());
  // After the master changes behind its back, sync_compute() rewrites the copies.
  for (auto& m : master) m.detach().fill_(0.25);
  adam.sync_compute();
  for (const auto& c : compute) EXPECT_TRUE(torch::all(c.detach() == 0.25).item<bool>());
}

TEST(FusedAdam, ParametersWithoutGradientsAreLeftAlone) {
  std::vector<torch::Tensor> params = make_parameters(5);
  const torch::Tensor before = params[1].detach().clone();
  FusedAdam adam(params, {}, {});
  params[0].mutable_grad() = torch::ones_like(params[0]);
  adam.step();
  EXPECT_TRUE(torch::equal(params[1].detach(), before));
  TensorArchiveWriter archive;
  adam.save(archive, "adam");
  const std::string bytes = std::move(archive).finish();
  auto in = TensorArchive::parse(bytes, "test");
  ASSERT_TRUE(in);
  EXPECT_NE(in->find("adam.0.step"), nullptr);
  EXPECT_EQ(in->find("adam.1.step"), nullptr);
}

TEST(FusedAdam, SaveLoadContinuesBitExactly) {
  std::vector<torch::Tensor> a = make_parameters(6);
  FusedAdam first(a, {}, {});
  const auto grads0 = make_gradients(600, a);
  for (std::size_t i = 0; i < a.size(); ++i) a[i].mutable_grad() = grads0[i].clone();
  first.step();
  TensorArchiveWriter archive;
  first.save(archive, "adam");
  const std::string bytes = std::move(archive).finish();
  auto in = TensorArchive::parse(bytes, "test");
  ASSERT_TRUE(in);

  std::vector<torch::Tensor> b = clones(a);
  FusedAdam second(b, {}, {});
  ASSERT_TRUE(second.load(*in, "adam", "test"));
  const auto grads1 = make_gradients(601, a);
  for (std::size_t i = 0; i < a.size(); ++i) {
    a[i].mutable_grad() = grads1[i].clone();
    b[i].mutable_grad() = grads1[i].clone();
  }
  first.step();
  second.step();
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(torch::equal(a[i], b[i])) << i;

  // State of another shape is refused (one line naming it) and the optimizer keeps what it had.
  std::vector<torch::Tensor> other{torch::zeros({3}).requires_grad_()};
  FusedAdam wrong(other, {}, {});
  const Status refused = wrong.load(*in, "adam", "test");
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("does not fit"), std::string::npos) << refused.error().message;
}

TEST(FusedAdam, MismatchedComputeCopiesAreRejected) {
  std::vector<torch::Tensor> master = make_parameters(7);
  std::vector<torch::Tensor> compute{torch::zeros({1})};
  EXPECT_THROW(FusedAdam(master, compute, {}), std::invalid_argument);
  std::vector<torch::Tensor> half{torch::zeros({4}, torch::kBFloat16)};
  EXPECT_THROW(FusedAdam(half, {}, {}), std::invalid_argument);
}

}  // namespace
}  // namespace mirage::model
