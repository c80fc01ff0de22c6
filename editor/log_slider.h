// A logarithmic slider's mapping, done by hand for ImGui::SliderFloat over the exponent.
// ImGui 1.86's ImGuiSliderFlags_Logarithmic clamps values below 10^-p, where p is the precision of
// the display format. "%.2e" counts as precision -1, so everything below 10 was clamped, and the
// studio's learning-rate slider sat at its left end whatever the rate, and a drag jumped to a bound.
//
//   float at = log_slider_position(lr, kLearningRates);
//   char shown[32];
//   std::snprintf(shown, sizeof shown, "%.2e", lr);   // the rate is the text; no '%' left in it
//   if (ImGui::SliderFloat("learning rate", &at, kLearningRates.low_exponent(), kLearningRates.high_exponent(),
//                          shown, ImGuiSliderFlags_NoInput)) lr = log_slider_value(at, kLearningRates);
#pragma once

#include <algorithm>
#include <cmath>

namespace mirage::studio {

struct LogRange {
  double low, high;  // both > 0, low < high
  float low_exponent() const { return static_cast<float>(std::log10(low)); }
  float high_exponent() const { return static_cast<float>(std::log10(high)); }
};

// The learning rates the studio's slider spans (lite starts at 3e-3).
inline constexpr LogRange kLearningRates{1e-6, 1e-2};

// The slider's position (log10 of the value), clamped to the range; a value <= 0 or NaN sits at
// the low end.
inline float log_slider_position(double value, const LogRange& range) {
  if (!(value > 0)) return range.low_exponent();
  return std::clamp(static_cast<float>(std::log10(value)), range.low_exponent(), range.high_exponent());
}

// The value at a slider position, clamped to the range.
inline double log_slider_value(float position, const LogRange& range) {
  return std::clamp(std::pow(10.0, static_cast<double>(position)), range.low, range.high);
}

}  // namespace mirage::studio
