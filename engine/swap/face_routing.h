// Which identity each face becomes, and the model call that does it: shared by `convert`'s
// stages and the studio's player, so the two route faces the same way.
//
//   swap::TrackVotes votes;                                  // one per pass over a video
//   const int to = votes.target(face.track, classifier.predict(aligned));   // kSwapBoth
//   auto out = swap::swap_faces(model, inputs, targets);     // one model call per identity
//
// Not thread-safe (TrackVotes); swap_faces is as thread-safe as the model's swap().
#pragma once

#include <map>
#include <span>
#include <utility>

#include "engine/core/error.h"
#include "engine/swap/swapper.h"

namespace mirage::swap {

// Per-track identity votes for swapping both identities: a face becomes the other identity than
// its track's majority so far (ties go to the first vote), so one misjudged frame cannot flip it.
class TrackVotes {
 public:
  // vote: the identity (0 or 1) the classifier saw in this frame; returns the target (1 - majority).
  int target(int track, int vote);
  void clear() { votes_.clear(); }

 private:
  std::map<int, std::pair<int, int>> votes_;
};

// Faces (count = targets.size(), NHWC inputs as FrameSwapper::prepare() cuts them) through the
// model, one call per target identity; outputs in input order. The model's errors.
Result<SwappedFaces> swap_faces(const FaceSwapper& model, std::span<const float> inputs, std::span<const int> targets);

}  // namespace mirage::swap
