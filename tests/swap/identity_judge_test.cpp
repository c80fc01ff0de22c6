// The face-recognition judge: the TensorFlow.js weights reader, face-api's crop, and the C++ port
// of face-api's descriptor network against face-api's own output (tests/swap/data/
// faceapi_descriptors.json, made by tools/faceapi_reference/make_fixture.sh with TensorFlow.js's
// WASM backend). The port checks need data/face-api and data/Megamind.avi (tools/setup).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "engine/core/config.h"
#include "engine/face/align.h"
#include "engine/media/frame_source.h"
#include "engine/model/face_descriptor.h"
#include "engine/model/tfjs_weights.h"
#include "engine/swap/face_pixels.h"
#include "engine/swap/identity_judge.h"
#include "engine/swap/swapper.h"
#include "tests/core/temp_dir.h"
#include "tests/support/sample_data.h"

namespace mirage::swap {
namespace {

namespace fs = std::filesystem;

fs::path real_manifest() {
  return mirage::test::source_dir() / "data" / "face-api" / "face_recognition_model-weights_manifest.json";
}

void write(const fs::path& path, const std::string& bytes) { std::ofstream(path, std::ios::binary) << bytes; }

// A two-tensor manifest: "q" uint8-quantised {2, 3} (scale 0.5, min -1) and "f" float32 {2}.
void write_small_model(const fs::path& dir, std::size_t drop_bytes = 0, const std::string& extra = "") {
  write(dir / "m.json", R"([{"paths": ["m.bin"], "weights": [
      {"name": "q", "shape": [2, 3], "dtype": "float32", "quantization": {"dtype": "uint8", "scale": 0.5, "min": -1}},
      {"name": "f", "shape": [2], "dtype": "float32"}]}])");
  std::string bytes = {0, 1, 2, 3, 4, static_cast<char>(255)};
  const float f[2] = {1.25f, -3.5f};
  bytes.append(reinterpret_cast<const char*>(f), sizeof f);
  bytes.resize(bytes.size() - drop_bytes);
  write(dir / "m.bin", bytes + extra);
}

TEST(TfjsWeights, ReadsQuantisedAndPlainTensorsInManifestOrder) {
  TempDir dir;
  write_small_model(dir.path());
  auto weights = model::load_tfjs_weights(dir.path() / "m.json");
  ASSERT_TRUE(weights) << weights.error().message;
  ASSERT_EQ(weights->size(), 2u);
  const model::TfjsTensor* q = model::find_tensor(*weights, "q");
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(q->shape, (std::vector<std::int64_t>{2, 3}));
  EXPECT_EQ(q->values, (std::vector<float>{-1.f, -0.5f, 0.f, 0.5f, 1.f, 126.5f}));
  EXPECT_EQ(model::find_tensor(*weights, "f")->values, (std::vector<float>{1.25f, -3.5f}));
  EXPECT_EQ(model::find_tensor(*weights, "missing"), nullptr);
}

TEST(TfjsWeights, RefusesATruncatedBinaryWithOneLine) {
  TempDir dir;
  write_small_model(dir.path(), 3);
  auto weights = model::load_tfjs_weights(dir.path() / "m.json");
  ASSERT_FALSE(weights);
  EXPECT_EQ(weights.error().code, ErrorCode::kCorrupt);
  EXPECT_NE(weights.error().message.find("truncated"), std::string::npos) << weights.error().message;
  EXPECT_NE(weights.error().message.find("m.bin"), std::string::npos);
  EXPECT_EQ(weights.error().message.find('\n'), std::string::npos);
}

TEST(TfjsWeights, RefusesShapesThatDisagreeWithTheBinary) {
  TempDir dir;
  write_small_model(dir.path(), 0, "more");  // the binary is longer than the manifest says
  auto longer = model::load_tfjs_weights(dir.path() / "m.json");
  ASSERT_FALSE(longer);
  EXPECT_EQ(longer.error().code, ErrorCode::kCorrupt);
  EXPECT_NE(longer.error().message.find("shapes disagree with the binary"), std::string::npos) << longer.error().message;

  write_small_model(dir.path());
  write(dir.path() / "m.json", R"([{"paths": ["m.bin"], "weights": [
      {"name": "q", "shape": [3, 3], "dtype": "float32", "quantization": {"dtype": "uint8", "scale": 0.5, "min": -1}}]}])");
  auto wider = model::load_tfjs_weights(dir.path() / "m.json");
  ASSERT_FALSE(wider);
  EXPECT_NE(wider.error().message.find("shapes disagree with the binary"), std::string::npos) << wider.error().message;
}

