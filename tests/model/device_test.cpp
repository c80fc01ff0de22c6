#include "engine/model/device.h"

#include <string>

#include <gtest/gtest.h>
#include <torch/cuda.h>

namespace mirage::model {
namespace {

TEST(SelectDevice, Cpu) {
  const Result<c10::Device> device = select_device("cpu");
  ASSERT_TRUE(device);
  EXPECT_TRUE(device->is_cpu());
}

TEST(SelectDevice, AutoPicksCudaOnlyWhenUsable) {
  const Result<c10::Device> device = select_device("auto");
  ASSERT_TRUE(device);
  EXPECT_EQ(device->is_cuda(), torch::cuda::is_available());
}

TEST(SelectDevice, CudaWithoutCudaIsUnsupported) {
  if (torch::cuda::is_available()) GTEST_SKIP() << "this machine has CUDA";
  for (const char* name : {"cuda", "cuda:0", "cuda:1"}) {
    const Result<c10::Device> device = select_device(name);
    ASSERT_FALSE(device) << name;
    EXPECT_EQ(device.error().code, ErrorCode::kUnsupported);
    EXPECT_NE(device.error().message.find(name), std::string::npos);
    EXPECT_EQ(device.error().message.find('\n'), std::string::npos);
  }
}

TEST(SelectDevice, CudaOrdinalPastTheLastDeviceIsNotFound) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const Result<c10::Device> first = select_device("cuda");
  ASSERT_TRUE(first);
  EXPECT_TRUE(first->is_cuda());
  EXPECT_EQ(first->index(), 0);
  const Result<c10::Device> missing = select_device("cuda:999");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
}

TEST(SelectDevice, RejectsUnknownNames) {
  for (const char* name : {"bogus", "", "CPU", "gpu", "cuda:", "cuda:x", "cuda:-1", "cuda:0x"}) {
    const Result<c10::Device> device = select_device(name);
    ASSERT_FALSE(device) << name;
    EXPECT_EQ(device.error().code, ErrorCode::kInvalidArgument) << name;
    EXPECT_EQ(device.error().message.find('\n'), std::string::npos);
  }
}

}  // namespace
}  // namespace mirage::model
