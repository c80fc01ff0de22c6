// `mirage bench faces`: the face browser's engine side on a set of thousands of faces.
#include <cstdio>

#include "engine/workspace/face_benchmark.h"
#include "tools/mirage/commands.h"
#include "tools/mirage/options.h"

namespace mirage::cli {

int run_bench_faces(const Args& args) {
  Options opts("bench faces");
  opts.add("--input", "data/Megamind.avi", "the clip whose faces make the set");
  opts.add("--faces", "5000", "faces in the set");
  opts.add("--keep", "", "leave the project in this folder (then: mirage-studio --project DIR, Faces)");
  if (auto s = opts.parse(args); !s) return usage_error(opts, s.error());
  if (opts.wants_help()) {
    std::printf("%s", opts.usage().c_str());
    return 0;
  }
  auto faces = opts.get_int("--faces", 1, 1000000);
  if (!faces) return usage_error(opts, faces.error());
  auto r = workspace::run_face_benchmark({.clip = opts.get("--input"), .faces = static_cast<int>(*faces), .keep = opts.get("--keep")});
  if (!r) return command_error("bench faces", r.error());
  std::printf("mirage bench faces: a set of %d faces (made in %.1f s, not counted)\n", r->faces, r->make_s);
  std::printf("  open:         the set read in %.0f ms on the library's thread; the UI thread's longest frame meanwhile %.2f ms\n"
              "                (waiting instead: sets() %.0f ms, view() %.0f ms)\n",
              r->read_ms, r->open_frame_ms_max, r->sets_ms, r->view_ms);
  std::printf("  every frame:  %.3f ms to check the sets and the shown set are unchanged on disk\n", r->cached_frame_ms);
  std::printf("  first screen: %d thumbnails in %.0f ms (%.1f frames at 30 frames/s)\n", r->first_screen_faces,
              r->first_screen_ms, r->first_screen_ms / 33.3);
  std::printf("  scrolling:    %d frames over %.1f s; the UI thread's part %.2f ms mean, %.2f ms p95, %.2f ms worst"
              " (budget 33.3 ms)\n",
              r->frames, r->scroll_s, r->ui_frame_ms_mean, r->ui_frame_ms_p95, r->ui_frame_ms_max);
  std::printf("                %.0f thumbnails/s made; %.1f %% of the faces in view had theirs\n", r->thumbnails_per_s,
              100 * r->shown_share);
  if (!opts.get("--keep").empty()) std::printf("  kept: %s (faces/all)\n", opts.get("--keep").c_str());
  return 0;
}

}  // namespace mirage::cli
