#include "engine/workspace/face_benchmark.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <chrono>
#include <memory>
#include <set>
#include <thread>
#include <vector>

#include "engine/core/format.h"
#include "engine/face/extract.h"
#include "engine/face/face_set.h"
#include "engine/workspace/face_library.h"
#include "engine/workspace/thumbnails.h"

namespace mirage::workspace {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

// faces/all: `count` faces made of the clip's faces (hard links, records copied, file renamed).
Status make_set(const fs::path& root, const fs::path& clip, int count) {
  const fs::path extracted = root / "faces" / "extracted";
  std::error_code ec;
  auto summary = face::extract_faces({.input = fs::absolute(clip, ec), .output = extracted}, {});
  if (!summary) return std::unexpected(summary.error());
  auto source = face::FaceSet::load(extracted);
  if (!source) return std::unexpected(source.error());
  if (source->faces().empty()) return fail(ErrorCode::kNotFound, "{}: no face found", clip.string());
  const fs::path folder = root / "faces" / "all";
  auto set = face::FaceSet::open_or_create(folder);
  if (!set) return std::unexpected(set.error());
  for (int i = 0; i < count; ++i) {
    face::FaceRecord record = source->faces()[static_cast<std::size_t>(i) % source->faces().size()];
    const fs::path from = extracted / record.file;
    char name[32];
    std::snprintf(name, sizeof name, "face_%05d.png", i);
    record.file = name;
    if (::link(from.c_str(), (folder / record.file).c_str()) != 0) {
      return fail(ErrorCode::kIo, "{}: cannot link ({})", (folder / record.file).string(), std::strerror(errno));
    }
    record.identity = i % 3;  // three groups, as a sorted set shows them
    set->faces().push_back(std::move(record));
  }
  std::ranges::stable_sort(set->faces(), {}, &face::FaceRecord::identity);
  return set->save();
}

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::ranges::sort(v);
  return v[static_cast<std::size_t>(q * static_cast<double>(v.size() - 1))];
}

}  // namespace

