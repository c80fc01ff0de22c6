#include "engine/workspace/face_jobs.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>

#include "engine/core/format.h"
#include "engine/core/worker.h"
#include "engine/face/extract.h"
#include "engine/face/face_set.h"
#include "engine/face/sort.h"

namespace mirage::workspace {
namespace {

namespace fs = std::filesystem;

struct Job {
  FaceJobStatus status;
  enum class Kind { kExtract, kSort } kind = Kind::kExtract;
  fs::path source;  // extraction
  fs::path folder;  // the set
  face::SortKey key = face::SortKey::kIdentity;
  bool cancel = false;
  bool taken = false;  // reported by take_finished()
};

const char* key_name(face::SortKey key) {
  switch (key) {
    case face::SortKey::kIdentity: return "identity";
    case face::SortKey::kBlur: return "blur";
    case face::SortKey::kSize: return "size";
    case face::SortKey::kYaw: return "yaw";
  }
  return "?";
}

}  // namespace

struct FaceJobs::State {
  mutable std::mutex mutex;
  std::condition_variable_any wake;
  std::deque<Job> jobs;  // in order; finished ones stay until taken
  int next_id = 1;
  Worker worker;

  void run(std::stop_token stop);
  // The job's work, outside the lock; `job` stays valid (a deque only grows at the back).
  void execute(Job& job, std::stop_token stop);
  Job* find(int id) {
    for (Job& j : jobs) {
      if (j.status.id == id) return &j;
    }
    return nullptr;
  }
};

FaceJobs::FaceJobs() : state_(std::make_shared<State>()) {
  State* raw = state_.get();
  state_->worker = Worker("face jobs", [raw](std::stop_token stop) { raw->run(stop); });
}

FaceJobs::~FaceJobs() {
  {
    const std::lock_guard lock(state_->mutex);
    for (Job& j : state_->jobs) j.cancel = true;
  }
  state_->worker.request_stop();
  state_->wake.notify_all();
  state_->worker.join();
}

int FaceJobs::extract(const fs::path& source, const fs::path& set_folder, const std::string& set_name) {
  const std::lock_guard lock(state_->mutex);
  Job job;
  job.kind = Job::Kind::kExtract;
  job.source = source;
  job.folder = set_folder;
  job.status = {.id = state_->next_id++, .label = format("extract {} -> {}", source.filename().string(), set_name),
                .set = set_name};
  state_->jobs.push_back(std::move(job));
  state_->wake.notify_all();
  return state_->jobs.back().status.id;
}

int FaceJobs::sort(const fs::path& set_folder, const std::string& set_name, FaceOrder order) {
  const face::SortKey key = order == FaceOrder::kIdentity ? face::SortKey::kIdentity
                            : order == FaceOrder::kBlur   ? face::SortKey::kBlur
                            : order == FaceOrder::kSize   ? face::SortKey::kSize
                                                          : face::SortKey::kYaw;
  const std::lock_guard lock(state_->mutex);
  Job job;
  job.kind = Job::Kind::kSort;
  job.folder = set_folder;
  job.key = key;
  job.status = {.id = state_->next_id++, .label = format("sort {} by {}", set_name, key_name(key)), .set = set_name};
  state_->jobs.push_back(std::move(job));
  state_->wake.notify_all();
  return state_->jobs.back().status.id;
}

void FaceJobs::cancel(int id) {
  const std::lock_guard lock(state_->mutex);
  Job* job = state_->find(id);
  if (job == nullptr) return;
  job->cancel = true;
  if (job->status.state == FaceJobState::kQueued) {
    job->status.state = FaceJobState::kCancelled;
    job->status.message = format("{}: cancelled before it started", job->status.label);
  }
}

std::vector<FaceJobStatus> FaceJobs::status() const {
  const std::lock_guard lock(state_->mutex);
  std::vector<FaceJobStatus> out;
  for (const Job& j : state_->jobs) {
    if (!j.taken) out.push_back(j.status);
  }
  return out;
}

std::vector<FaceJobStatus> FaceJobs::take_finished() {
  const std::lock_guard lock(state_->mutex);
  std::vector<FaceJobStatus> out;
  for (Job& j : state_->jobs) {
    const bool ended = j.status.state != FaceJobState::kQueued && j.status.state != FaceJobState::kRunning;
    if (ended && !j.taken) {
      j.taken = true;
      out.push_back(j.status);
    }
  }
  // Jobs reported and done with leave the front of the queue.
  while (!state_->jobs.empty() && state_->jobs.front().taken) state_->jobs.pop_front();
  return out;
}

bool FaceJobs::busy(const std::string& set_name) const {
  const std::lock_guard lock(state_->mutex);
  return std::ranges::any_of(state_->jobs, [&](const Job& j) {
    return j.status.set == set_name &&
           (j.status.state == FaceJobState::kQueued || j.status.state == FaceJobState::kRunning);
  });
}

void FaceJobs::State::run(std::stop_token stop) {
  // Extraction and sorting take minutes and yield to the UI and the player (as training does).
  setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), 5);
  while (!stop.stop_requested()) {
    Job* job = nullptr;
    {
      std::unique_lock lock(mutex);
      wake.wait(lock, stop, [&] {
        return std::ranges::any_of(jobs, [](const Job& j) { return j.status.state == FaceJobState::kQueued; });
      });
      if (stop.stop_requested()) return;
      for (Job& j : jobs) {
        if (j.status.state == FaceJobState::kQueued) {
          job = &j;
          break;
        }
      }
      job->status.state = FaceJobState::kRunning;
    }
    execute(*job, stop);
  }
}

