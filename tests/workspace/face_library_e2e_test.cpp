// A project made from videos with no command line, as the studio's new-project form and face
// browser make it: Workspace::create extracts the faces of the whole sample clip (A) and of a
// short cut (B) in the background, then the browser's edits (sort, reject, split, undo, which
// set trains as what) go through the workspace and survive closing and reopening. Bad input
// (no faces, an unreadable video, a source that goes away, a set rewritten by the CLI meanwhile)
// is one line and loses nothing.
#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>

#include <chrono>
#include <fstream>
#include <set>
#include <thread>

#include "engine/face/face_set.h"
#include "engine/workspace/workspace.h"
#include "tests/core/temp_dir.h"
#include "tests/support/sample_data.h"

namespace mirage::workspace {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class FaceLibraryE2e : public ::testing::Test {
 protected:
  void SetUp() override {
    clip_ = test::megamind_clip();
    if (!fs::exists(clip_)) GTEST_SKIP() << clip_ << " is missing (tools/setup copies it)";
  }

  // Ticks like a UI until no face job is queued or running; the lines the workspace said.
  std::vector<std::string> finish_jobs(Workspace& ws, std::chrono::seconds limit = 240s) {
    std::vector<std::string> said;
    const auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
      ws.tick();
      for (std::string& m : ws.take_messages()) said.push_back(std::move(m));
      if (ws.face_jobs().status().empty()) return said;
      std::this_thread::sleep_for(20ms);
    }
    ADD_FAILURE() << "the face jobs did not finish in " << limit.count() << " s";
    return said;
  }

  // A cut of the sample clip: frames [first, first + count), lossless.
  fs::path cut(int first, int count, const std::string& name) {
    const fs::path out = dir_.path() / name;
    const std::string command = "ffmpeg -v error -i '" + clip_.string() + "' -vf trim=start_frame=" +
                                std::to_string(first) + ":end_frame=" + std::to_string(first + count) +
                                ",setpts=PTS-STARTPTS -an -c:v ffv1 '" + out.string() + "'";
    EXPECT_EQ(std::system(command.c_str()), 0);
    return out;
  }

  static std::vector<std::string> files_of(FaceLibrary& library, const std::string& set) {
    std::vector<std::string> out;
    auto view = library.view(set);
    if (view) {
      for (const FaceEntry& f : (*view)->faces) out.push_back(f.file);
    }
    return out;
  }

  static bool said(const std::vector<std::string>& lines, const std::string& part) {
    for (const std::string& l : lines) {
      if (l.find(part) != std::string::npos) return true;
    }
    return false;
  }

  TempDir dir_;
  fs::path clip_;
};

