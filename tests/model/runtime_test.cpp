#include "engine/model/runtime.h"

#include <cstdlib>
#include <optional>
#include <string>

#include <gtest/gtest.h>

namespace mirage::model {
namespace {

// Sets (or clears, with nullptr) MIRAGE_THREADS for one test; restores the old value after.
class ScopedThreadsVariable {
 public:
  explicit ScopedThreadsVariable(const char* value) {
    if (const char* old = std::getenv(kName)) previous_ = old;
    if (value != nullptr) {
      setenv(kName, value, 1);
    } else {
      unsetenv(kName);
    }
  }
  ~ScopedThreadsVariable() {
    if (previous_) {
      setenv(kName, previous_->c_str(), 1);
    } else {
      unsetenv(kName);
    }
  }
  ScopedThreadsVariable(const ScopedThreadsVariable&) = delete;
  ScopedThreadsVariable& operator=(const ScopedThreadsVariable&) = delete;

 private:
  static constexpr const char* kName = "MIRAGE_THREADS";
  std::optional<std::string> previous_;
};

TEST(ConfigureRuntime, SetsTheThreadCount) {
  const ScopedThreadsVariable unset(nullptr);
  ASSERT_TRUE(configure_runtime(1));
  EXPECT_EQ(runtime_info().intra_threads, 1);
  ASSERT_TRUE(configure_runtime(2));
  EXPECT_EQ(runtime_info().intra_threads, 2);
  ASSERT_TRUE(configure_runtime());
  EXPECT_EQ(runtime_info().intra_threads, available_cores());
  EXPECT_EQ(runtime_info().interop_threads, 1);
}

TEST(ConfigureRuntime, MirageThreadsSetsTheDefaultAndAnExplicitCountWins) {
  const ScopedThreadsVariable one("1");
  ASSERT_TRUE(configure_runtime());
  EXPECT_EQ(runtime_info().intra_threads, 1);
  ASSERT_TRUE(configure_runtime(2));
  EXPECT_EQ(runtime_info().intra_threads, 2);
  const ScopedThreadsVariable zero("0");
  ASSERT_TRUE(configure_runtime());
  EXPECT_EQ(runtime_info().intra_threads, available_cores());
}

TEST(ConfigureRuntime, RejectsBadMirageThreads) {
  for (const char* value : {"abc", "-1", "2x", " 2", "1.5", "99999"}) {
    const ScopedThreadsVariable bad(value);
    const Status status = configure_runtime();
    ASSERT_FALSE(status) << value;
    EXPECT_EQ(status.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(status.error().message.find("MIRAGE_THREADS"), std::string::npos);
    EXPECT_EQ(status.error().message.find('\n'), std::string::npos);
  }
}

TEST(ConfigureRuntime, RejectsBadCounts) {
  const ScopedThreadsVariable unset(nullptr);
  for (const int threads : {-1, kMaxThreads + 1}) {
    const Status status = configure_runtime(threads);
    ASSERT_FALSE(status) << threads;
    EXPECT_EQ(status.error().code, ErrorCode::kInvalidArgument);
  }
}

TEST(RuntimeInfo, DescribesTheProcess) {
  const ScopedThreadsVariable unset(nullptr);
  ASSERT_TRUE(configure_runtime(1));
  const RuntimeInfo info = runtime_info();
  ASSERT_FALSE(info.torch_version.empty());
  EXPECT_TRUE(info.torch_version.front() >= '0' && info.torch_version.front() <= '9');
  EXPECT_GE(info.cores, 1);
  if (info.blas == BlasKind::kOpenBlas || info.blas == BlasKind::kReference) {
    EXPECT_FALSE(info.blas_library.empty());
    EXPECT_FALSE(info.blas_mapped.empty());
  }
  EXPECT_EQ(info.cuda_available, !info.cuda_devices.empty());
  if (info.cores > 1) {
    EXPECT_NE(info.warning.find("1 thread"), std::string::npos);
  }

  const std::string text = describe(info);
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  std::size_t line_start = 0;
  while (line_start < text.size()) {
    const std::size_t line_end = text.find('\n', line_start);
    const std::string line = text.substr(line_start, line_end - line_start);
    EXPECT_TRUE(line.starts_with("  ")) << line;
    EXPECT_NE(line.find(": "), std::string::npos) << line;
    line_start = line_end + 1;
  }
  EXPECT_NE(text.find("  torch: " + info.torch_version), std::string::npos);
  ASSERT_TRUE(configure_runtime());
}

TEST(RuntimeInfo, WarnsAboutTheReferenceBlasOnly) {
  RuntimeInfo info = runtime_info();
  if (info.blas == BlasKind::kReference) {
    EXPECT_NE(info.warning.find("reference BLAS"), std::string::npos);
  } else {
    EXPECT_EQ(info.warning.find("reference BLAS"), std::string::npos);
  }
}

}  // namespace
}  // namespace mirage::model
