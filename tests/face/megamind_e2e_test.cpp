// End to end on the sample clip: extraction, the face set on disk, identity sorting and bad
// input. Skips (exit 77) when data/Megamind.avi is missing (tools/setup copies it).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include <opencv2/imgcodecs.hpp>

#include "engine/core/config.h"
#include "engine/core/file_io.h"
#include "engine/face/align.h"
#include "engine/face/extract.h"
#include "engine/face/face_set.h"
#include "engine/face/sort.h"
#include "tests/core/temp_dir.h"
#include "tests/support/sample_data.h"

namespace mirage::face {
namespace {

namespace fs = std::filesystem;

using test::source_dir;
fs::path clip() { return test::megamind_clip(); }

struct Extraction {
  Result<ExtractSummary> summary;
  std::vector<Error> problems;
};

Extraction extract(const fs::path& input, const fs::path& output, int every = 1) {
  ExtractOptions options;
  options.input = input;
  options.output = output;
  options.every = every;
  std::vector<Error> problems;
  ExtractCallbacks callbacks;
  callbacks.on_problem = [&](const Error& e) { problems.push_back(e); };
  auto summary = extract_faces(options, callbacks);
  return {std::move(summary), std::move(problems)};
}

// The whole clip is extracted once and shared by the tests that only read it.
class Megamind : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir;
    run_ = new Extraction(extract(clip(), dir_->path() / "faces"));
  }
  static void TearDownTestSuite() {
    delete run_;
    delete dir_;
  }
  static fs::path faces() { return dir_->path() / "faces"; }
  static TempDir* dir_;
  static Extraction* run_;
};
TempDir* Megamind::dir_ = nullptr;
Extraction* Megamind::run_ = nullptr;

TEST_F(Megamind, FindsFacesOnAtLeast260Of270Frames) {
  ASSERT_TRUE(run_->summary) << run_->summary.error().message;
  const ExtractSummary& s = *run_->summary;
  EXPECT_EQ(s.frames_read, 270);
  EXPECT_EQ(s.decode_errors, 0);
  EXPECT_TRUE(run_->problems.empty());
  EXPECT_GE(s.frames_with_faces, 260);
  EXPECT_EQ(s.faces_written, s.faces_found);
  EXPECT_LT(s.tracker.detections, 135);  // tracking replaced most full detections
  EXPECT_GT(s.tracker.refits, 150);
}

TEST_F(Megamind, MetadataListsEveryPngAndAlignedLandmarksLieNearTheTemplate) {
  ASSERT_TRUE(run_->summary);
  auto set = FaceSet::load(faces());
  ASSERT_TRUE(set) << set.error().message;
  ASSERT_EQ(static_cast<std::int64_t>(set->faces().size()), run_->summary->faces_written);
  const Landmarks target = template_in_crop({});
  std::vector<double> errors;
  for (const FaceRecord& f : set->faces()) {
    ASSERT_TRUE(fs::exists(faces() / f.file)) << f.file;
    EXPECT_EQ(f.size, 256);
    EXPECT_GE(f.blur, 0.0);
    // The stored matrix takes the crop back to the frame; its inverse puts the landmarks on the
    // template.
    const Landmarks aligned = map_points(invert(f.face_to_frame), f.landmarks);
    double sum = 0;
    for (int i = 17; i < kLandmarkCount; ++i) sum += cv::norm(aligned[i] - target[i]);
    errors.push_back(sum / (kLandmarkCount - 17));
  }
  std::ranges::sort(errors);
  EXPECT_LT(errors[errors.size() / 2], 5.0);        // median face: within 5 px at 256 px
  EXPECT_LT(errors[errors.size() * 95 / 100], 9.0);  // nearly all: within 9 px
  const cv::Mat png = cv::imread((faces() / set->faces().front().file).string());
  EXPECT_EQ(png.size(), cv::Size(256, 256));
}

TEST_F(Megamind, IdentitySortSeparatesTheTwoMainCharactersWithHighPurity) {
  ASSERT_TRUE(run_->summary);
  auto fixture = load_json(source_dir() / "tests" / "face" / "data" / "megamind_identities.json");
  ASSERT_TRUE(fixture) << fixture.error().message;
  std::map<std::int64_t, std::string> person;
  for (const Json& label : (*fixture)["labels"]) person[label["frame"].get<std::int64_t>()] = label["person"];

  for (const bool use_tracks : {true, false}) {
    auto set = FaceSet::load(faces());
    ASSERT_TRUE(set);
    SortOptions options;
    options.use_tracks = use_tracks;
    auto report = sort_face_set(*set, options);
    ASSERT_TRUE(report) << report.error().message;
    EXPECT_GE(report->clusters, 2);
    EXPECT_LE(report->clusters, 3);
    // The labelled face of a frame is its largest one.
    std::map<std::int64_t, const FaceRecord*> largest;
    for (const FaceRecord& f : set->faces()) {
      if (!person.contains(f.frame)) continue;
      const FaceRecord*& best = largest[f.frame];
      if (best == nullptr || f.box.area() > best->box.area()) best = &f;
    }
    std::map<int, std::map<std::string, int>> counts;  // cluster -> person -> faces
    for (const auto& [frame, f] : largest) ++counts[f->identity][person[frame]];
    ASSERT_GE(largest.size(), 45u);
    std::map<std::string, int> cluster_of;
    for (const std::string who : {"woman", "man"}) {
      int best = -1, most = -1;
      for (const auto& [cluster, tally] : counts) {
        const auto it = tally.find(who);
        if (it != tally.end() && it->second > most) {
          best = cluster;
          most = it->second;
        }
      }
      ASSERT_GE(best, 0) << who;
      cluster_of[who] = best;
      int total = 0;
      for (const auto& [name, n] : counts[best]) total += n;
      EXPECT_GE(100.0 * most / total, 95.0) << who << " cluster purity (tracks " << use_tracks << ")";
    }
    EXPECT_NE(cluster_of["woman"], cluster_of["man"]);
  }
}

