// One headless Context shared by the tests of render_gpu_tests (validation on, see
// gpu_test_main.cpp); every test ends by checking that validation reported no error.
#pragma once

#include <gtest/gtest.h>

#include <memory>

#include "engine/render/context.h"

namespace mirage::render {

class GpuTest : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (context_) return;
    auto created = Context::create({.app_name = "mirage-tests"});
    ASSERT_TRUE(created) << created.error().to_string();
    context_ = std::move(*created);
  }
  static void TearDownTestSuite() { context_.reset(); }

  void TearDown() override {
    ASSERT_TRUE(context_);
    context_->collect();
    EXPECT_EQ(context_->validation_error_count(), 0u) << "see the [error] vulkan: lines above";
  }

  static Context& context() { return *context_; }

 private:
  static inline std::unique_ptr<Context> context_;
};

}  // namespace mirage::render
