#include "engine/core/format.h"

#include <gtest/gtest.h>

#include "engine/core/error.h"

namespace mirage {
namespace {

TEST(Format, ReplacesPlaceholdersInOrder) {
  EXPECT_EQ(format("{} faces in {} frames", 3, "270"), "3 faces in 270 frames");
}

TEST(Format, FixedPrecision) { EXPECT_EQ(format("{:.2f} ms", 1.23456), "1.23 ms"); }

TEST(Format, EscapedBracesAndMissingArguments) {
  EXPECT_EQ(format("{{}} {} {}", 1), "{} 1 {?}");
  EXPECT_EQ(format("no placeholders", 1, 2), "no placeholders");
}

TEST(Error, FailCarriesCodeAndFormattedMessage) {
  const Result<int> result = fail(ErrorCode::kNotFound, "no such file: {}", "a.png");
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(result.error().to_string(), "no such file: a.png");
  EXPECT_EQ(result.error().with_context("loading").message, "loading: no such file: a.png");
}

}  // namespace
}  // namespace mirage