TEST_F(FaceLibraryE2e, NewProjectExtractsSortsRejectsSplitsAndReopensAsLeft) {
  const fs::path b_clip = cut(100, 24, "b.mkv");  // one of the two characters
  const fs::path folder = dir_.path() / "project";
  auto made = Workspace::create(folder, {.target = clip_, .b_sources = {b_clip}});
  ASSERT_TRUE(made) << made.error().message;
  Workspace& ws = **made;
  // Both extractions are queued at once and run in the background: the call returned already.
  ASSERT_EQ(ws.face_jobs().status().size(), 2u);
  const std::vector<std::string> lines = finish_jobs(ws);
  EXPECT_TRUE(said(lines, "extract Megamind.avi -> a:")) << ::testing::PrintToString(lines);
  EXPECT_TRUE(said(lines, "extract b.mkv -> b:")) << ::testing::PrintToString(lines);

  FaceLibrary& library = ws.faces();
  std::vector<FaceSetSummary> sets = library.sets();
  ASSERT_EQ(sets.size(), 2u);
  EXPECT_EQ(sets[0].name, "a");
  EXPECT_EQ(sets[1].name, "b");
  EXPECT_GT(sets[0].faces, 200);  // 266 of 270 frames have a face
  EXPECT_GE(sets[1].faces, 20);
  EXPECT_EQ(sets[0].identities, 2) << "a new set is clustered by identity: Megamind's two characters";
  const std::int64_t a_faces = sets[0].faces;
  EXPECT_EQ(ws.project_settings().faces_a, fs::path("faces") / "a");
  EXPECT_EQ(ws.project_settings().faces_b, fs::path("faces") / "b");

  // Sort by sharpness, then back to identity clusters (each a job of its own).
  ws.sort_faces("a", FaceOrder::kBlur);
  EXPECT_TRUE(said(finish_jobs(ws), "sort a by blur: "));
  {
    auto view = library.view("a");
    ASSERT_TRUE(view);
    for (std::size_t i = 1; i < (*view)->faces.size(); ++i) {
      ASSERT_GE((*view)->faces[i - 1].blur, (*view)->faces[i].blur) << "sharpest first, at " << i;
    }
  }
  ws.sort_faces("a", FaceOrder::kIdentity);
  EXPECT_TRUE(said(finish_jobs(ws), "2 people"));

  // Reject the first three: moved into faces/a/rejected, files and records, nothing deleted.
  const std::vector<std::string> before = files_of(library, "a");
  const std::vector<std::string> rejected(before.begin(), before.begin() + 3);
  ASSERT_TRUE(library.reject("a", rejected));
  for (const std::string& f : rejected) {
    EXPECT_FALSE(fs::exists(folder / "faces" / "a" / f)) << f;
    EXPECT_TRUE(fs::exists(folder / "faces" / "a" / "rejected" / f)) << f;
  }
  EXPECT_EQ(files_of(library, "a/rejected"), rejected);
  EXPECT_EQ(library.sets()[0].rejected, 3);

  // Split the other character into a set of its own; undo puts them back and removes the set.
  auto view = library.view("a");
  ASSERT_TRUE(view);
  const int person = (*view)->faces.back().identity;
  std::int64_t members = 0;
  for (const FaceEntry& f : (*view)->faces) members += f.identity == person ? 1 : 0;
  auto split = library.split("a", person);
  ASSERT_TRUE(split) << split.error().message;
  EXPECT_EQ(*split, "a-person" + std::to_string(person));
  EXPECT_EQ(static_cast<std::int64_t>(files_of(library, *split).size()), members);
  EXPECT_EQ(static_cast<std::int64_t>(files_of(library, "a").size()), a_faces - 3 - members);
  ASSERT_TRUE(library.undo());
  EXPECT_FALSE(fs::exists(folder / "faces" / *split)) << "the split's set goes with its undo";
  EXPECT_EQ(static_cast<std::int64_t>(files_of(library, "a").size()), a_faces - 3);
  // ... and again, to keep: the split set trains as A.
  split = library.split("a", person);
  ASSERT_TRUE(split);
  ASSERT_TRUE(ws.set_face_sets(*split, "b"));
  EXPECT_FALSE(ws.set_face_sets("b", "b")) << "A and B must differ";
  EXPECT_FALSE(ws.set_face_sets("nothing-here", "b"));
  const std::vector<std::string> kept_a = files_of(library, "a");
  const std::vector<std::string> kept_split = files_of(library, *split);
  made->reset();  // closes, saving project.json

  // Reopened: the sets as left, the rejected faces in rejected/, the choice of A and B kept.
  auto reopened = Workspace::open(folder);
  ASSERT_TRUE(reopened) << reopened.error().message;
  FaceLibrary& again = (*reopened)->faces();
  EXPECT_EQ(files_of(again, "a"), kept_a);
  EXPECT_EQ(files_of(again, *split), kept_split);
  EXPECT_EQ(files_of(again, "a/rejected"), rejected);
  EXPECT_EQ((*reopened)->project_settings().faces_a, fs::path("faces") / *split);
  // The CLI sees the same sets: they are plain face sets.
  auto loaded = face::FaceSet::load(folder / "faces" / "a" / "rejected");
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->faces().size(), 3u);
  // Restore the rejected faces; undo rejects them again.
  ASSERT_TRUE(again.restore("a", rejected));
  EXPECT_EQ(files_of(again, "a").size(), kept_a.size() + 3);
  EXPECT_TRUE(fs::exists(folder / "faces" / "a" / rejected[0]));
  ASSERT_TRUE(again.undo());
  EXPECT_EQ(files_of(again, "a/rejected"), rejected);
  EXPECT_FALSE(again.undo()) << "nothing more to undo in this session";
}

