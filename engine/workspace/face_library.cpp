#include "engine/workspace/face_library.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <set>
#include <system_error>

#include "engine/core/format.h"
#include "engine/core/worker.h"
#include "engine/face/face_set.h"

namespace mirage::workspace {
namespace {

namespace fs = std::filesystem;

constexpr const char* kRejected = "rejected";

struct Stamp {
  fs::file_time_type written{};
  std::uintmax_t bytes = 0;
  bool exists = false;
};

Stamp stamp_of(const fs::path& file) {
  std::error_code ec;
  Stamp s;
  s.exists = fs::exists(file, ec);
  if (!s.exists) return s;
  s.written = fs::last_write_time(file, ec);
  s.bytes = fs::file_size(file, ec);
  return s;
}

bool same(const Stamp& a, const Stamp& b) { return a.exists == b.exists && a.written == b.written && a.bytes == b.bytes; }

std::int64_t count_identities(const face::FaceSet& set) {
  std::set<int> seen;
  for (const face::FaceRecord& r : set.faces()) {
    if (r.identity >= 0) seen.insert(r.identity);
  }
  return static_cast<std::int64_t>(seen.size());
}

}  // namespace

// Reads sets for set_now(): one at a time, in the order asked, each with the stamp its file had
// just before it was read (a change during the read is seen as a change afterwards).
struct FaceLibrary::Reader {
  struct Read {
    Stamp stamp;  // asked for: the file as it was then; done: as it was when read
    bool done = false;
    Result<std::shared_ptr<face::FaceSet>> result = std::shared_ptr<face::FaceSet>();
  };
  std::mutex mutex;
  std::condition_variable_any wake;
  std::map<std::string, Read> reads;
  std::deque<std::pair<std::string, fs::path>> queue;
  Worker worker;

  Reader() {
    worker = Worker("face sets", [this](std::stop_token stop) { run(stop); });
  }
  ~Reader() {
    worker.request_stop();
    wake.notify_all();
    worker.join();
  }
  void run(std::stop_token stop) {
    while (!stop.stop_requested()) {
      std::pair<std::string, fs::path> next;
      {
        std::unique_lock lock(mutex);
        wake.wait(lock, stop, [&] { return !queue.empty(); });
        if (stop.stop_requested()) return;
        next = std::move(queue.front());
        queue.pop_front();
      }
      const Stamp stamp = stamp_of(next.second / face::kFaceSetFile);
      auto loaded = face::FaceSet::load(next.second);
      Result<std::shared_ptr<face::FaceSet>> result =
          loaded ? Result<std::shared_ptr<face::FaceSet>>(std::make_shared<face::FaceSet>(std::move(*loaded)))
                 : std::unexpected(loaded.error());
      const std::lock_guard lock(mutex);
      Read& read = reads[next.first];
      read.stamp = stamp;
      read.done = true;
      read.result = std::move(result);
    }
  }
};

template <class Get>
std::vector<FaceSetSummary> FaceLibrary::list_sets(Get get) {
  std::vector<FaceSetSummary> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(root_, ec)) {
    if (!entry.is_directory(ec) || !fs::exists(entry.path() / face::kFaceSetFile, ec)) continue;
    const std::string name = entry.path().filename().string();
    auto loaded = get(name);
    if (!loaded) continue;  // a damaged set is not offered for editing (its error shows when opened)
    FaceSetSummary summary{.name = name, .faces = -1, .rejected = -1};
    if (*loaded) {
      summary.faces = static_cast<std::int64_t>((*loaded)->faces().size());
      summary.identities = count_identities(**loaded);
    }
    if (!fs::exists(entry.path() / kRejected / face::kFaceSetFile, ec)) {
      summary.rejected = 0;
    } else if (auto rejected = get(name + "/" + kRejected); rejected && *rejected) {
      summary.rejected = static_cast<std::int64_t>((*rejected)->faces().size());
    } else if (!rejected) {
      summary.rejected = 0;
    }
    out.push_back(std::move(summary));
  }
  std::ranges::sort(out, {}, &FaceSetSummary::name);
  return out;
}

std::vector<FaceSetSummary> FaceLibrary::sets() {
  return list_sets([this](const std::string& name) { return set(name); });
}

std::vector<FaceSetSummary> FaceLibrary::sets_now() {
  return list_sets([this](const std::string& name) { return set_now(name); });
}

