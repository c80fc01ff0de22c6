// `mirage eval`: quality numbers of a converted clip against its source, judged by a pretrained
// face-recognition network that Mirage never trains (swap/identity_judge.h).
//
//   swap::EvalOptions o{.source = "data/Megamind.avi", .output = "renders/megamind_b.mp4",
//                       .faces_a = project / "faces/a", .faces_b = project / "faces/b", .target = 1};
//   o.model = model.get();   // optional: adds reconstruction PSNR/SSIM of A -> A
//   auto report = swap::evaluate_clip(o);
//
// Frame i of the output is compared with frame i of the source from source_start_s. Every face
// the tracker follows in the source (raw fits, no smoothing) is judged where the tracker put it:
// the output frame is cut with the source face's own alignment (an engine/face aligned crop), so
// a swap that moved, vanished or stopped being a face counts as a failure, never as a skip.
// - identity: descriptors of real faces of each face set give each identity's mean (the faces
//   the trainer holds out, index % holdout_every == holdout_every - 1, when each set has at least
//   kMinHeldOut of them: frames the model was not trained on; otherwise all faces). A source face
//   belongs to the identity whose mean is nearer; it was swapped when that is not the target
//   (target -1: every face, to the other identity). Per swapped face: is the output's descriptor
//   nearer the target's mean than the source's (transfer), and its distance to each. Sanity:
//   the judge's leave-one-out accuracy on those real faces, and their mean distance to their own
//   identity's mean (the spread of one real person, ~0.3 on Megamind).
// - faces found: of the swapped faces on which the detector (HOG, run on the face's surroundings)
//   finds a face where the tracker put it in the source frame, the share on which it still finds
//   one there in the output frame.
// - detail: Laplacian variance over the inner face (swap::inner_face_detail: eye corners to eye
//   corners, brows to lower lip, at about the face's own resolution) of the output over that of
//   the source, summed over swapped faces (1.0: as sharp as the source).
// - expression (NME) and jitter: on each frame's largest source face, the landmarks of the
//   output frame against the source frame's, both fitted in the box the tracker fitted the
//   source's in and averaged over 9 boxes around it (one fit moves by ~0.03 IOD when a frame is
//   merely re-encoded; this way a re-encode scores ~0.01 and the numbers are the faces').
// - reconstruction (with a model): held-out faces of A through A's decoder, PSNR and SSIM of the
//   model crop against the input.
// The judge only measures: nothing in training, sampling or early stopping reads it.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <limits>

#include "engine/core/error.h"
#include "engine/face/landmarks.h"
#include "engine/model/face_descriptor.h"
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
  int max_real_faces = 200;            // per identity, for the judge's means (spread evenly)
  double min_face_px = 100.0;
  std::filesystem::path landmark_model = face::default_landmark_model_path();
  std::filesystem::path judge_model = model::default_face_descriptor_manifest();
};

inline constexpr int kMinHeldOut = 5;

// The judge's numbers for the faces swapped from one identity (or all of them).
struct JudgedFaces {
  static constexpr double kNone = std::numeric_limits<double>::quiet_NaN();
  std::int64_t faces = 0;             // swapped faces judged
  double transfer = kNone;            // share nearer the target's mean than the source's, [0, 1]
  double distance_to_target = kNone;  // mean descriptor distance of the output to the target's mean
  double distance_to_source = kNone;  // ... and to the source identity's mean
  std::int64_t detectable = 0;        // of `faces`, those the detector finds in the source frame
  double faces_found = kNone;         // share of those it still finds in the output, [0, 1]
  double detail = kNone;              // output / source fine detail over the inner face
};

struct EvalReport {
  static constexpr double kNone = std::numeric_limits<double>::quiet_NaN();
  std::int64_t frames = 0;                  // output frames read
  std::int64_t frames_compared = 0;         // with a source face (the output fitted in its box)
  // The judge on real faces.
  std::array<std::int64_t, 2> real_faces{};  // per identity, descriptors averaged into its mean
  bool means_from_held_out = false;          // those were faces the trainer held out
  double judge_accuracy = kNone;             // leave-one-out nearest-mean accuracy on them, [0, 1]
  double real_spread = kNone;                // their mean distance to their own identity's mean
  // Swapped faces: per source identity (from A, from B) and overall.
  std::array<JudgedFaces, 2> from{};
  JudgedFaces overall;
  double expression_error = kNone;          // mean NME
  std::array<double, kFaceParts> expression_by_part{kNone, kNone, kNone, kNone, kNone};  // kFacePartNames
  double jitter_output = kNone;             // mean frame-to-frame motion / IOD
  double jitter_source = kNone;
  double jitter_excess = kNone;
  std::int64_t reconstruction_faces = 0;
  double reconstruction_psnr = kNone;       // dB
  double reconstruction_ssim = kNone;
  double seconds = 0.0;                     // wall time of the whole evaluation
};

struct EvalCallbacks {
  std::function<void(std::int64_t frames_done)> on_progress;
};

// Errors: the videos' (kNotFound, kUnsupported), the face sets' (FaceSet::load), the judge's
// (IdentityJudge::load: a missing or damaged model names tools/setup), the model's,
// kInvalidArgument (target not 0, 1 or -1, a face set without faces).
Result<EvalReport> evaluate_clip(const EvalOptions& options, const EvalCallbacks& callbacks = {});

}  // namespace mirage::swap
