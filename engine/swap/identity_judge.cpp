#include "engine/swap/identity_judge.h"

#include <algorithm>
#include <cmath>

#include "engine/swap/face_pixels.h"

namespace mirage::swap {

cv::Rect faceapi_box(const face::Landmarks& landmarks, cv::Size image) {
  // face-api's minBbox starts its maxima at 0 and its minima at +infinity, in doubles.
  double min_x = INFINITY, min_y = INFINITY, max_x = 0, max_y = 0;
  for (const cv::Point2f& p : landmarks) {
    min_x = std::min(min_x, static_cast<double>(p.x));
    min_y = std::min(min_y, static_cast<double>(p.y));
    max_x = std::max(max_x, static_cast<double>(p.x));
    max_y = std::max(max_y, static_cast<double>(p.y));
  }
  // Box.pad(width * 0.2, height * 0.2), then Box.clipAtImageBorders (floored).
  const double width = max_x - min_x, height = max_y - min_y;
  const double pad_x = width * 0.2, pad_y = height * 0.2;
  const double x = min_x - pad_x / 2, y = min_y - pad_y / 2;
  const double right = x + (width + pad_x), bottom = y + (height + pad_y);
  const double clipped_x = std::max(x, 0.0), clipped_y = std::max(y, 0.0);
  const double clipped_w = std::min(right - clipped_x, image.width - clipped_x);
  const double clipped_h = std::min(bottom - clipped_y, image.height - clipped_y);
  const cv::Rect box(static_cast<int>(std::floor(clipped_x)), static_cast<int>(std::floor(clipped_y)),
                     static_cast<int>(std::floor(clipped_w)), static_cast<int>(std::floor(clipped_h)));
  if (box.width <= 0 || box.height <= 0) return {};
  return box & cv::Rect(0, 0, image.width, image.height);
}

model::FaceDescriptor mean_descriptor(std::span<const model::FaceDescriptor> descriptors) {
  model::FaceDescriptor mean{};
  if (descriptors.empty()) return mean;
  std::array<double, model::kFaceDescriptorSize> sum{};
  for (const auto& d : descriptors) {
    for (int i = 0; i < model::kFaceDescriptorSize; ++i) sum[i] += d[i];
  }
  for (int i = 0; i < model::kFaceDescriptorSize; ++i) mean[i] = static_cast<float>(sum[i] / descriptors.size());
  return mean;
}

Result<IdentityJudge> IdentityJudge::load(const std::filesystem::path& manifest) {
  auto net = model::FaceDescriptorNet::load(manifest);
  if (!net) return std::unexpected(net.error());
  IdentityJudge judge;
  judge.net_ = std::move(*net);
  return judge;
}

bool IdentityJudge::write_input(const cv::Mat& image, const face::Landmarks& landmarks, std::span<float> out) const {
  const cv::Rect box = faceapi_box(landmarks, image.size());
  if (box.empty()) return false;
  write_descriptor_input(image, box, kSide, out);
  return true;
}

Result<std::vector<model::FaceDescriptor>> IdentityJudge::describe(std::span<const float> inputs, int count) const {
  return net_->describe(inputs, count);
}

}  // namespace mirage::swap
