// Work on face sets that takes seconds to minutes, done in order on one background thread:
// extracting the faces of a source (a video, an image or a folder of images) into a set, and
// sorting a set (identity clusters, blur, size, yaw). What the studio's new-project form and
// face browser start; progress per job, cancel, and one line when each ends.
//
//   FaceJobs jobs;
//   const int id = jobs.extract("clips/b_interview.mp4", project / "faces" / "b", "b");
//   for (const FaceJobStatus& j : jobs.status()) progress_bar(j.label, j.done, j.expected);
//   for (const FaceJobStatus& j : jobs.take_finished()) { say(j.message); library.forget(j.set); }
//
// Extraction appends to the set (face::extract_faces), then clusters the whole set by identity
// when it was new or clustered before, so identity groups cover every face; a cancelled one keeps the faces written so far (the set stays consistent). A source that
// cannot be read (missing, not a video, gone before its turn) fails its job with one line and
// the next job runs. Thread-safe; the destructor cancels the running job and drops the queued ones.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace mirage::workspace {

// How a sort job orders a set (face::SortKey): identity clusters, sharpest first, largest
// first, left profile to right.
enum class FaceOrder { kIdentity, kBlur, kSize, kYaw };

enum class FaceJobState { kQueued, kRunning, kDone, kFailed, kCancelled };

struct FaceJobStatus {
  int id = 0;
  std::string label;          // "extract b_interview.mp4 -> b", "sort a by identity"
  std::string set;            // the set it writes (its name under faces/)
  FaceJobState state = FaceJobState::kQueued;
  std::int64_t done = 0;      // frames (extraction)
  std::int64_t expected = -1;
  std::int64_t faces = 0;     // faces found so far (extraction)
  std::string message;        // when it ended: what it did, or why not
};

class FaceJobs {
 public:
  FaceJobs();
  ~FaceJobs();
  FaceJobs(const FaceJobs&) = delete;
  FaceJobs& operator=(const FaceJobs&) = delete;

  // Queue a job; returns its id.
  int extract(const std::filesystem::path& source, const std::filesystem::path& set_folder, const std::string& set_name);
  int sort(const std::filesystem::path& set_folder, const std::string& set_name, FaceOrder order);
  void cancel(int id);  // a queued job is dropped, a running one stops at its next frame
  std::vector<FaceJobStatus> status() const;      // every job not yet taken by take_finished()
  std::vector<FaceJobStatus> take_finished();     // the jobs that ended since the last call
  bool busy(const std::string& set_name) const;   // a queued or running job writes this set

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace mirage::workspace
