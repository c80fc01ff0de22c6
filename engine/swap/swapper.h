// The per-frame swapper: tracked landmarks -> model input -> (model) -> composite.
//
//   std::unique_ptr<swap::FaceSwapper> model = ...;        // make_model_swapper(), or a test double
//   swap::FrameSwapper swapper(*model, {.to = 1});
//   std::vector<float> inputs;
//   std::vector<swap::PreparedFace> faces;
//   for (const face::TrackedFace& f : tracked) faces.push_back(swapper.prepare(frame, f.landmarks, inputs));
//   auto out = model->swap(inputs, faces.size(), 1);       // may run on another thread
//   if (out) swapper.composite(frame, faces, *out);
//
// Geometry: a face's landmarks give the engine/face aligned crop (kAlignedSide px, coverage
// kAlignedCoverage, as the face sets the model was trained on). The model sees the square of
// that crop that FaceSwapper::model_to_aligned() describes, resized to resolution() px with
// INTER_AREA (as a face-set PNG is resized for training). The compositor works on the same
// square at composite_px: the model's face (resized, bicubic) and learned mask (bilinear), times
// the landmark hull drawn in that square.
// prepare() and composite() are const and thread-safe; the FaceSwapper must outlive the swapper.
#pragma once

#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "engine/core/error.h"
#include "engine/face/landmarks.h"
#include "engine/face/masks.h"
#include "engine/swap/compositor.h"

namespace mirage::swap {

inline constexpr int kAlignedSide = 256;
inline constexpr double kAlignedCoverage = 0.6;

// Faces out of a model: NHWC RGB [0, 1] (count*R*R*3) and learned masks [0, 1] (count*R*R).
struct SwappedFaces {
  std::vector<float> rgb;
  std::vector<float> mask;
};

// What turns aligned faces into another identity's. The model behind it is engine/model's
// InferenceModel (make_model_swapper); tests use small stand-ins. swap() must be thread-safe.
class FaceSwapper {
 public:
  virtual ~FaceSwapper() = default;
  virtual int resolution() const = 0;   // R: the model's input and output side in pixels
  virtual int identities() const = 0;   // decoders; `to` is in [0, identities())
  virtual std::string preset() const = 0;
  // Model pixels (side `resolution`) -> pixels of an aligned crop of side `aligned_side`.
  virtual cv::Matx23d model_to_aligned(int resolution, int aligned_side) const = 0;
  // faces: count * R * R * 3 floats, NHWC RGB in [0, 1]. Errors from the model, one line.
  virtual Result<SwappedFaces> swap(std::span<const float> faces, int count, int to) const = 0;
  // Provenance: SHA-256 of the weights in use (empty when there are none, as for test models),
  // and the checkpoint file they came from (empty for a trainer's snapshot).
  virtual std::string weights_sha256() const { return {}; }
  virtual std::filesystem::path checkpoint_path() const { return {}; }
};

struct SwapperOptions {
  CompositeOptions composite;
  face::MaskKind hull = face::MaskKind::kBrows;
  bool learned_mask = true;  // multiply the hull by the model's mask
  int composite_px = 256;    // side of the compositing crop (the model square, resized)
};

// A face on its way through the swapper.
struct PreparedFace {
  face::Landmarks landmarks{};   // frame pixels
  cv::Matx23d composite_to_frame;
  cv::Mat hull;                  // composite_px square, CV_8UC1 0/255
};

// a o b for 2x3 affine matrices (apply b, then a).
cv::Matx23d compose(const cv::Matx23d& a, const cv::Matx23d& b);

class FrameSwapper {
 public:
  FrameSwapper(const FaceSwapper& model, SwapperOptions options);

  // Cuts the model input of one face (landmarks in frame pixels) out of `frame` (8-bit BGR) and
  // appends its R*R*3 floats to `inputs`.
  PreparedFace prepare(const cv::Mat& frame, const face::Landmarks& landmarks, std::vector<float>& inputs) const;
  // The compositor's layers for faces[i] = output face i: the model's face resized (bicubic,
  // clamped to [0, 1]) and its learned mask (bilinear) to composite_px, with the face's hull.
  std::vector<FaceLayer> layers(std::span<const PreparedFace> faces, const SwappedFaces& output) const;
  // Composites faces[i] = output face i into `frame`, in order, on the CPU.
  void composite(cv::Mat& frame, std::span<const PreparedFace> faces, const SwappedFaces& output) const;

  const SwapperOptions& options() const { return options_; }
  const FaceSwapper& model() const { return model_; }

 private:
  const FaceSwapper& model_;
  SwapperOptions options_;
  int resolution_;
  cv::Matx23d model_to_aligned_;      // model pixels -> aligned pixels
  cv::Matx23d composite_to_aligned_;  // composite pixels -> aligned pixels
};

// The visible mark: "synthetic" in a small dark box in the bottom-right corner, sized to the
// frame (about 2.5 % of its height). Drawn on every output frame unless turned off explicitly.
void draw_synthetic_label(cv::Mat& frame);

}  // namespace mirage::swap
