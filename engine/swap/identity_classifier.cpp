#include "engine/swap/identity_classifier.h"

#include <opencv2/face.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "engine/face/face_set.h"

namespace mirage::swap {
namespace {

constexpr int kClassifierSide = 64;

// The classifier looks at the inner face only (brows to chin, cheek to cheek in an aligned crop
// of coverage 0.6): that is the region a swap replaces. On the whole crop, hair, ears and
// background decide the vote and a swapped face is still "recognised" as the source person.
constexpr double kInnerLeft = 0.28, kInnerRight = 0.72, kInnerTop = 0.28, kInnerBottom = 0.80;

cv::Mat classifier_input(const cv::Mat& aligned) {
  const cv::Rect inner(cv::Point(static_cast<int>(kInnerLeft * aligned.cols), static_cast<int>(kInnerTop * aligned.rows)),
                       cv::Point(static_cast<int>(kInnerRight * aligned.cols), static_cast<int>(kInnerBottom * aligned.rows)));
  const cv::Mat face = aligned(inner);
  cv::Mat grey, small;
  if (face.channels() == 3) {
    cv::cvtColor(face, grey, cv::COLOR_BGR2GRAY);
  } else {
    grey = face;
  }
  cv::resize(grey, small, {kClassifierSide, kClassifierSide}, 0, 0, cv::INTER_AREA);
  cv::equalizeHist(small, small);
  return small;
}

}  // namespace

struct IdentityClassifier::Model {
  cv::Ptr<cv::face::LBPHFaceRecognizer> lbph;
};

Result<IdentityClassifier> IdentityClassifier::train(const std::vector<std::vector<cv::Mat>>& groups) {
  if (groups.size() < 2) return fail(ErrorCode::kInvalidArgument, "an identity classifier needs at least two identities");
  std::vector<cv::Mat> images;
  std::vector<int> labels;
  for (std::size_t g = 0; g < groups.size(); ++g) {
    if (groups[g].empty()) return fail(ErrorCode::kInvalidArgument, "identity {} has no faces to learn from", g);
    for (const cv::Mat& face : groups[g]) {
      images.push_back(classifier_input(face));
      labels.push_back(static_cast<int>(g));
    }
  }
  auto model = std::make_shared<Model>();
  try {
    model->lbph = cv::face::LBPHFaceRecognizer::create(1, 8, 8, 8);
    model->lbph->train(images, labels);
  } catch (const cv::Exception& e) {
    return fail(ErrorCode::kInternal, "training the identity classifier failed: {}", e.msg);
  }
  IdentityClassifier classifier;
  classifier.model_ = std::move(model);
  return classifier;
}

int IdentityClassifier::predict(const cv::Mat& aligned_face) const {
  int label = -1;
  double distance = 0;
  model_->lbph->predict(classifier_input(aligned_face), label, distance);
  return label;
}

double IdentityClassifier::accuracy(const std::vector<std::vector<cv::Mat>>& groups) const {
  std::size_t right = 0, total = 0;
  for (std::size_t g = 0; g < groups.size(); ++g) {
    for (const cv::Mat& face : groups[g]) {
      right += predict(face) == static_cast<int>(g) ? 1 : 0;
      ++total;
    }
  }
  return total > 0 ? static_cast<double>(right) / static_cast<double>(total) : 0.0;
}

Result<IdentityClassifier> classifier_from_face_sets(const std::filesystem::path& faces_a,
                                                     const std::filesystem::path& faces_b, int holdout_every) {
  std::vector<std::vector<cv::Mat>> groups(2);
  const std::filesystem::path folders[2] = {faces_a, faces_b};
  for (int g = 0; g < 2; ++g) {
    auto set = face::FaceSet::load(folders[g]);
    if (!set) return std::unexpected(set.error());
    const auto& faces = set->faces();
    for (std::size_t i = 0; i < faces.size(); ++i) {
      if (holdout_every > 1 && static_cast<int>(i % holdout_every) == holdout_every - 1) continue;
      cv::Mat image = cv::imread((folders[g] / faces[i].file).string(), cv::IMREAD_COLOR);
      if (!image.empty()) groups[g].push_back(std::move(image));
    }
    if (groups[g].empty()) return fail(ErrorCode::kInvalidArgument, "{}: no readable faces", folders[g].string());
  }
  return IdentityClassifier::train(groups);
}

}  // namespace mirage::swap
