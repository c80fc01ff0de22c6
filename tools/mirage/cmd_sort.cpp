// `mirage sort <faceset> --by identity|blur|size|yaw`: orders a face set, clusters it by
// identity, and moves blurred or small faces aside.
#include <cstdio>

#include "engine/core/config.h"
#include "engine/face/face_set.h"
#include "engine/face/sort.h"
#include "tools/mirage/commands.h"
#include "tools/mirage/options.h"

namespace mirage::cli {

int run_sort(const Args& args) {
  Options opts("sort");
  opts.allow_positional(1);
  opts.add("--by", "identity", "identity, blur, size or yaw");
  opts.add("--clusters", "0", "identity: number of people (0: choose automatically)");
  opts.add("--max-clusters", "6", "identity: the most people to consider when choosing");
  opts.add("--min-blur", "0", "move faces whose blur score is below this into <set>/rejected");
  opts.add("--min-size", "0", "move faces narrower than this (frame pixels) into <set>/rejected");
  opts.flag("--split", "identity: also copy each identity into <set>/identity_<k>");
  opts.flag("--no-tracks", "identity: do not let tracked faces vote on their identity");
  opts.flag("--json", "print a machine-readable summary on stdout");
  if (auto s = opts.parse(args); !s) return usage_error(opts, s.error());
  if (opts.wants_help()) {
    std::printf("usage: mirage sort <faceset> [options]\n%s", opts.usage().c_str() + opts.usage().find('\n') + 1);
    return 0;
  }
  if (opts.positional().size() != 1) {
    return usage_error(opts, Error{ErrorCode::kInvalidArgument, "expected exactly one face-set folder"});
  }
  auto key = face::parse_sort_key(opts.get("--by"));
  auto clusters = opts.get_int("--clusters", 0, 100);
  auto max_clusters = opts.get_int("--max-clusters", 2, 100);
  auto min_blur = opts.get_double("--min-blur", 0, 1e9);
  auto min_size = opts.get_double("--min-size", 0, 1e6);
  if (!key) return usage_error(opts, key.error());
  for (const auto* r : {&clusters, &max_clusters}) {
    if (!*r) return usage_error(opts, r->error());
  }
  if (!min_blur) return usage_error(opts, min_blur.error());
  if (!min_size) return usage_error(opts, min_size.error());

  const std::string folder = opts.positional().front();
  auto set = face::FaceSet::load(folder);
  if (!set) return command_error("sort", set.error());
  face::SortOptions options;
  options.key = *key;
  options.clusters = static_cast<int>(*clusters);
  options.max_clusters = static_cast<int>(*max_clusters);
  options.min_blur = *min_blur;
  options.min_size_px = *min_size;
  options.split = opts.has("--split");
  options.use_tracks = !opts.has("--no-tracks");
  auto report = face::sort_face_set(*set, options);
  if (!report) return command_error("sort", report.error());

  if (opts.has("--json")) {
    const Json json{{"faceset", folder}, {"by", opts.get("--by")}, {"faces", set->faces().size()},
                    {"rejected", report->rejected}, {"clusters", report->clusters},
                    {"silhouette", report->silhouette}, {"per_identity", report->per_identity},
                    {"missing_images", report->missing_images}};
    std::printf("%s\n", json.dump(2).c_str());
    return 0;
  }
  std::printf("%s: %zu faces sorted by %s", folder.c_str(), set->faces().size(), opts.get("--by").c_str());
  if (report->rejected > 0) std::printf(", %lld moved to rejected/", static_cast<long long>(report->rejected));
  std::printf("\n");
  if (*key == face::SortKey::kIdentity) {
    std::printf("%d identities (silhouette %.2f):\n", report->clusters, report->silhouette);
    for (std::size_t k = 0; k < report->per_identity.size(); ++k) {
      std::printf("  identity %zu: %lld faces\n", k, static_cast<long long>(report->per_identity[k]));
    }
  }
  if (report->missing_images > 0) {
    std::fprintf(stderr, "mirage sort: %lld faces have no readable PNG and were left unsorted\n",
                 static_cast<long long>(report->missing_images));
  }
  return 0;
}

}  // namespace mirage::cli
