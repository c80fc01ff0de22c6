// The studio's learning-rate slider mapping (editor/log_slider.h): rates land at distinct
// positions along the slider and come back from them.
#include "editor/log_slider.h"

#include <gtest/gtest.h>

namespace mirage::studio {
namespace {

TEST(LogSlider, EveryRateInTheRangeHasItsOwnPositionAndComesBack) {
  // ImGui's logarithmic flag put all of these at the left end (the bug this mapping replaces).
  const double rates[] = {1e-6, 3e-4, 1e-3, 2e-3, 3e-3, 1e-2};
  float previous = -100;
  for (const double rate : rates) {
    const float at = log_slider_position(rate, kLearningRates);
    EXPECT_GT(at, previous) << rate;
    previous = at;
    EXPECT_NEAR(log_slider_value(at, kLearningRates), rate, rate * 1e-5) << rate;
  }
  EXPECT_FLOAT_EQ(log_slider_position(1e-3, kLearningRates), -3.0f);
  // lite's 3e-3 sits at 87 % of the slider, not at an end.
  const float share = (log_slider_position(3e-3, kLearningRates) - kLearningRates.low_exponent()) /
                      (kLearningRates.high_exponent() - kLearningRates.low_exponent());
  EXPECT_NEAR(share, 0.869, 0.001);
}

TEST(LogSlider, ValuesOutsideTheRangeAndNonsenseAreClamped) {
  EXPECT_FLOAT_EQ(log_slider_position(0.5, kLearningRates), kLearningRates.high_exponent());
  EXPECT_FLOAT_EQ(log_slider_position(1e-9, kLearningRates), kLearningRates.low_exponent());
  EXPECT_FLOAT_EQ(log_slider_position(0, kLearningRates), kLearningRates.low_exponent());
  EXPECT_FLOAT_EQ(log_slider_position(-1, kLearningRates), kLearningRates.low_exponent());
  EXPECT_FLOAT_EQ(log_slider_position(std::nan(""), kLearningRates), kLearningRates.low_exponent());
  EXPECT_DOUBLE_EQ(log_slider_value(3.0f, kLearningRates), kLearningRates.high);
  EXPECT_DOUBLE_EQ(log_slider_value(-20.0f, kLearningRates), kLearningRates.low);
}

}  // namespace
}  // namespace mirage::studio