TEST(TfjsWeights, RefusesForeignAndMissingFiles) {
  TempDir dir;
  write(dir.path() / "faceset.json", R"({"format": "mirage.faceset", "version": 1, "faces": []})");
  auto object = model::load_tfjs_weights(dir.path() / "faceset.json");
  ASSERT_FALSE(object);
  EXPECT_EQ(object.error().code, ErrorCode::kCorrupt);
  EXPECT_NE(object.error().message.find("not a TensorFlow.js weights manifest"), std::string::npos);

  write(dir.path() / "image.png", std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16));
  auto binary = model::load_tfjs_weights(dir.path() / "image.png");
  ASSERT_FALSE(binary);
  EXPECT_EQ(binary.error().code, ErrorCode::kCorrupt);
  EXPECT_NE(binary.error().message.find("not a TensorFlow.js weights manifest"), std::string::npos);
  EXPECT_EQ(binary.error().message.find('\n'), std::string::npos);

  write(dir.path() / "other.json", R"([{"paths": ["x.bin"], "weights": [{"name": "x", "shape": [1], "dtype": "string"}]}])");
  write(dir.path() / "x.bin", "1234");
  EXPECT_EQ(model::load_tfjs_weights(dir.path() / "other.json").error().code, ErrorCode::kUnsupported);

  EXPECT_EQ(model::load_tfjs_weights(dir.path() / "none.json").error().code, ErrorCode::kNotFound);
  write_small_model(dir.path());
  fs::remove(dir.path() / "m.bin");
  auto no_shard = model::load_tfjs_weights(dir.path() / "m.json");
  ASSERT_FALSE(no_shard);
  EXPECT_EQ(no_shard.error().code, ErrorCode::kNotFound);
  EXPECT_NE(no_shard.error().message.find("m.bin"), std::string::npos);
}

TEST(FaceDescriptorNet, AnotherModelOrAMissingFileNamesTheSetupCommand) {
  TempDir dir;
  write_small_model(dir.path());
  auto other = model::FaceDescriptorNet::load(dir.path() / "m.json");
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code, ErrorCode::kCorrupt);
  EXPECT_NE(other.error().message.find("tools/setup"), std::string::npos) << other.error().message;
  auto missing = model::FaceDescriptorNet::load(dir.path() / "face_recognition_model-weights_manifest.json");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_NE(missing.error().message.find("tools/setup"), std::string::npos) << missing.error().message;
}