void FaceLibrary::remember(const std::string& name, std::shared_ptr<face::FaceSet> set,
                           std::optional<std::pair<fs::file_time_type, std::uintmax_t>> stamp) {
  if (!stamp) {
    const Stamp s = stamp_of(set->metadata_path());
    stamp.emplace(s.written, s.bytes);
  }
  loaded_[name] = Loaded{std::move(set), nullptr, stamp->first, stamp->second};
}

Result<std::shared_ptr<const FaceSetView>> FaceLibrary::view_of(const std::string& name,
                                                                const std::shared_ptr<face::FaceSet>& set) {
  Loaded& entry = loaded_.at(name);
  if (!entry.view) {
    auto view = std::make_shared<FaceSetView>();
    view->name = name;
    view->folder = set->folder();
    view->faces.reserve(set->faces().size());
    for (const face::FaceRecord& r : set->faces()) {
      view->faces.push_back({.file = r.file, .identity = r.identity, .blur = r.blur, .score = r.score,
                             .width_px = r.box.width, .source = r.source, .frame = r.frame});
    }
    entry.view = std::move(view);
  }
  return entry.view;
}

Result<std::shared_ptr<const FaceSetView>> FaceLibrary::view(const std::string& name) {
  auto loaded = set(name);
  if (!loaded) return std::unexpected(loaded.error());
  return view_of(name, *loaded);
}

Result<std::shared_ptr<const FaceSetView>> FaceLibrary::view_now(const std::string& name) {
  auto loaded = set_now(name);
  if (!loaded) return std::unexpected(loaded.error());
  if (!*loaded) return std::shared_ptr<const FaceSetView>();
  return view_of(name, *loaded);
}

Result<std::shared_ptr<face::FaceSet>> FaceLibrary::set_now(const std::string& name) {
  const fs::path folder = root_ / name;
  const Stamp now = stamp_of(folder / face::kFaceSetFile);
  const auto found = loaded_.find(name);
  if (found != loaded_.end() && now.exists && now.written == found->second.written && now.bytes == found->second.bytes) {
    return found->second.set;
  }
  if (!now.exists) return set(name);  // FaceSet::load's error for a missing set, at once
  if (!reader_) reader_ = std::make_shared<Reader>();
  const std::lock_guard lock(reader_->mutex);
  const auto read = reader_->reads.find(name);
  if (read != reader_->reads.end() && read->second.done && same(read->second.stamp, now)) {
    if (!read->second.result) return std::unexpected(read->second.result.error());  // until the file changes
    std::shared_ptr<face::FaceSet> made = std::move(*read->second.result);
    reader_->reads.erase(read);
    remember(name, made, std::pair{now.written, now.bytes});
    return made;
  }
  if (read == reader_->reads.end() || (read->second.done && !same(read->second.stamp, now))) {
    reader_->reads[name] = Reader::Read{.stamp = now};
    reader_->queue.emplace_back(name, folder);
    reader_->wake.notify_one();
  }
  // Meanwhile, what was read before (edits check the file again: for_edit()).
  return found != loaded_.end() ? found->second.set : std::shared_ptr<face::FaceSet>();
}

const face::FaceRecord* FaceLibrary::record(const std::string& name, const std::string& file) const {
  const auto found = loaded_.find(name);
  if (found == loaded_.end()) return nullptr;
  const int i = found->second.set->find(file);
  return i < 0 ? nullptr : &found->second.set->faces()[static_cast<std::size_t>(i)];
}

Result<std::shared_ptr<face::FaceSet>> FaceLibrary::set(const std::string& name) {
  const fs::path folder = root_ / name;
  const Stamp now = stamp_of(folder / face::kFaceSetFile);
  const auto found = loaded_.find(name);
  if (found != loaded_.end() && now.exists && now.written == found->second.written && now.bytes == found->second.bytes) {
    return found->second.set;
  }
  auto loaded = face::FaceSet::load(folder);
  if (!loaded) {
    loaded_.erase(name);
    return std::unexpected(loaded.error());
  }
  auto shared = std::make_shared<face::FaceSet>(std::move(*loaded));
  remember(name, shared);
  return shared;
}

