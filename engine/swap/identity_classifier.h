// Which of two people a face is, for routing faces in `convert --to both` and the studio: an
// LBPH classifier (OpenCV's face module) trained on the real faces of the two face sets. It is a
// fast router, not a judge: `mirage eval` measures identity with the face-recognition network of
// swap/identity_judge.h instead.
//
//   auto classifier = swap::classifier_from_face_sets(project / "faces/a", project / "faces/b");
//   int who = classifier->predict(aligned_face);   // 0 or 1
//
// An IdentityClassifier is read-only after train() and its predict() may run on several threads.
#pragma once

#include <filesystem>
#include <memory>
#include <vector>

#include <opencv2/core.hpp>

#include "engine/core/error.h"

namespace mirage::swap {

// LBPH (OpenCV face module, radius 1, 8 neighbours, 8x8 grid) on grey 64x64 versions of
// aligned faces; labels are the indices of the groups given to train().
class IdentityClassifier {
 public:
  // groups[i]: aligned faces (8-bit BGR, any size) of identity i. kInvalidArgument when a
  // group is empty or there are fewer than 2.
  static Result<IdentityClassifier> train(const std::vector<std::vector<cv::Mat>>& groups);
  int predict(const cv::Mat& aligned_face) const;
  // Share of faces predicted as their group index, in [0, 1].
  double accuracy(const std::vector<std::vector<cv::Mat>>& groups) const;

 private:
  struct Model;
  std::shared_ptr<const Model> model_;
};

// The classifier trained on the faces of two face sets that are not held out (index %
// holdout_every == holdout_every - 1, the trainer's split). Errors: FaceSet::load's,
// kInvalidArgument for a set without readable faces.
Result<IdentityClassifier> classifier_from_face_sets(const std::filesystem::path& faces_a,
                                                     const std::filesystem::path& faces_b, int holdout_every = 5);

}  // namespace mirage::swap