TEST_F(Megamind, ExtractingIntoTheSameSetAppendsAndKeepsEveryEarlierFace) {
  ASSERT_TRUE(run_->summary);
  TempDir dir;
  const fs::path copy = dir.path() / "faces";
  fs::copy(faces(), copy);
  auto before = FaceSet::load(copy);
  ASSERT_TRUE(before);
  std::map<std::string, std::string> bytes;
  for (const FaceRecord& f : before->faces()) bytes[f.file] = *read_file(copy / f.file);

  const Extraction again = extract(clip(), copy, 30);
  ASSERT_TRUE(again.summary) << again.summary.error().message;
  EXPECT_EQ(again.summary->faces_before, static_cast<std::int64_t>(before->faces().size()));
  EXPECT_GT(again.summary->faces_written, 5);
  auto after = FaceSet::load(copy);
  ASSERT_TRUE(after);
  ASSERT_EQ(after->faces().size(), before->faces().size() + again.summary->faces_written);
  for (std::size_t i = 0; i < before->faces().size(); ++i) {
    EXPECT_EQ(after->faces()[i].file, before->faces()[i].file);
  }
  for (const auto& [file, content] : bytes) EXPECT_EQ(*read_file(copy / file), content) << file;
}

TEST(MegamindBadInput, AVideoThatStopsDecodingPartWayStillGivesItsEarlierFaces) {
  TempDir dir;
  auto whole = read_file(clip());
  ASSERT_TRUE(whole);
  const fs::path cut = dir.path() / "cut.avi";
  ASSERT_TRUE(write_file_atomic(cut, std::string_view(*whole).substr(0, whole->size() / 3)));
  const Extraction run = extract(cut, dir.path() / "faces", 3);
  ASSERT_TRUE(run.summary) << run.summary.error().message;
  EXPECT_GT(run.summary->faces_written, 10);
  EXPECT_LT(run.summary->frames_read, 270);
  EXPECT_GT(run.summary->decode_errors, 0);
  ASSERT_EQ(run.problems.size(), 1u);
  EXPECT_NE(run.problems[0].message.find("cut.avi"), std::string::npos);
  auto set = FaceSet::load(dir.path() / "faces");
  ASSERT_TRUE(set);
  EXPECT_EQ(static_cast<std::int64_t>(set->faces().size()), run.summary->faces_written);
}

TEST(MegamindBadInput, ZeroFacesIsASuccessfulRunThatMakesNothing) {
  TempDir dir;
  cv::imwrite((dir.path() / "blank.png").string(), cv::Mat(200, 300, CV_8UC3, cv::Scalar(40, 40, 40)));
  std::ofstream(dir.path() / "readme.txt") << "not an image";
  const Extraction run = extract(dir.path(), dir.path() / "faces");
  ASSERT_TRUE(run.summary) << run.summary.error().message;
  EXPECT_EQ(run.summary->faces_written, 0);
  EXPECT_EQ(run.summary->frames_read, 1);
  ASSERT_EQ(run.problems.size(), 1u);
  EXPECT_NE(run.problems[0].message.find("readme.txt"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir.path() / "faces"));  // nothing made, nothing left behind
}

TEST(MegamindBadInput, MissingOrForeignInputAndUnusableOutputStopBeforeAnyWork) {
  TempDir dir;
  auto missing = extract(dir.path() / "nope.avi", dir.path() / "faces").summary;
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);

  ASSERT_TRUE(write_file_atomic(dir.path() / "text.mp4", "hello, not a video"));
  auto foreign = extract(dir.path() / "text.mp4", dir.path() / "faces").summary;
  ASSERT_FALSE(foreign);
  EXPECT_EQ(foreign.error().code, ErrorCode::kUnsupported);

  ASSERT_TRUE(write_file_atomic(dir.path() / "a-file", "x"));
  auto unwritable = extract(clip(), dir.path() / "a-file" / "faces").summary;
  ASSERT_FALSE(unwritable);
  EXPECT_EQ(unwritable.error().code, ErrorCode::kIo);

  fs::create_directories(dir.path() / "damaged");
  ASSERT_TRUE(write_file_atomic(dir.path() / "damaged" / "faceset.json", "{ \"format\": "));
  auto corrupt = extract(clip(), dir.path() / "damaged").summary;
  ASSERT_FALSE(corrupt);
  EXPECT_EQ(corrupt.error().code, ErrorCode::kCorrupt);
  EXPECT_EQ(*read_file(dir.path() / "damaged" / "faceset.json"), "{ \"format\": ");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path() / "damaged"), fs::directory_iterator()), 1);
}

TEST(MegamindCascade, TheCascadeDetectorAlsoFindsTheFaces) {
  TempDir dir;
  ExtractOptions options;
  options.input = clip();
  options.output = dir.path() / "faces";
  options.detector = DetectorKind::kCascade;
  options.every = 10;
  auto summary = extract_faces(options);
  ASSERT_TRUE(summary) << summary.error().message;
  EXPECT_GE(summary->frames_with_faces, 22);  // of 27 frames used
}

}  // namespace
}  // namespace mirage::face

int main(int argc, char** argv) {
  if (!std::filesystem::exists(mirage::face::clip())) {
    std::printf("skipped: %s is missing (tools/setup copies it)\n", mirage::face::clip().c_str());
    return 77;
  }
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