Result<FaceBenchmark> run_face_benchmark(const FaceBenchmarkOptions& options) {
  if (options.faces < 1 || options.columns < 1 || options.rows < 1) {
    return fail(ErrorCode::kInvalidArgument, "faces, columns and rows must be positive");
  }
  std::error_code ec;
  if (!fs::exists(options.clip, ec)) return fail(ErrorCode::kNotFound, "{}: no such clip", options.clip.string());
  const bool keep = !options.keep.empty();
  const fs::path root = keep ? options.keep : fs::temp_directory_path() / format("mirage-bench-faces-{}", ::getpid());
  if (keep && fs::exists(root / "faces" / "all", ec)) return fail(ErrorCode::kIo, "{} holds a set already", root.string());
  fs::create_directories(root, ec);
  struct Cleanup {
    fs::path root;
    bool keep;
    ~Cleanup() {
      std::error_code e;
      if (!keep) fs::remove_all(root, e);
    }
  } cleanup{root, keep};

  FaceBenchmark r;
  r.faces = options.faces;
  auto t = Clock::now();
  if (auto s = make_set(root, options.clip, options.faces); !s) return std::unexpected(s.error());
  r.make_s = ms_since(t) / 1000;

  // Opening the set, as the browser does: every UI frame asks without waiting until it is read.
  FaceLibrary library(root / "faces");
  constexpr auto kFrame = std::chrono::microseconds(33333);
  const auto opened = Clock::now();
  auto next = opened;
  std::shared_ptr<const FaceSetView> view;
  std::vector<double> open_ms;
  while (!view && ms_since(opened) < 60000) {
    const auto f = Clock::now();
    (void)library.sets_now();
    auto now = library.view_now("all");
    if (!now) return std::unexpected(now.error());
    view = *now;
    open_ms.push_back(ms_since(f));
    next += kFrame;
    std::this_thread::sleep_until(next);
  }
  if (!view) return fail(ErrorCode::kInternal, "the set was not read in 60 s");
  r.read_ms = ms_since(opened);
  r.open_frame_ms_max = *std::ranges::max_element(open_ms);
  t = Clock::now();
  for (int i = 0; i < 100; ++i) {
    (void)library.sets_now();
    (void)library.view_now("all");
  }
  r.cached_frame_ms = ms_since(t) / 100;
  const auto sync_library = std::make_unique<FaceLibrary>(root / "faces");
  t = Clock::now();
  (void)sync_library->sets();  // reads every set, this one included
  r.sets_ms = ms_since(t);
  sync_library->forget("all");
  t = Clock::now();
  (void)sync_library->view("all");
  r.view_ms = ms_since(t);
  const FaceSetView& set = *view;
  const int n = static_cast<int>(set.faces.size());

  // The stand-in UI: a 30 frames/s loop asking for the faces in rows [top, top + rows) and
  // taking what is made, as face_browser.cpp and the atlas do.
  Thumbnails thumbs(96);
  std::set<std::string> have;  // the atlas (big enough here: cells are recycled in the studio)
  const auto frame = [&](int top_row, int& in_view, int& shown, int& taken) {
    in_view = shown = 0;
    const int first = std::clamp(top_row * options.columns, 0, n);
    const int last = std::min(n, first + options.rows * options.columns);
    // The next screen first (so that the faces in view are served before it), as the browser does.
    for (int i = last; i < std::min(n, last + options.rows * options.columns); ++i) {
      const fs::path png = set.folder / set.faces[static_cast<std::size_t>(i)].file;
      if (!have.contains(png.string())) thumbs.request(png);
    }
    for (int i = first; i < last; ++i) {
      const fs::path png = set.folder / set.faces[static_cast<std::size_t>(i)].file;
      ++in_view;
      if (have.contains(png.string())) {
        ++shown;
      } else {
        thumbs.request(png);
      }
    }
    std::vector<Thumbnail> made = thumbs.take(static_cast<std::size_t>(options.uploads_per_frame));
    taken = static_cast<int>(made.size());
    for (Thumbnail& m : made) have.insert(m.path.string());
  };
  int in_view = 0, shown = 0, taken = 0;
  t = Clock::now();
  next = Clock::now();
  for (int guard = 0; guard < 3000; ++guard) {
    frame(0, in_view, shown, taken);
    if (shown == in_view) break;
    next += kFrame;
    std::this_thread::sleep_until(next);
  }
  r.first_screen_ms = ms_since(t);
  r.first_screen_faces = in_view;

  // Scrolling through the whole set at a steady speed.
  const int total_rows = (n + options.columns - 1) / options.columns;
  const double rows_per_frame = options.scroll_rows_per_second / 30.0;
  std::vector<double> ui_ms;
  std::int64_t made = 0, views = 0, shown_total = 0;
  const auto scroll_start = Clock::now();
  next = Clock::now();
  for (double row = 0; row <= total_rows - options.rows; row += rows_per_frame) {
    const auto f = Clock::now();
    (void)library.sets_now();
    (void)library.view_now("all");
    frame(static_cast<int>(row), in_view, shown, taken);
    ui_ms.push_back(ms_since(f));
    made += taken;
    views += in_view;
    shown_total += shown;
    next += kFrame;
    std::this_thread::sleep_until(next);
  }
  r.scroll_s = ms_since(scroll_start) / 1000;
  r.frames = static_cast<int>(ui_ms.size());
  double sum = 0;
  for (double v : ui_ms) sum += v;
  r.ui_frame_ms_mean = ui_ms.empty() ? 0 : sum / static_cast<double>(ui_ms.size());
  r.ui_frame_ms_p95 = percentile(ui_ms, 0.95);
  r.ui_frame_ms_max = ui_ms.empty() ? 0 : *std::ranges::max_element(ui_ms);
  r.thumbnails_per_s = r.scroll_s > 0 ? static_cast<double>(made) / r.scroll_s : 0;
  r.shown_share = views > 0 ? static_cast<double>(shown_total) / static_cast<double>(views) : 0;
  return r;
}

}  // namespace mirage::workspace
