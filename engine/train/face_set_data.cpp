#include "engine/train/face_set_data.h"

#include <algorithm>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "engine/face/align.h"
#include "engine/face/face_set.h"
#include "engine/face/masks.h"

namespace mirage::train {
namespace {

std::vector<std::uint8_t> to_vector(const cv::Mat& mask) {
  const cv::Mat continuous = mask.isContinuous() ? mask : mask.clone();
  return {continuous.data, continuous.data + continuous.total()};
}

}  // namespace

float head_turn(const face::Landmarks& landmarks) {
  const cv::Point2f jaw = landmarks[16] - landmarks[0];
  const float length2 = jaw.dot(jaw);
  if (!(length2 > 1e-6f)) return 0.f;
  const float t = (landmarks[30] - landmarks[0]).dot(jaw) / length2;
  return std::clamp(2.f * t - 1.f, -1.f, 1.f);
}

Result<FaceBankSplit> load_face_bank(const std::filesystem::path& folder, int holdout_every) {
  auto set = face::FaceSet::load(folder);
  if (!set) return std::unexpected(set.error());
  if (set->faces().empty()) {
    return fail(ErrorCode::kInvalidArgument, "face set {} has no faces", folder.string());
  }
  FaceBankSplit split;
  for (std::size_t i = 0; i < set->faces().size(); ++i) {
    const face::FaceRecord& record = set->faces()[i];
    const auto path = folder / record.file;
    const cv::Mat bgr = cv::imread(path.string(), cv::IMREAD_COLOR);
    if (bgr.empty()) return fail(ErrorCode::kCorrupt, "cannot read face image {}", path.string());
    if (bgr.cols != record.size || bgr.rows != record.size) {
      return fail(ErrorCode::kCorrupt, "{}: {}x{} px, but faceset.json says {} px", path.string(),
                  bgr.cols, bgr.rows, record.size);
    }
    TrainFace face;
    face.size = record.size;
    cv::Mat rgb;
    cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
    face.rgb = to_vector(rgb.reshape(1, 1));
    const face::Landmarks crop = face::map_points(face::invert(record.face_to_frame), record.landmarks);
    face.hull = to_vector(face::landmark_mask(crop, record.size, face::MaskKind::kBrows));
    face.eyes = to_vector(face::region_mask(crop, record.size, face::FaceRegion::kEyes));
    face.mouth = to_vector(face::region_mask(crop, record.size, face::FaceRegion::kMouth));
    face.yaw = head_turn(crop);
    const bool held_out = holdout_every > 1 && (i + 1) % static_cast<std::size_t>(holdout_every) == 0;
    (held_out ? split.held_out : split.train).push_back(std::move(face));
  }
  return split;
}

}  // namespace mirage::train
