// `mirage eval`: quality numbers of a converted clip against its source.
//
//   swap::EvalOptions o{.source = "data/Megamind.avi", .output = "renders/megamind_b.mp4",
//                       .faces_a = project / "faces/a", .faces_b = project / "faces/b", .target = 1};
//   o.model = model.get();   // optional: adds reconstruction PSNR/SSIM of A -> A
//   auto report = swap::evaluate_clip(o);
//
// What is measured (frame i of the output against frame i of the source from source_start_s):
// - identity transfer: an LBPH classifier (IdentityClassifier) is trained on the real faces of
//   faces_a and faces_b except the held-out ones (every holdout_every-th face, index % N == N-1,
//   the split the trainer uses); its accuracy on those held-out faces is reported. Then, for
//   every frame whose source face it gives to the *other* identity, the output face (aligned
//   the same way) is classified: identity_transfer = share recognised as the target (with
//   target -1, a clip that swapped both identities, every face counts and its target is the
//   other identity than its source's).
// - expression fidelity: mean distance of the output face's 68 landmarks (dlib, re-detected on
//   the output) to the source's, divided by the source's inter-ocular distance (NME).
// - temporal stability: frame-to-frame landmark motion / IOD of output and source faces, and
//   the output's motion that the source does not have (excess jitter). Raw (unsmoothed) fits.
// - reconstruction (with a model): held-out faces of A through A's decoder, PSNR and SSIM of
//   the model crop (at the model's resolution) against the input.
// Faces are matched per frame: the source's largest face, the output face nearest to it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <limits>

#include "engine/core/error.h"
#include "engine/face/landmarks.h"
#include "engine/swap/metrics.h"
#include "engine/swap/swapper.h"

namespace mirage::swap {

struct EvalOptions {
  std::filesystem::path source;
  std::filesystem::path output;
  std::filesystem::path faces_a;
  std::filesystem::path faces_b;
  int target = 1;                      // the identity the clip was converted to; -1: each face to the other
  double source_start_s = 0.0;         // the output's first frame is the source's at this time
  const FaceSwapper* model = nullptr;  // optional, for reconstruction
  int holdout_every = 5;
  int max_reconstruction_faces = 256;
  double min_face_px = 100.0;
  std::filesystem::path landmark_model = face::default_landmark_model_path();
};

struct EvalReport {
  static constexpr double kNone = std::numeric_limits<double>::quiet_NaN();
  std::int64_t frames = 0;                  // output frames read
  std::int64_t frames_compared = 0;         // a face in both source and output
  std::int64_t classifier_train_faces = 0;
  std::int64_t classifier_held_out_faces = 0;
  double classifier_accuracy = kNone;       // on held-out real faces, [0, 1]
  std::int64_t identity_faces = 0;          // output faces whose source is the other identity
  double identity_transfer = kNone;         // share of those recognised as the target, [0, 1]
  double expression_error = kNone;          // mean NME
  double jitter_output = kNone;             // mean frame-to-frame motion / IOD
  double jitter_source = kNone;
  double jitter_excess = kNone;
  std::int64_t reconstruction_faces = 0;
  double reconstruction_psnr = kNone;       // dB
  double reconstruction_ssim = kNone;
};

struct EvalCallbacks {
  std::function<void(std::int64_t frames_done)> on_progress;
};

// The identity classifier of the metrics, trained on the faces of two face sets that are not
// held out (index % holdout_every == holdout_every - 1). Errors: FaceSet::load's,
// kInvalidArgument for a set without readable faces.
Result<IdentityClassifier> classifier_from_face_sets(const std::filesystem::path& faces_a,
                                                     const std::filesystem::path& faces_b, int holdout_every = 5);

// Errors: the videos' (kNotFound, kUnsupported), the face sets' (FaceSet::load), the model's,
// kInvalidArgument (target not 0 or 1, a face set without faces).
Result<EvalReport> evaluate_clip(const EvalOptions& options, const EvalCallbacks& callbacks = {});

}  // namespace mirage::swap
