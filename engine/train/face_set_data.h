// Training faces from engine/face face sets (aligned PNGs + faceset.json): each face with its
// landmark hull, eye and mouth masks, ready for the data pipeline. Built only with engine/face
// (OpenCV); the model core trains on any FaceBank without it.
//
//   auto a = load_face_bank(project / "faces/a", /*holdout_every=*/5);
//   if (!a) { print(a.error().to_string()); return 1; }
//   // a->train: 4 of every 5 faces; a->held_out: every 5th (index % 5 == 4), for evaluation
#pragma once

#include <filesystem>

#include "engine/core/error.h"
#include "engine/face/landmarks.h"
#include "engine/train/data_pipeline.h"

namespace mirage::train {

struct FaceBankSplit {
  FaceBank train;
  FaceBank held_out;
};

// The head's turn seen in 68 landmarks: where the nose tip (30) projects on the line from one
// end of the jaw (0) to the other (16), mapped to [-1, 1]: 0 frontal, the sign the side the nose
// points to in the image (positive: towards point 16). Rotation, scale and shift do not change it;
// a mirror image negates it.
float head_turn(const face::Landmarks& landmarks);

// holdout_every: 0 keeps every face for training; N > 1 holds out faces N-1, 2N-1, ...
// Errors: FaceSet::load's (kNotFound, kCorrupt, kUnsupported, kIo); kCorrupt for an unreadable
// PNG or one whose size differs from its record; kInvalidArgument for a set without faces.
Result<FaceBankSplit> load_face_bank(const std::filesystem::path& folder, int holdout_every);

}  // namespace mirage::train
