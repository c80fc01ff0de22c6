#include "engine/face/sort.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <numeric>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "engine/face/align.h"

namespace mirage::face {
namespace fs = std::filesystem;
namespace {

constexpr int kGrid = 4;
constexpr int kLbpBins = 59;
constexpr int kPcaDims = 24;
constexpr int kSilhouetteSample = 1500;

// Uniform LBP: the 58 patterns with at most two 0/1 transitions get their own bin, the rest bin 58.
const std::array<uchar, 256>& uniform_table() {
  static const std::array<uchar, 256> kTable = [] {
    std::array<uchar, 256> table{};
    int next = 0;
    for (int code = 0; code < 256; ++code) {
      int transitions = 0;
      for (int bit = 0; bit < 8; ++bit) transitions += ((code >> bit) & 1) != ((code >> ((bit + 1) % 8)) & 1);
      table[code] = static_cast<uchar>(transitions <= 2 ? next++ : 58);
    }
    return table;
  }();
  return kTable;
}

void hellinger_normalise(float* values, int count) {
  double sum = 0;
  for (int i = 0; i < count; ++i) sum += values[i];
  for (int i = 0; i < count; ++i) values[i] = static_cast<float>(std::sqrt(values[i] / std::max(sum, 1e-9)));
}

// Face and forehead of an aligned crop, from the template's face box.
cv::Rect face_region(const cv::Size& size, double coverage) {
  AlignOptions align;
  align.size = size.width;
  align.coverage = coverage;
  const cv::Matx23d m = template_to_crop(align);
  const cv::Point2f a = map_point(m, {0.f, -0.25f}), b = map_point(m, {1.f, 1.f});
  return cv::Rect(cv::Point(cvRound(a.x), cvRound(a.y)), cv::Point(cvRound(b.x), cvRound(b.y))) &
         cv::Rect(0, 0, size.width, size.height);
}

void describe(const cv::Mat& aligned, double coverage, float* out) {
  const cv::Mat region = aligned(face_region(aligned.size(), coverage));
  cv::Mat gray, small;
  cv::cvtColor(region, gray, cv::COLOR_BGR2GRAY);
  cv::resize(gray, small, cv::Size(66, 66), 0, 0, cv::INTER_AREA);
  cv::equalizeHist(small, small);
  const auto& table = uniform_table();
  const int cell = 64 / kGrid;
  std::fill(out, out + kGrid * kGrid * kLbpBins, 0.f);
  for (int y = 1; y < 65; ++y) {
    for (int x = 1; x < 65; ++x) {
      const uchar c = small.at<uchar>(y, x);
      const int code = (small.at<uchar>(y - 1, x - 1) >= c) << 7 | (small.at<uchar>(y - 1, x) >= c) << 6 |
                       (small.at<uchar>(y - 1, x + 1) >= c) << 5 | (small.at<uchar>(y, x + 1) >= c) << 4 |
                       (small.at<uchar>(y + 1, x + 1) >= c) << 3 | (small.at<uchar>(y + 1, x) >= c) << 2 |
                       (small.at<uchar>(y + 1, x - 1) >= c) << 1 | (small.at<uchar>(y, x - 1) >= c);
      const int bin = ((y - 1) / cell * kGrid + (x - 1) / cell) * kLbpBins + table[code];
      out[bin] += 1.f;
    }
  }
  for (int c = 0; c < kGrid * kGrid; ++c) hellinger_normalise(out + c * kLbpBins, kLbpBins);
  // Colour: hue x saturation over the whole region, weighted like 4 grid cells.
  cv::Mat hsv;
  cv::cvtColor(region, hsv, cv::COLOR_BGR2HSV);
  float* colour = out + kGrid * kGrid * kLbpBins;
  std::fill(colour, colour + 64, 0.f);
  for (int y = 0; y < hsv.rows; y += 2) {
    for (int x = 0; x < hsv.cols; x += 2) {
      const cv::Vec3b p = hsv.at<cv::Vec3b>(y, x);
      colour[(p[0] * 16 / 180) * 4 + p[1] / 64] += 1.f;
    }
  }
  hellinger_normalise(colour, 64);
  for (int i = 0; i < 64; ++i) colour[i] *= 2.f;
}

double silhouette(const cv::Mat& points, const std::vector<int>& labels, int k) {
  const int n = std::min(points.rows, kSilhouetteSample);
  const int step = std::max(1, points.rows / n);
  std::vector<int> sample;
  for (int i = 0; i < points.rows && static_cast<int>(sample.size()) < n; i += step) sample.push_back(i);
  double total = 0;
  for (int i : sample) {
    std::vector<double> sum(k, 0.0);
    std::vector<int> count(k, 0);
    for (int j : sample) {
      if (i == j) continue;
      sum[labels[j]] += cv::norm(points.row(i), points.row(j));
      ++count[labels[j]];
    }
    if (count[labels[i]] == 0) continue;  // a singleton scores 0
    const double a = sum[labels[i]] / count[labels[i]];
    double b = 1e300;
    for (int c = 0; c < k; ++c) {
      if (c != labels[i] && count[c] > 0) b = std::min(b, sum[c] / count[c]);
    }
    if (b < 1e300) total += (b - a) / std::max(a, b);
  }
  return sample.empty() ? 0.0 : total / static_cast<double>(sample.size());
}

std::vector<int> kmeans_labels(const cv::Mat& points, int k) {
  cv::Mat labels;
  cv::Mat centres;
  cv::theRNG().state = 0x5eed;
  cv::kmeans(points, k, labels, cv::TermCriteria(cv::TermCriteria::EPS + cv::TermCriteria::COUNT, 100, 1e-4), 8,
             cv::KMEANS_PP_CENTERS, centres);
  return std::vector<int>(labels.begin<int>(), labels.end<int>());
}

// Renumbers labels so that 0 is the largest cluster.
int relabel_by_size(std::vector<int>& labels) {
  std::map<int, int> sizes;
  for (int l : labels) ++sizes[l];
  std::vector<std::pair<int, int>> order(sizes.begin(), sizes.end());
  std::ranges::stable_sort(order, [](auto a, auto b) { return a.second > b.second; });
  std::map<int, int> rename;
  for (std::size_t i = 0; i < order.size(); ++i) rename[order[i].first] = static_cast<int>(i);
  for (int& l : labels) l = rename[l];
  return static_cast<int>(order.size());
}

Status move_into(const FaceSet& from, const std::vector<FaceRecord>& records, const fs::path& folder, bool copy) {
  auto target = FaceSet::open_or_create(folder);
  if (!target) return std::unexpected(target.error());
  for (const FaceRecord& record : records) {
    const cv::Mat image = cv::imread((from.folder() / record.file).string(), cv::IMREAD_COLOR);
    if (image.empty()) continue;
    FaceRecord moved = record;
    if (auto s = target->add(image, moved); !s) return s;
  }
  if (auto s = target->save(); !s) return s;
  if (!copy) {
    std::error_code ec;
    for (const FaceRecord& record : records) fs::remove(from.folder() / record.file, ec);
  }
  return ok();
}

}  // namespace

Result<SortKey> parse_sort_key(std::string_view text) {
  if (text == "identity") return SortKey::kIdentity;
  if (text == "blur") return SortKey::kBlur;
  if (text == "size") return SortKey::kSize;
  if (text == "yaw") return SortKey::kYaw;
  return fail(ErrorCode::kInvalidArgument, "unknown sort key '{}' (expected identity, blur, size or yaw)", text);
}

cv::Mat identity_features(const std::vector<cv::Mat>& aligned_faces, double coverage) {
  const int dims = kGrid * kGrid * kLbpBins + 64;
  cv::Mat features(static_cast<int>(aligned_faces.size()), dims, CV_32F);
  for (std::size_t i = 0; i < aligned_faces.size(); ++i) {
    describe(aligned_faces[i], coverage, features.ptr<float>(static_cast<int>(i)));
  }
  return features;
}

Clustering cluster_features(const cv::Mat& features, int clusters, int max_clusters) {
  Clustering result;
  if (features.rows < 2) {
    result.labels.assign(features.rows, 0);
    result.clusters = features.rows;
    return result;
  }
  cv::Mat points = features;
  const int dims = std::min({kPcaDims, features.rows - 1, features.cols});
  if (dims >= 2) {
    const cv::PCA pca(features, cv::noArray(), cv::PCA::DATA_AS_ROW, dims);
    points = pca.project(features);
  }
  if (clusters > 0) {
    result.labels = kmeans_labels(points, std::min(clusters, points.rows));
    result.clusters = relabel_by_size(result.labels);
    result.silhouette = silhouette(points, result.labels, result.clusters);
    return result;
  }
  result.silhouette = -2.0;
  for (int k = 2; k <= std::min(max_clusters, points.rows - 1); ++k) {
    std::vector<int> labels = kmeans_labels(points, k);
    const int found = relabel_by_size(labels);
    const double score = silhouette(points, labels, found);
    if (score > result.silhouette) {
      result = Clustering{std::move(labels), found, score};
    }
  }
  if (result.labels.empty()) {
    // Two faces cannot be told apart by a silhouette (every k >= 2 leaves a cluster of one):
    // they stay one identity. Every face always gets a label.
    result.labels.assign(features.rows, 0);
    result.clusters = 1;
    result.silhouette = 0.0;
  }
  return result;
}

Result<SortReport> sort_face_set(FaceSet& set, const SortOptions& options) {
  SortReport report;
  std::vector<FaceRecord>& faces = set.faces();
  if (faces.empty()) return fail(ErrorCode::kInvalidArgument, "{}: the face set is empty", set.folder().string());

  if (options.key == SortKey::kIdentity && options.split) {
    for (const fs::directory_entry& entry : fs::directory_iterator(set.folder())) {
      if (entry.path().filename().string().starts_with("identity_") && fs::exists(entry.path() / kFaceSetFile)) {
        return fail(ErrorCode::kIo, "{}: already holds a face set; remove it before splitting again",
                    entry.path().string());
      }
    }
  }
  std::vector<FaceRecord> kept, rejected;
  for (FaceRecord& record : faces) {
    const bool blurred = options.min_blur > 0 && record.blur < options.min_blur;
    const bool small = options.min_size_px > 0 && record.box.width < options.min_size_px;
    (blurred || small ? rejected : kept).push_back(std::move(record));
  }
  faces = std::move(kept);
  if (!rejected.empty()) {
    if (auto s = move_into(set, rejected, set.folder() / "rejected", false); !s) {
      faces.insert(faces.end(), rejected.begin(), rejected.end());
      return std::unexpected(s.error());
    }
    report.rejected = static_cast<std::int64_t>(rejected.size());
  }

  switch (options.key) {
    case SortKey::kBlur:
      std::ranges::stable_sort(faces, [](const FaceRecord& a, const FaceRecord& b) { return a.blur > b.blur; });
      break;
    case SortKey::kSize:
      std::ranges::stable_sort(faces, [](const FaceRecord& a, const FaceRecord& b) { return a.box.width > b.box.width; });
      break;
    case SortKey::kYaw:
      std::ranges::stable_sort(faces, [](const FaceRecord& a, const FaceRecord& b) {
        return estimate_yaw_degrees(a.landmarks) < estimate_yaw_degrees(b.landmarks);
      });
      break;
    case SortKey::kIdentity: {
      std::vector<cv::Mat> images;
      std::vector<std::size_t> readable;
      for (std::size_t i = 0; i < faces.size(); ++i) {
        cv::Mat image = cv::imread((set.folder() / faces[i].file).string(), cv::IMREAD_COLOR);
        if (image.empty()) {
          ++report.missing_images;
          continue;
        }
        images.push_back(std::move(image));
        readable.push_back(i);
      }
      const double coverage = faces.empty() ? 0.6 : faces.front().coverage;
      Clustering clustering = cluster_features(identity_features(images, coverage), options.clusters, options.max_clusters);
      if (options.use_tracks) {
        std::map<std::pair<std::string, int>, std::map<int, int>> votes;
        for (std::size_t r = 0; r < readable.size(); ++r) {
          const FaceRecord& f = faces[readable[r]];
          if (f.track >= 0) ++votes[{f.source, f.track}][clustering.labels[r]];
        }
        for (std::size_t r = 0; r < readable.size(); ++r) {
          const FaceRecord& f = faces[readable[r]];
          if (f.track < 0) continue;
          const auto& tally = votes[{f.source, f.track}];
          clustering.labels[r] = std::ranges::max_element(tally, {}, [](const auto& v) { return v.second; })->first;
        }
        clustering.clusters = relabel_by_size(clustering.labels);
      }
      for (FaceRecord& f : faces) f.identity = -1;
      for (std::size_t r = 0; r < readable.size(); ++r) faces[readable[r]].identity = clustering.labels[r];
      report.clusters = clustering.clusters;
      report.silhouette = clustering.silhouette;
      report.per_identity.assign(clustering.clusters, 0);
      for (int l : clustering.labels) ++report.per_identity[l];
      std::ranges::stable_sort(faces, [](const FaceRecord& a, const FaceRecord& b) {
        const int ia = a.identity < 0 ? 1 << 30 : a.identity, ib = b.identity < 0 ? 1 << 30 : b.identity;
        return ia != ib ? ia < ib : (a.source != b.source ? a.source < b.source : a.frame < b.frame);
      });
      break;
    }
  }
  if (auto s = set.save(); !s) return std::unexpected(s.error());
  if (options.key == SortKey::kIdentity && options.split) {
    for (int k = 0; k < report.clusters; ++k) {
      std::vector<FaceRecord> members;
      for (const FaceRecord& f : faces) {
        if (f.identity == k) members.push_back(f);
      }
      const fs::path folder = set.folder() / format("identity_{}", k);
      if (auto s = move_into(set, members, folder, true); !s) return std::unexpected(s.error());
    }
  }
  return report;
}

}  // namespace mirage::face
