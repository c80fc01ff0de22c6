// Which identity each face becomes, and the model call that does it: shared by `convert`'s
// stages and the studio's player, so the two route faces the same way.
//
//   swap::TrackVotes votes;                                  // one per pass over a video
//   const int to = votes.target(face.track, votes.wants_vote(face.track)     // kSwapBoth
//                                               ? std::optional(classifier.predict(aligned)) : std::nullopt);
//   auto out = swap::swap_faces(model, inputs, targets);     // one model call per identity
//
// Not thread-safe (TrackVotes); swap_faces is as thread-safe as the model's swap().
#pragma once

#include <map>
#include <optional>
#include <span>
#include <utility>

#include "engine/core/error.h"
#include "engine/swap/swapper.h"

namespace mirage::swap {

// Per-track identity votes for swapping both identities: a face becomes the other identity than
// its track's majority so far (ties go to the first vote), so one misjudged frame cannot flip it.
// A track is judged on its first kSettleVotes frames and then every kRecheckEvery-th: a settled
// majority moves slowly, and judging every face of every frame took a tenth of the player's CPU.
class TrackVotes {
 public:
  static constexpr int kSettleVotes = 8;
  static constexpr int kRecheckEvery = 12;
  // Whether this frame of `track` (the next target() call for it) should be judged.
  bool wants_vote(int track) const;
  // vote: the identity (0 or 1) the classifier saw in this frame, if it was judged; returns the
  // target (1 - majority; 1 for a track never judged).
  int target(int track, std::optional<int> vote);
  void clear() { votes_.clear(); }

 private:
  struct Track {
    int zero = 0, one = 0;
    int frames = 0;
  };
  std::map<int, Track> votes_;
};

// Faces (count = targets.size(), NHWC inputs as FrameSwapper::prepare() cuts them) through the
// model, one call per target identity; outputs in input order. The model's errors.
Result<SwappedFaces> swap_faces(const FaceSwapper& model, std::span<const float> inputs, std::span<const int> targets);

}  // namespace mirage::swap
