#include "engine/train/random_warp.h"

#include <cmath>

#include <gtest/gtest.h>

#include "engine/train/data_pipeline.h"

namespace mirage::train {
namespace {

TEST(Umeyama, RecoversASimilarity) {
  const Affine truth{1.2 * std::cos(0.3), -1.2 * std::sin(0.3), 5.0, 1.2 * std::sin(0.3), 1.2 * std::cos(0.3), -7.0};
  std::vector<Point2> from, to;
  for (int i = 0; i < 6; ++i) {
    from.push_back({i * 3.0 + 1, i * i * 0.5});
    to.push_back(apply(truth, from.back()));
  }
  const Affine fit = umeyama(from, to);
  for (std::size_t k = 0; k < 6; ++k) EXPECT_NEAR(fit[k], truth[k], 1e-9);
  const Affine back = compose(invert(fit), fit);
  EXPECT_NEAR(back[0], 1.0, 1e-12);
  EXPECT_NEAR(back[2], 0.0, 1e-12);
}

TEST(RandomWarp, SigmaZeroIsTheIdentityOnTheRegion) {
  const WarpRegion region{48.0, 48.0, 160.0, 64};  // the recipe's 160 px centre of 256, at 64 px
  std::mt19937_64 rng(1);
  const WarpField field = random_warp(region, 0.0, rng);
  for (int y = 0; y < 64; y += 7) {
    for (int x = 0; x < 64; x += 5) {
      const auto k = static_cast<std::size_t>(y * 64 + x);
      EXPECT_NEAR(field.map_x[k], 48.0 + 2.5 * x, 1e-4);
      EXPECT_NEAR(field.map_y[k], 48.0 + 2.5 * y, 1e-4);
      const Point2 t = apply(field.target_to_source, {double(x), double(y)});
      EXPECT_NEAR(t.x, field.map_x[k], 1e-4);
      EXPECT_NEAR(t.y, field.map_y[k], 1e-4);
    }
  }
}

TEST(RandomWarp, ControlPointsLandOnTheLatticeAndTheTargetIsTheirSimilarity) {
  const WarpRegion region{48.0, 48.0, 160.0, 64};
  std::mt19937_64 rng(123);
  const WarpField field = random_warp(region, 5.0, rng);
  std::vector<Point2> lattice, points(field.points.begin(), field.points.end());
  double spread = 0;
  for (int i = 0; i < 5; ++i) {
    for (int j = 0; j < 5; ++j) {
      lattice.push_back({16.0 * j, 16.0 * i});
      const Point2& p = field.points[static_cast<std::size_t>(i * 5 + j)];
      spread += std::hypot(p.x - (48 + 40.0 * j), p.y - (48 + 40.0 * i));
      if (i < 4 && j < 4) {  // interior lattice points are exactly the control points
        const auto k = static_cast<std::size_t>(16 * i * 64 + 16 * j);
        EXPECT_NEAR(field.map_x[k], p.x, 1e-3);
        EXPECT_NEAR(field.map_y[k], p.y, 1e-3);
      }
    }
  }
  EXPECT_GT(spread / 25, 2.0);  // sigma 5 moves points by ~6 px on average
  EXPECT_LT(spread / 25, 12.0);
  const Affine expected = invert(umeyama(points, lattice));
  for (std::size_t k = 0; k < 6; ++k) EXPECT_NEAR(field.target_to_source[k], expected[k], 1e-9);
}

TEST(RandomWarp, FixedSeedsGiveFixedFields) {
  const WarpRegion region = model_region(64, 256, model::kFaceCrop);
  std::mt19937_64 a(9), b(9), c(10);
  const WarpField fa = random_warp(region, 3.0, a);
  const WarpField fb = random_warp(region, 3.0, b);
  const WarpField fc = random_warp(region, 3.0, c);
  EXPECT_EQ(fa.map_x, fb.map_x);
  EXPECT_EQ(fa.target_to_source, fb.target_to_source);
  EXPECT_NE(fa.map_x, fc.map_x);
}

TEST(RandomWarp, ModelRegionIsTheInferenceCrop) {
  const WarpRegion legacy = model_region(64, 256, model::kLegacyCrop);
  EXPECT_DOUBLE_EQ(legacy.side, 192.0);
  EXPECT_DOUBLE_EQ(legacy.x0, 33.0);  // centre of the first 3-px cell starting at 32
  EXPECT_DOUBLE_EQ(legacy.y0, 33.0);
  const WarpRegion face = model_region(64, 256, model::kFaceCrop);
  const auto m = model::model_to_aligned(64, 256, model::kFaceCrop);
  EXPECT_DOUBLE_EQ(face.side, 0.68 * 256);
  EXPECT_DOUBLE_EQ(face.x0, m[2]);
  EXPECT_DOUBLE_EQ(face.y0, m[5]);
  EXPECT_NEAR(face.y0 - face.x0, 0.055 * 256, 1e-9);  // the square sits lower, on the face
}

TEST(Augment, PlainCropsFollowTheModelsCrop) {
  // A face whose rows are numbered by their brightness: a crop further down sees brighter rows.
  FaceBank faces = synthetic_faces(1, 128, 3);
  TrainFace& face = faces[0];
  for (int y = 0; y < face.size; ++y) {
    for (int x = 0; x < face.size; ++x) {
      for (int c = 0; c < 3; ++c) face.rgb[(static_cast<std::size_t>(y) * face.size + x) * 3 + c] = static_cast<std::uint8_t>(2 * y);
    }
  }
  const IdentityBatch legacy = plain_batch(faces, 0, 1, 16, model::kLegacyCrop);
  const IdentityBatch lower = plain_batch(faces, 0, 1, 16, model::kFaceCrop);
  // Row 0's centre: aligned y = m[5] of each crop, value 2y / 255.
  const auto expect_row0 = [](const model::ModelCrop& crop) { return 2.0 * model::model_to_aligned(16, 128, crop)[5] / 255.0; };
  EXPECT_NEAR(legacy.target[0], expect_row0(model::kLegacyCrop), 1.0 / 255);
  EXPECT_NEAR(lower.target[0], expect_row0(model::kFaceCrop), 1.0 / 255);
  EXPECT_GT(lower.target[0], legacy.target[0] + 10.0 / 255);
}

TEST(Augment, WithoutAugmentationWarpedEqualsTarget) {
  const FaceBank faces = synthetic_faces(2, 64, 0);
  const IdentityBatch plain = plain_batch(faces, 0, 2, 16, model::kFaceCrop);
  EXPECT_EQ(plain.warped, plain.target);
  float hull = 0;
  for (const float v : plain.hull) hull += v;
  EXPECT_GT(hull, 16.0f);  // the head's hull is inside the crop
}

TEST(Augment, WarpMovesPixelsButKeepsTheTargetAligned) {
  const FaceBank faces = synthetic_faces(1, 128, 1);
  AugmentOptions warp_only;
  warp_only.rotation_deg = warp_only.scale = warp_only.shift = warp_only.flip = warp_only.lightness = warp_only.colour = 0.0;
  const TrainBatch batch = make_batch(faces, faces, warp_only, 1, 32, model::kFaceCrop, 5, 0);
  const IdentityBatch plain = plain_batch(faces, 0, 1, 32, model::kFaceCrop);
  double warped_diff = 0, target_diff = 0;
  for (std::size_t k = 0; k < plain.target.size(); ++k) {
    warped_diff += std::abs(batch.a.warped[k] - plain.target[k]);
    target_diff += std::abs(batch.a.target[k] - plain.target[k]);
  }
  EXPECT_GT(warped_diff, 0.0);
  // The target is a near-identity similarity of the plain crop: much closer than the warp.
  EXPECT_LT(target_diff, warped_diff);
}

TEST(ColourAugment, ZeroShiftRoundTripsThroughLab) {
  std::vector<float> rgb;
  for (int k = 0; k < 64; ++k) {
    rgb.push_back(static_cast<float>(k % 4) / 3.0f);
    rgb.push_back(static_cast<float>((k / 4) % 4) / 3.0f);
    rgb.push_back(static_cast<float>(k / 16) / 3.0f);
  }
  std::vector<float> out = rgb;
  shift_lab(out, {0.0, 0.0, 0.0});
  for (std::size_t k = 0; k < rgb.size(); ++k) EXPECT_NEAR(out[k], rgb[k], 2e-4) << k;
}

TEST(ColourAugment, LightnessAndColourAxesMoveAsLab) {
  // Mid grey: L* 53.39, a* = b* = 0. A lightness shift keeps it grey and moves L* a share of the
  // way to 100: 53.39 + 0.3 * 46.61 = 67.37, which is sRGB 0.6432 (CIE formulas).
  std::vector<float> grey{0.5f, 0.5f, 0.5f};
  shift_lab(grey, {0.3, 0.0, 0.0});
  EXPECT_NEAR(grey[0], 0.6432f, 1e-3);
  EXPECT_NEAR(grey[0], grey[1], 1e-4);
  EXPECT_NEAR(grey[1], grey[2], 1e-4);
  std::vector<float> black{0.3f, 0.3f, 0.3f};
  shift_lab(black, {-1.0, 0.0, 0.0});
  for (const float v : black) EXPECT_NEAR(v, 0.0f, 1e-3);
  // +a* is towards red/magenta, -b* towards blue.
  std::vector<float> red{0.5f, 0.5f, 0.5f};
  shift_lab(red, {0.0, 0.08, 0.0});
  EXPECT_GT(red[0], 0.5f + 0.02f);
  EXPECT_LT(red[1], 0.5f - 0.02f);
  std::vector<float> blue{0.5f, 0.5f, 0.5f};
  shift_lab(blue, {0.0, 0.0, -0.08});
  EXPECT_GT(blue[2], 0.5f + 0.02f);
  EXPECT_LT(blue[0], blue[2]);
}

TEST(ColourAugment, InputAndTargetChangeAlike) {
  const FaceBank faces = synthetic_faces(1, 64, 0);
  AugmentOptions colour_only;
  colour_only.warp = false;
  colour_only.rotation_deg = colour_only.scale = colour_only.shift = colour_only.flip = 0.0;
  const TrainBatch batch = make_batch(faces, faces, colour_only, 1, 16, model::kFaceCrop, 9, 0);
  const IdentityBatch plain = plain_batch(faces, 0, 1, 16, model::kFaceCrop);
  EXPECT_EQ(batch.a.warped, batch.a.target);
  double change = 0;
  for (std::size_t k = 0; k < plain.target.size(); ++k) change += std::abs(batch.a.target[k] - plain.target[k]);
  EXPECT_GT(change / static_cast<double>(plain.target.size()), 0.002);
}

// Shares of 8000 picks: of faces with index >= `rare_from`, and of mirrored picks.
std::pair<double, double> pick_shares(const FaceBank& bank, const AugmentOptions& options, std::size_t rare_from) {
  const FaceSampler sample(bank, options);
  std::mt19937_64 rng(7);
  int rare = 0, flipped = 0;
  constexpr int kPicks = 8000;
  for (int n = 0; n < kPicks; ++n) {
    const FaceSampler::Pick p = sample(rng);
    EXPECT_LT(p.face, bank.size());
    rare += p.face >= rare_from ? 1 : 0;
    flipped += p.flip ? 1 : 0;
  }
  return {static_cast<double>(rare) / kPicks, static_cast<double>(flipped) / kPicks};
}

TEST(PoseBalance, DrawsHeadTurnsEvenlyWithTheMirrorImagesAsPoses) {
  // 90 faces turned one way (0.5) and 10 turned less, the other way (-0.3): with their mirror
  // images, four bins (0.5, -0.5, -0.3, 0.3), each drawn a quarter of the time.
  FaceBank bank = synthetic_faces(100, 16, 0);
  for (std::size_t i = 0; i < bank.size(); ++i) bank[i].yaw = i < 90 ? 0.5f : -0.3f;
  AugmentOptions options;
  ASSERT_TRUE(options.balance_pose);  // the default
  const auto [rare, flipped] = pick_shares(bank, options, 90);
  EXPECT_NEAR(rare, 0.5, 0.03);
  EXPECT_NEAR(flipped, 0.5, 0.03);

  options.flip = 0;  // no mirror images: two bins
  const auto [rare_unflipped, never] = pick_shares(bank, options, 90);
  EXPECT_NEAR(rare_unflipped, 0.5, 0.03);
  EXPECT_EQ(never, 0.0);

  options.flip = 0.4;
  options.balance_pose = false;  // faces evenly, flipped with probability `flip`
  const auto [rare_plain, flipped_plain] = pick_shares(bank, options, 90);
  EXPECT_NEAR(rare_plain, 0.1, 0.02);
  EXPECT_NEAR(flipped_plain, 0.4, 0.03);
}

TEST(PoseBalance, FacesOfOneTurnAreDrawnEvenly) {
  FaceBank bank = synthetic_faces(4, 16, 0);  // all frontal (yaw 0): one bin
  AugmentOptions options;
  options.flip = 0;
  const FaceSampler sample(bank, options);
  std::mt19937_64 rng(3);
  std::array<int, 4> counts{};
  for (int n = 0; n < 4000; ++n) ++counts[sample(rng).face];
  for (const int c : counts) EXPECT_NEAR(c, 1000, 120);
}

TEST(Augment, AMirroredPickIsTheMirrorImage) {
  // The same face, plain and mirrored, through augment_face without other augmentation.
  FaceBank faces = synthetic_faces(1, 64, 2);
  for (int y = 0; y < 64; ++y) {  // a bright band on the left: the face is not symmetric
    for (int x = 10; x < 26; ++x) faces[0].rgb[(static_cast<std::size_t>(y) * 64 + x) * 3] = 255;
  }
  AugmentOptions none;
  none.warp = false;
  none.rotation_deg = none.scale = none.shift = none.lightness = none.colour = 0.0;
  IdentityBatch out;
  const int r = 16;
  for (auto* v : {&out.warped, &out.target}) v->resize(2 * r * r * 3);
  for (auto* v : {&out.hull, &out.eyes, &out.mouth}) v->resize(2 * r * r);
  std::mt19937_64 rng(1);
  augment_face(faces[0], none, false, r, model::kFaceCrop, rng, out, 0);
  augment_face(faces[0], none, true, r, model::kFaceCrop, rng, out, 1);
  // The crop is centred on the aligned face: mirrored, pixel (x, y) is pixel (r - 1 - x, y).
  double diff = 0, mirrored = 0;
  for (int y = 0; y < r; ++y) {
    for (int x = 0; x < r; ++x) {
      for (int c = 0; c < 3; ++c) {
        const float plain = out.target[(static_cast<std::size_t>(y) * r + x) * 3 + c];
        const float flip = out.target[(static_cast<std::size_t>(r * r) + static_cast<std::size_t>(y) * r + (r - 1 - x)) * 3 + c];
        const float same = out.target[(static_cast<std::size_t>(r * r) + static_cast<std::size_t>(y) * r + x) * 3 + c];
        mirrored += std::abs(plain - flip);
        diff += std::abs(plain - same);
      }
    }
  }
  EXPECT_LT(mirrored, 0.05 * diff);
}

TEST(Pipeline, BatchesDependOnlyOnSeedAndIndex) {
  auto a = std::make_shared<const FaceBank>(synthetic_faces(6, 64, 0));
  auto b = std::make_shared<const FaceBank>(synthetic_faces(6, 64, 1));
  PipelineOptions options;
  options.batch = 2;
  options.resolution = 16;
  options.seed = 3;
  options.threads = 1;
  BatchPrefetcher one(a, b, options, 5);
  options.threads = 3;
  BatchPrefetcher three(a, b, options, 5);
  for (int k = 0; k < 5; ++k) {
    const auto x = one.next();
    const auto y = three.next();
    ASSERT_TRUE(x && y);
    EXPECT_EQ(x->index, 5 + k);
    EXPECT_EQ(y->index, 5 + k);
    EXPECT_EQ(x->a.warped, y->a.warped);
    EXPECT_EQ(x->b.target, y->b.target);
  }
}

}  // namespace
}  // namespace mirage::train