Result<face::FaceSet*> FaceLibrary::for_edit(const std::string& name, bool create) {
  const fs::path folder = root_ / name;
  const Stamp now = stamp_of(folder / face::kFaceSetFile);
  const auto found = loaded_.find(name);
  if (found != loaded_.end()) {
    if (now.exists && now.written == found->second.written && now.bytes == found->second.bytes) {
      return found->second.set.get();
    }
    loaded_.erase(found);
    if (now.exists || !create) {
      return fail(ErrorCode::kIo, "{} changed on disk (another program); read again: nothing was changed, try again",
                  folder.string());
    }
  }
  auto opened = now.exists ? face::FaceSet::load(folder)
                           : create ? face::FaceSet::open_or_create(folder)
                                    : Result<face::FaceSet>(fail(ErrorCode::kNotFound, "{}: no face set", folder.string()));
  if (!opened) return std::unexpected(opened.error());
  auto shared = std::make_shared<face::FaceSet>(std::move(*opened));
  face::FaceSet* raw = shared.get();
  remember(name, std::move(shared));
  return raw;
}

Status FaceLibrary::move(const std::string& from, const std::string& to, const std::vector<std::string>& files,
                         Edit& edit) {
  auto source = for_edit(from, false);
  if (!source) return std::unexpected(source.error());
  auto target = for_edit(to, true);
  if (!target) return std::unexpected(target.error());
  auto moved = face::move_faces(**source, **target, files);
  // Whatever happened, both files are what is on disk now.
  for (const std::string& name : {from, to}) {
    const auto found = loaded_.find(name);
    if (found == loaded_.end()) continue;
    const Stamp s = stamp_of(found->second.set->metadata_path());
    found->second.written = s.written;
    found->second.bytes = s.bytes;
    found->second.view.reset();
  }
  if (!moved) return std::unexpected(moved.error());
  edit.moves.push_back({from, to, std::move(*moved)});
  return ok();
}

Status FaceLibrary::reject(const std::string& set, const std::vector<std::string>& files) {
  if (files.empty()) return ok();
  Edit edit{.label = format("reject {} face{} of {}", files.size(), files.size() == 1 ? "" : "s", set)};
  if (auto s = move(set, set + "/" + kRejected, files, edit); !s) return s;
  history_.push_back(std::move(edit));
  return ok();
}

Status FaceLibrary::restore(const std::string& set, const std::vector<std::string>& files) {
  if (files.empty()) return ok();
  Edit edit{.label = format("restore {} face{} of {}", files.size(), files.size() == 1 ? "" : "s", set)};
  if (auto s = move(set + "/" + kRejected, set, files, edit); !s) return s;
  history_.push_back(std::move(edit));
  return ok();
}

Result<std::string> FaceLibrary::split(const std::string& set, int identity) {
  auto source = for_edit(set, false);
  if (!source) return std::unexpected(source.error());
  std::vector<std::string> files;
  for (const face::FaceRecord& r : (*source)->faces()) {
    if (r.identity == identity) files.push_back(r.file);
  }
  if (files.empty()) return fail(ErrorCode::kInvalidArgument, "{} has no face of person {}", set, identity);
  std::string name = format("{}-person{}", set, identity);
  std::error_code ec;
  for (int n = 2; fs::exists(root_ / name, ec); ++n) name = format("{}-person{}-{}", set, identity, n);
  Edit edit{.label = format("split person {} of {} into {}", identity, set, name), .made_set = name};
  if (auto s = move(set, name, files, edit); !s) return std::unexpected(s.error());
  history_.push_back(std::move(edit));
  return name;
}

Status FaceLibrary::undo() {
  if (history_.empty()) return fail(ErrorCode::kInvalidArgument, "nothing to undo");
  Edit& last = history_.back();
  // Moved back in reverse; each move is complete on its own (face::move_faces).
  while (!last.moves.empty()) {
    const Move& m = last.moves.back();
    Edit scratch;
    if (auto s = move(m.to, m.from, m.files, scratch); !s) {
      return std::unexpected(s.error().with_context(format("undoing '{}'", last.label)));
    }
    last.moves.pop_back();
  }
  if (!last.made_set.empty()) {
    // The split's own set, empty again: its folder and metadata go (no face is in it).
    std::error_code ec;
    const fs::path folder = root_ / last.made_set;
    auto made = set(last.made_set);
    if (made && (*made)->faces().empty()) {
      fs::remove(folder / face::kFaceSetFile, ec);
      fs::remove(folder, ec);
      loaded_.erase(last.made_set);
    }
  }
  history_.pop_back();
  return ok();
}

}  // namespace mirage::workspace
