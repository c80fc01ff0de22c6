#include "engine/model/step_benchmark.h"

#include <algorithm>

#include <gtest/gtest.h>

#include "engine/model/runtime.h"

namespace mirage::model {
namespace {

StepBenchmarkOptions tiny_run() {
  StepBenchmarkOptions options;
  options.batch = 2;
  options.image_size = 16;
  options.steps = 3;
  options.warmup = 1;
  options.device = "cpu";
  return options;
}

TEST(StepBenchmark, ReportsEveryTimedStep) {
  const Result<StepBenchmark> run = measure_train_step(tiny_run());
  ASSERT_TRUE(run) << run.error().message;
  ASSERT_EQ(run->step_ms.size(), 3U);
  EXPECT_EQ(run->device, "cpu");
  EXPECT_GT(run->parameters, 0);
  EXPECT_GT(run->min_ms, 0.0);
  EXPECT_LE(run->min_ms, run->median_ms);
  EXPECT_LE(run->median_ms, *std::max_element(run->step_ms.begin(), run->step_ms.end()));
  EXPECT_GT(run->samples_per_second, 0.0);
  EXPECT_GT(run->first_loss, 0.0F);
  EXPECT_LT(run->first_loss, 1.0F);
}

TEST(StepBenchmark, SameSeedSameLosses) {
  const Result<StepBenchmark> a = measure_train_step(tiny_run());
  const Result<StepBenchmark> b = measure_train_step(tiny_run());
  ASSERT_TRUE(a && b);
  EXPECT_FLOAT_EQ(a->first_loss, b->first_loss);
}

TEST(StepBenchmark, RunsChannelsLastAndWithoutOneDnn) {
  const bool onednn_before = runtime_info().onednn;
  StepBenchmarkOptions options = tiny_run();
  options.channels_last = true;
  EXPECT_TRUE(measure_train_step(options));
  options.channels_last = false;
  options.onednn = false;
  EXPECT_TRUE(measure_train_step(options));
  EXPECT_EQ(runtime_info().onednn, onednn_before);
}

TEST(StepBenchmark, RejectsBadOptions) {
  auto expect_error = [](StepBenchmarkOptions options, ErrorCode code) {
    const Result<StepBenchmark> run = measure_train_step(options);
    ASSERT_FALSE(run);
    EXPECT_EQ(run.error().code, code) << run.error().message;
  };
  StepBenchmarkOptions options = tiny_run();
  options.batch = 0;
  expect_error(options, ErrorCode::kInvalidArgument);
  options = tiny_run();
  options.steps = 0;
  expect_error(options, ErrorCode::kInvalidArgument);
  options = tiny_run();
  options.image_size = 60;
  expect_error(options, ErrorCode::kInvalidArgument);
  options = tiny_run();
  options.device = "bogus";
  expect_error(options, ErrorCode::kInvalidArgument);
  if (!runtime_info().cuda_available) {
    options.device = "cuda";
    expect_error(options, ErrorCode::kUnsupported);
  }
}

}  // namespace
}  // namespace mirage::model