void FaceJobs::State::execute(Job& job, std::stop_token stop) {
  const auto cancelled = [&] {
    const std::lock_guard lock(mutex);
    return job.cancel || stop.stop_requested();
  };
  const auto finish = [&](FaceJobState state, std::string message) {
    const std::lock_guard lock(mutex);
    job.status.state = state;
    job.status.message = std::move(message);
  };
  const std::string& label = job.status.label;
  if (job.kind == Job::Kind::kExtract) {
    face::ExtractCallbacks callbacks;
    callbacks.on_progress = [&](const face::ExtractProgress& p) {
      const std::lock_guard lock(mutex);
      job.status.done = p.frames_done;
      job.status.expected = p.frames_expected;
      job.status.faces = p.faces;
    };
    callbacks.cancelled = cancelled;
    auto summary = face::extract_faces({.input = job.source, .output = job.folder}, callbacks);
    if (summary && summary->faces_written == 0) {
      finish(FaceJobState::kFailed, format("{}: no face found in {} frames of {}", label, summary->frames_read,
                                           job.source.string()));
    } else if (summary) {
      // Identity groups cover every face: a new set is clustered (as `mirage extract` does), and
      // so is one that was clustered before these faces came.
      auto set = face::FaceSet::load(job.folder);
      if (!set) {
        finish(FaceJobState::kFailed, format("{}: {}", label, set.error().message));
        return;
      }
      std::string people;
      if (summary->faces_before == 0 || set->faces().front().identity >= 0) {
        auto report = face::sort_face_set(*set, {.key = face::SortKey::kIdentity});
        if (!report) {
          finish(FaceJobState::kFailed, format("{}: identity clustering: {}", label, report.error().message));
          return;
        }
        people = format(", {} {} in the set", report->clusters, report->clusters == 1 ? "person" : "people");
      }
      finish(FaceJobState::kDone,
             format("{}: {} faces from {} frames{}", label, summary->faces_written, summary->frames_read, people));
    } else if (summary.error().code == ErrorCode::kCancelled) {
      finish(FaceJobState::kCancelled, format("{}: {}", label, summary.error().message));
    } else {
      finish(FaceJobState::kFailed, format("{}: {}", label, summary.error().message));
    }
    return;
  }
  auto set = face::FaceSet::load(job.folder);
  if (!set) {
    finish(FaceJobState::kFailed, format("{}: {}", label, set.error().message));
    return;
  }
  auto report = face::sort_face_set(*set, {.key = job.key});
  if (!report) {
    finish(FaceJobState::kFailed, format("{}: {}", label, report.error().message));
    return;
  }
  finish(FaceJobState::kDone, job.key == face::SortKey::kIdentity
                                  ? format("{}: {} people among {} faces", label, report->clusters, set->faces().size())
                                  : format("{}: {} faces in order", label, set->faces().size()));
}

}  // namespace mirage::workspace
