#include "engine/core/composite_options.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <string>

namespace mirage {
namespace {

TEST(CompositeOptions, TheStructsDefaultsAreTheTablesDefaults) {
  const CompositeOptions defaults;
  std::set<std::string_view> keys;
  for (const CompositeParam& p : composite_params()) {
    EXPECT_EQ(defaults.*p.field, p.default_value) << p.key;
    EXPECT_LE(p.min_value, p.default_value) << p.key;
    EXPECT_GE(p.max_value, p.default_value) << p.key;
    EXPECT_TRUE(keys.insert(p.key).second) << "duplicate key " << p.key;
    EXPECT_EQ(find_composite_param(p.key), &p);
  }
  EXPECT_EQ(keys.size(), 16u) << "every numeric option is in the table";
  EXPECT_EQ(find_composite_param("no-such-option"), nullptr);
  EXPECT_TRUE(validate(defaults));
}

TEST(CompositeOptions, ValidateNamesTheFirstOptionOutOfRange) {
  for (const CompositeParam& p : composite_params()) {
    for (const double bad : {p.min_value - 1, p.max_value + 1, std::nan(""), double{INFINITY}}) {
      CompositeOptions o;
      o.*p.field = bad;
      const Status s = validate(o);
      ASSERT_FALSE(s) << p.key << " = " << bad;
      EXPECT_EQ(s.error().message.rfind(std::string(p.key) + " must be in", 0), 0u) << s.error().message;
    }
    CompositeOptions edge;
    edge.*p.field = p.max_value;
    EXPECT_TRUE(validate(edge)) << p.key;
  }
}

TEST(CompositeOptions, ChoicesRoundTrip) {
  for (const auto mode : {ColourTransfer::kNone, ColourTransfer::kRct, ColourTransfer::kMean, ColourTransfer::kHistogram}) {
    EXPECT_EQ(*parse_colour_transfer(to_string(mode)), mode);
  }
  EXPECT_EQ(colour_choice().choices.size(), 4u);
  EXPECT_EQ(*parse_blend_mode("seamless"), BlendMode::kSeamless);
  EXPECT_FALSE(parse_colour_transfer("lab"));
  EXPECT_FALSE(parse_blend_mode(""));
}

TEST(CompositeGeometry, PlacementScalesAboutTheCentreAndBoundsClipToTheFrame) {
  CompositeOptions o;
  o.face_scale = 0.5;
  o.offset_x = 0.25;
  const Affine2x3 m = placed_face_to_frame({2, 0, 100, 0, 2, 50}, 64, o);
  const double c = 31.5;
  EXPECT_NEAR(m[0] * c + m[2], 2 * (c + 16) + 100, 1e-9);
  EXPECT_NEAR(m[4] * c + m[5], 2 * c + 50, 1e-9);
  const PixelRect inside = warped_bounds({1, 0, 10, 0, 1, 20}, 16, 100, 100);
  EXPECT_EQ(inside.x, 9);   // corner -0.5 + 10, floored
  EXPECT_EQ(inside.y, 19);
  EXPECT_EQ(inside.width, 18);  // ceil(25.5) + 1 - 9
  const PixelRect clipped = warped_bounds({1, 0, 90, 0, 1, -5}, 16, 100, 100);
  EXPECT_EQ(clipped.x + clipped.width, 100);
  EXPECT_EQ(clipped.y, 0);
  EXPECT_TRUE(warped_bounds({1, 0, 500, 0, 1, 0}, 16, 100, 100).empty());
  EXPECT_TRUE(warped_bounds({1, 0, 1e300, 0, 1, 0}, 16, 100, 100).empty());
  EXPECT_TRUE(warped_bounds({1, 0, std::nan(""), 0, 1, 0}, 16, 100, 100).empty());
}

}  // namespace
}  // namespace mirage