TEST_F(FaceLibraryE2e, BadSourcesAreOneLineAndTheNextJobRuns) {
  // Nothing is made when a source does not exist, or the folder holds a project already.
  const fs::path folder = dir_.path() / "project";
  auto missing = Workspace::create(folder, {.target = clip_, .b_sources = {dir_.path() / "nowhere.mp4"}});
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("nowhere.mp4"), std::string::npos) << missing.error().message;
  EXPECT_FALSE(fs::exists(folder));

  // B: a folder of pictures with no face, a file that is not a video, and a folder of frames
  // that is removed while A's extraction runs.
  const fs::path no_faces = dir_.path() / "no-faces";
  fs::create_directories(no_faces);
  for (int i = 0; i < 3; ++i) {
    cv::Mat noise(120, 160, CV_8UC3);
    cv::randu(noise, cv::Scalar::all(0), cv::Scalar::all(255));
    cv::imwrite((no_faces / ("noise" + std::to_string(i) + ".png")).string(), noise);
  }
  const fs::path broken = dir_.path() / "broken.mp4";
  std::ofstream(broken) << "this is not a video";
  const fs::path frames = dir_.path() / "frames";
  fs::create_directories(frames);
  ASSERT_EQ(std::system(("ffmpeg -v error -i '" + clip_.string() + "' -vf select='lt(n\\,4)' -vsync 0 '" +
                         (frames / "f%03d.png").string() + "'")
                            .c_str()),
            0);
  const fs::path good = cut(100, 12, "good.mkv");
  auto made = Workspace::create(folder, {.target = clip_, .b_sources = {no_faces, broken, frames, good}});
  ASSERT_TRUE(made) << made.error().message;
  fs::remove_all(frames);  // gone before its turn: A's extraction takes seconds
  const std::vector<std::string> lines = finish_jobs(**made);
  EXPECT_TRUE(said(lines, "extract no-faces -> b: no face found")) << ::testing::PrintToString(lines);
  EXPECT_TRUE(said(lines, "extract broken.mp4 -> b: ")) << ::testing::PrintToString(lines);
  EXPECT_TRUE(said(lines, "extract frames -> b: ")) << ::testing::PrintToString(lines);
  EXPECT_TRUE(said(lines, "extract good.mkv -> b: ")) << ::testing::PrintToString(lines);
  for (const std::string& l : lines) EXPECT_EQ(l.find('\n'), std::string::npos) << "one line: " << l;
  // The good source's faces are all there is in b, and a is whole.
  auto b = face::FaceSet::load(folder / "faces" / "b");
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_GE(b->faces().size(), 10u);
  for (const face::FaceRecord& r : b->faces()) EXPECT_NE(r.source.find("good.mkv"), std::string::npos) << r.source;

  // A project is never made over another.
  auto twice = Workspace::create(folder, {.target = clip_, .b_sources = {good}});
  EXPECT_FALSE(twice);
  EXPECT_TRUE(fs::exists(folder / "project.json"));
}

TEST_F(FaceLibraryE2e, ACancelledExtractionKeepsWhatItWroteAndTheSetIsWhole) {
  const fs::path folder = dir_.path() / "project";
  auto made = Workspace::create(folder, {.target = clip_, .b_sources = {clip_}});
  ASSERT_TRUE(made);
  Workspace& ws = **made;
  // Progress per source while A's runs; B's waits its turn.
  const auto until = std::chrono::steady_clock::now() + 120s;
  std::vector<FaceJobStatus> jobs;
  while (std::chrono::steady_clock::now() < until) {
    jobs = ws.face_jobs().status();
    if (jobs.size() == 2 && jobs[0].state == FaceJobState::kRunning && jobs[0].done >= 20) break;
    std::this_thread::sleep_for(5ms);
  }
  ASSERT_EQ(jobs.size(), 2u);
  EXPECT_EQ(jobs[0].expected, 270);
  EXPECT_EQ(jobs[1].state, FaceJobState::kQueued);
  ws.face_jobs().cancel(jobs[0].id);
  ws.face_jobs().cancel(jobs[1].id);
  const std::vector<std::string> lines = finish_jobs(ws);
  EXPECT_TRUE(said(lines, "extract Megamind.avi -> a: extraction cancelled after")) << ::testing::PrintToString(lines);
  EXPECT_TRUE(said(lines, "extract Megamind.avi -> b: cancelled before it started")) << ::testing::PrintToString(lines);
  auto a = face::FaceSet::load(folder / "faces" / "a");
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_GT(a->faces().size(), 0u);
  EXPECT_LT(a->faces().size(), 266u);
  for (const face::FaceRecord& r : a->faces()) EXPECT_TRUE(fs::exists(folder / "faces" / "a" / r.file)) << r.file;
  EXPECT_FALSE(fs::exists(folder / "faces" / "b"));
}

