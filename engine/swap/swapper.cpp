#include "engine/swap/swapper.h"

#include <algorithm>

#include <opencv2/imgproc.hpp>

#include "engine/core/check.h"
#include "engine/face/align.h"
#include "engine/swap/face_pixels.h"

namespace mirage::swap {

cv::Matx23d compose(const cv::Matx23d& a, const cv::Matx23d& b) {
  const cv::Matx33d a3(a(0, 0), a(0, 1), a(0, 2), a(1, 0), a(1, 1), a(1, 2), 0, 0, 1);
  const cv::Matx33d b3(b(0, 0), b(0, 1), b(0, 2), b(1, 0), b(1, 1), b(1, 2), 0, 0, 1);
  const cv::Matx33d m = a3 * b3;
  return {m(0, 0), m(0, 1), m(0, 2), m(1, 0), m(1, 1), m(1, 2)};
}

FrameSwapper::FrameSwapper(const FaceSwapper& model, SwapperOptions options)
    : model_(model), options_(std::move(options)), resolution_(model.resolution()) {
  MIRAGE_CHECK(resolution_ >= 8 && options_.composite_px >= 8);
  MIRAGE_CHECK(validate(options_.composite).has_value());
  model_to_aligned_ = model.model_to_aligned(resolution_, kAlignedSide);
  composite_to_aligned_ = model.model_to_aligned(options_.composite_px, kAlignedSide);
}

PreparedFace FrameSwapper::prepare(const cv::Mat& frame, const face::Landmarks& landmarks,
                                   std::vector<float>& inputs) const {
  const face::AlignOptions align{.size = kAlignedSide, .coverage = kAlignedCoverage};
  const cv::Matx23d frame_to_aligned = face::frame_to_face_matrix(landmarks, align);
  const cv::Matx23d aligned_to_frame = face::invert(frame_to_aligned);

  // The model square of the aligned crop, warped straight from the frame at aligned
  // resolution, then area-resized to R (a face-set PNG goes the same way into training).
  const cv::Matx23d square_to_aligned = model_.model_to_aligned(kAlignedSide, kAlignedSide);
  cv::Mat square, input;
  cv::warpAffine(frame, square, compose(face::invert(square_to_aligned), frame_to_aligned),
                 {kAlignedSide, kAlignedSide}, cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  cv::resize(square, input, {resolution_, resolution_}, 0, 0, cv::INTER_AREA);
  const std::size_t offset = inputs.size();
  inputs.resize(offset + static_cast<std::size_t>(resolution_) * resolution_ * 3);
  write_model_input(input, std::span(inputs).subspan(offset));

  PreparedFace prepared;
  prepared.landmarks = landmarks;
  prepared.composite_to_frame = compose(aligned_to_frame, composite_to_aligned_);
  const cv::Matx23d frame_to_composite = face::invert(prepared.composite_to_frame);
  prepared.hull = face::landmark_mask(face::map_points(frame_to_composite, landmarks), options_.composite_px,
                                      options_.hull);
  return prepared;
}

std::vector<FaceLayer> FrameSwapper::layers(std::span<const PreparedFace> faces, const SwappedFaces& output) const {
  const int side = options_.composite_px;
  std::vector<FaceLayer> layers(faces.size());
  for (std::size_t i = 0; i < faces.size(); ++i) {
    FaceLayer& layer = layers[i];
    cv::resize(read_model_face(output.rgb, static_cast<int>(i), resolution_), layer.face, {side, side}, 0, 0,
               cv::INTER_CUBIC);
    cv::max(layer.face, cv::Scalar::all(0.0), layer.face);
    cv::min(layer.face, cv::Scalar::all(1.0), layer.face);
    if (options_.learned_mask && !output.mask.empty()) {
      cv::resize(read_model_mask(output.mask, static_cast<int>(i), resolution_), layer.learned_mask, {side, side},
                 0, 0, cv::INTER_LINEAR);
    }
    layer.hull_mask = faces[i].hull;
    layer.face_to_frame = faces[i].composite_to_frame;
  }
  return layers;
}

void FrameSwapper::composite(cv::Mat& frame, std::span<const PreparedFace> faces, const SwappedFaces& output) const {
  for (const FaceLayer& layer : layers(faces, output)) swap::composite(frame, layer, options_.composite);
}

void draw_synthetic_label(cv::Mat& frame) {
  static constexpr const char* kText = "synthetic";
  const double scale = std::max(0.3, frame.rows * 0.025 / 22.0);  // HERSHEY_SIMPLEX is ~22 px at 1.0
  const int thickness = std::max(1, static_cast<int>(scale * 1.5));
  int baseline = 0;
  const cv::Size text = cv::getTextSize(kText, cv::FONT_HERSHEY_SIMPLEX, scale, thickness, &baseline);
  const int pad = std::max(2, text.height / 3);
  const cv::Rect box(frame.cols - text.width - 3 * pad, frame.rows - text.height - baseline - 3 * pad,
                     text.width + 2 * pad, text.height + baseline + 2 * pad);
  const cv::Rect clipped = box & cv::Rect(0, 0, frame.cols, frame.rows);
  if (clipped.empty()) return;
  cv::Mat region = frame(clipped);
  region.convertTo(region, -1, 0.35, 0);  // darken, so the text reads on any background
  cv::putText(frame, kText, {box.x + pad, box.y + pad + text.height}, cv::FONT_HERSHEY_SIMPLEX, scale,
              cv::Scalar(255, 255, 255), thickness, cv::LINE_AA);
}

}  // namespace mirage::swap
