#include "engine/swap/face_routing.h"

#include <algorithm>
#include <vector>

namespace mirage::swap {

bool TrackVotes::wants_vote(int track) const {
  const auto found = votes_.find(track);
  if (found == votes_.end()) return true;
  const int frames = found->second.frames;
  return frames < kSettleVotes || (frames - kSettleVotes) % kRecheckEvery == kRecheckEvery - 1;
}

int TrackVotes::target(int track, std::optional<int> vote) {
  Track& t = votes_[track];
  ++t.frames;
  if (vote) (*vote == 0 ? t.zero : t.one) += 1;
  if (t.zero + t.one == 0) return 1;
  return t.zero >= t.one ? 1 : 0;
}

Result<SwappedFaces> swap_faces(const FaceSwapper& model, std::span<const float> inputs, std::span<const int> targets) {
  const std::size_t n = targets.size();
  if (n == 0) return SwappedFaces{};
  const bool one_target = std::ranges::all_of(targets, [&](int t) { return t == targets.front(); });
  if (one_target) return model.swap(inputs, static_cast<int>(n), targets.front());
  const std::size_t r = static_cast<std::size_t>(model.resolution());
  const std::size_t face_floats = r * r * 3, mask_floats = r * r;
  SwappedFaces out;
  out.rgb.resize(n * face_floats);
  out.mask.resize(n * mask_floats, 1.0f);
  for (int to : {0, 1}) {
    std::vector<float> part_inputs;
    std::vector<std::size_t> which;
    for (std::size_t i = 0; i < n; ++i) {
      if (targets[i] != to) continue;
      which.push_back(i);
      const auto face = inputs.subspan(i * face_floats, face_floats);
      part_inputs.insert(part_inputs.end(), face.begin(), face.end());
    }
    if (which.empty()) continue;
    auto part = model.swap(part_inputs, static_cast<int>(which.size()), to);
    if (!part) return part;
    for (std::size_t k = 0; k < which.size(); ++k) {
      std::copy_n(part->rgb.begin() + k * face_floats, face_floats, out.rgb.begin() + which[k] * face_floats);
      if (!part->mask.empty()) {
        std::copy_n(part->mask.begin() + k * mask_floats, mask_floats, out.mask.begin() + which[k] * mask_floats);
      }
    }
  }
  return out;
}

}  // namespace mirage::swap