TEST(FaceDescriptorNet, ATruncatedRealModelIsRefused) {
  if (!fs::exists(real_manifest())) GTEST_SKIP() << "needs data/face-api (tools/setup)";
  TempDir dir;
  fs::copy_file(real_manifest(), dir.path() / real_manifest().filename());
  std::ifstream in(real_manifest().parent_path() / "face_recognition_model.bin", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  bytes.resize(bytes.size() / 2);
  write(dir.path() / "face_recognition_model.bin", bytes);
  auto net = model::FaceDescriptorNet::load(dir.path() / real_manifest().filename());
  ASSERT_FALSE(net);
  EXPECT_EQ(net.error().code, ErrorCode::kCorrupt);
  EXPECT_NE(net.error().message.find("truncated"), std::string::npos) << net.error().message;
  EXPECT_NE(net.error().message.find("tools/setup"), std::string::npos);
}

TEST(DescriptorInput, PadsTheShortSideAndResizesByTensorFlowsRule) {
  // A 2 x 1 (w x h) box of a 3 x 1 image: padded to 2 x 2 with the black row after it
  // (round(1 / 2) = 1 after, 0 before), then resized to 4 x 4: source = destination * 2 / 4.
  cv::Mat image(1, 3, CV_8UC3);
  image.at<cv::Vec3b>(0, 0) = {9, 9, 9};
  image.at<cv::Vec3b>(0, 1) = {30, 20, 10};  // BGR
  image.at<cv::Vec3b>(0, 2) = {70, 60, 50};
  std::vector<float> out(4 * 4 * 3);
  write_descriptor_input(image, {1, 0, 2, 1}, 4, out);
  auto red = [&](int x, int y) { return out[(y * 4 + x) * 3 + 0]; };
  EXPECT_FLOAT_EQ(red(0, 0), 10.f);
  EXPECT_FLOAT_EQ(red(1, 0), 30.f);  // half-way between 10 and 50
  EXPECT_FLOAT_EQ(red(2, 0), 50.f);
  EXPECT_FLOAT_EQ(red(3, 0), 50.f);  // the next pixel is clamped at the edge
  EXPECT_FLOAT_EQ(red(0, 1), 5.f);   // half-way to the black padding row
  EXPECT_FLOAT_EQ(red(0, 2), 0.f);
  EXPECT_FLOAT_EQ(out[(0 * 4 + 1) * 3 + 2], 50.f);  // blue of (1, 0): (30 + 70) / 2
}

struct FixtureFace {
  std::string name, space;
  std::int64_t frame = 0;
  face::Landmarks frame_landmarks{};
  cv::Rect box;
  model::FaceDescriptor descriptor{};
};

std::vector<FixtureFace> load_fixture() {
  auto json = load_json(mirage::test::source_dir() / "tests" / "swap" / "data" / "faceapi_descriptors.json");
  EXPECT_TRUE(json) << json.error().message;
  std::vector<FixtureFace> faces;
  if (!json) return faces;
  for (const Json& f : (*json)["faces"]) {
    FixtureFace face;
    face.name = f["name"];
    face.space = f["space"];
    face.frame = f["frame"];
    for (int i = 0; i < face::kLandmarkCount; ++i) {
      face.frame_landmarks[i] = {f["frame_landmarks"][i][0].get<float>(), f["frame_landmarks"][i][1].get<float>()};
    }
    face.box = {f["box"][0], f["box"][1], f["box"][2], f["box"][3]};
    for (int i = 0; i < model::kFaceDescriptorSize; ++i) face.descriptor[i] = f["descriptor"][i];
    faces.push_back(face);
  }
  return faces;
}

constexpr face::AlignOptions kJudgeCrop{.size = kAlignedSide, .coverage = kAlignedCoverage};

TEST(IdentityJudge, FaceApisBoxesAreReproducedToThePixel) {
  const std::vector<FixtureFace> faces = load_fixture();
  ASSERT_GE(faces.size(), 8u);
  for (const FixtureFace& f : faces) {
    if (f.space == "frame") {
      EXPECT_EQ(faceapi_box(f.frame_landmarks, {720, 528}), f.box) << f.name;
    } else {
      const face::Landmarks in_crop = face::map_points(face::frame_to_face_matrix(f.frame_landmarks, kJudgeCrop), f.frame_landmarks);
      EXPECT_EQ(faceapi_box(in_crop, {kAlignedSide, kAlignedSide}), f.box) << f.name;
    }
  }
}

TEST(IdentityJudge, DescriptorsEqualFaceApisOwnWithin1e3) {
  if (!fs::exists(real_manifest())) GTEST_SKIP() << "needs data/face-api (tools/setup)";
  if (!fs::exists(mirage::test::megamind_clip())) GTEST_SKIP() << "needs data/Megamind.avi (tools/setup)";
  const std::vector<FixtureFace> faces = load_fixture();
  auto judge = IdentityJudge::load(real_manifest());
  ASSERT_TRUE(judge) << judge.error().message;
  std::map<std::int64_t, cv::Mat> frames;
  for (const FixtureFace& f : faces) frames[f.frame];
  auto source = media::FrameSource::open(mirage::test::megamind_clip());
  ASSERT_TRUE(source);
  for (std::int64_t i = 0; i <= frames.rbegin()->first; ++i) {
    auto frame = source->next();
    ASSERT_TRUE(frame && *frame);
    if (frames.contains(i)) frames[i] = (*frame)->image.clone();
  }
  std::vector<float> inputs(faces.size() * IdentityJudge::kInputFloats);
  for (std::size_t i = 0; i < faces.size(); ++i) {
    const FixtureFace& f = faces[i];
    const std::span<float> slot = std::span(inputs).subspan(i * IdentityJudge::kInputFloats, IdentityJudge::kInputFloats);
    if (f.space == "frame") {
      ASSERT_TRUE(judge->write_input(frames[f.frame], f.frame_landmarks, slot));
    } else {
      const face::AlignedFace aligned = face::align_face(frames[f.frame], f.frame_landmarks, kJudgeCrop);
      ASSERT_TRUE(judge->write_input(aligned.image, aligned.landmarks, slot));
    }
  }
  auto descriptors = judge->describe(inputs, static_cast<int>(faces.size()));
  ASSERT_TRUE(descriptors) << descriptors.error().message;
  float worst_overall = 0;
  for (std::size_t i = 0; i < faces.size(); ++i) {
    float worst = 0;
    for (int k = 0; k < model::kFaceDescriptorSize; ++k) worst = std::max(worst, std::abs((*descriptors)[i][k] - faces[i].descriptor[k]));
    EXPECT_LE(worst, 1e-3f) << faces[i].name;
    worst_overall = std::max(worst_overall, worst);
  }
  std::printf("largest difference from face-api's descriptors: %.2g over %zu faces\n", worst_overall, faces.size());
  // And the network tells the two people apart: a frame's face and its own aligned crop are one
  // person (< 0.6, dlib's threshold).
  for (std::size_t i = 0; i + 1 < faces.size(); i += 2) {
    EXPECT_LT(model::descriptor_distance((*descriptors)[i], (*descriptors)[i + 1]), 0.6f) << faces[i].name;
  }
}

}  // namespace
}  // namespace mirage::swap