TEST_F(FaceLibraryE2e, ASetRewrittenByTheCliMeanwhileIsReadAgainNotOverwritten) {
  const fs::path folder = dir_.path() / "project";
  auto made = Workspace::create(folder, {.target = cut(0, 24, "a.mkv"), .b_sources = {cut(100, 24, "b.mkv")}});
  ASSERT_TRUE(made);
  finish_jobs(**made);
  FaceLibrary& library = (*made)->faces();
  const std::vector<std::string> shown = files_of(library, "b");
  ASSERT_GE(shown.size(), 4u);

  // `mirage sort` (or a second studio) rewrites faces/b while the browser shows it.
  std::this_thread::sleep_for(20ms);  // a distinct modification time even on coarse clocks
  {
    auto other = face::FaceSet::load(folder / "faces" / "b");
    ASSERT_TRUE(other);
    std::reverse(other->faces().begin(), other->faces().end());
    other->faces().pop_back();  // and drops a face from the list
    ASSERT_TRUE(other->save());
  }
  const Status refused = library.reject("b", {shown[1]});
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("changed on disk"), std::string::npos) << refused.error().message;
  EXPECT_TRUE(fs::exists(folder / "faces" / "b" / shown[1])) << "nothing moved";
  EXPECT_FALSE(fs::exists(folder / "faces" / "b" / "rejected"));
  // What the browser shows next is the new list; an edit on it goes through.
  const std::vector<std::string> now = files_of(library, "b");
  ASSERT_EQ(now.size(), shown.size() - 1);
  EXPECT_EQ(now.front(), shown.back());
  ASSERT_TRUE(library.reject("b", {now.front()}));
  auto on_disk = face::FaceSet::load(folder / "faces" / "b");
  ASSERT_TRUE(on_disk);
  EXPECT_EQ(on_disk->faces().size(), shown.size() - 2) << "the CLI's change is kept, and the rejection made";
  // The UI's form never waits: while a rewritten set is read again on the library's thread,
  // view_now() gives what it had, then the new list.
  const std::size_t listed = files_of(library, "b").size();
  std::this_thread::sleep_for(20ms);
  {
    auto other = face::FaceSet::load(folder / "faces" / "b");
    ASSERT_TRUE(other);
    other->faces().pop_back();
    ASSERT_TRUE(other->save());
  }
  auto first = library.view_now("b");
  ASSERT_TRUE(first && *first);
  EXPECT_EQ((*first)->faces.size(), listed) << "the list read before, at once";
  std::size_t seen = listed;
  for (int i = 0; i < 500 && seen == listed; ++i) {
    std::this_thread::sleep_for(10ms);
    auto latest = library.view_now("b");
    ASSERT_TRUE(latest && *latest);
    seen = (*latest)->faces.size();
  }
  EXPECT_EQ(seen, listed - 1) << "then the new one";
  const std::vector<FaceSetSummary> summaries = library.sets_now();
  ASSERT_EQ(summaries.size(), 2u);
  EXPECT_EQ(summaries[1].faces, static_cast<std::int64_t>(listed - 1));
  // A face the list no longer has is refused by name.
  const Status gone = library.reject("b", {"no-such-face.png"});
  ASSERT_FALSE(gone);
  EXPECT_NE(gone.error().message.find("no-such-face.png"), std::string::npos);
}

}  // namespace
}  // namespace mirage::workspace
