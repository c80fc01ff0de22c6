// Sorting and cleaning a face set: identity clustering, and order/filters by blur, size, yaw.
//
//   auto set = face::FaceSet::load("faces/megamind");
//   auto report = face::sort_face_set(*set, {.key = face::SortKey::kIdentity});
//   // faceset.json now lists the faces grouped by identity (0 = the most frequent person)
//   // with "identity" set; with .split = true each identity also gets its own sub-set.
//
// Identity clustering, with no face-recognition model available offline: each aligned face is
// described by uniform-LBP texture histograms on a 4x4 grid plus an HSV colour histogram of the
// face and forehead (Hellinger-normalised), reduced by PCA, and clustered with k-means. K is
// given or chosen by the best mean silhouette for K = 2..max_clusters. Faces that the extraction
// tracked as one face (same source and track) then take the majority label of their track.
// Sorting rewrites faceset.json atomically; filtered faces are moved (PNG and metadata) into
// the face set <set>/rejected, never deleted. Not thread-safe.
#pragma once

#include <string_view>
#include <vector>

#include <opencv2/core.hpp>

#include "engine/core/error.h"
#include "engine/face/face_set.h"

namespace mirage::face {

enum class SortKey { kIdentity, kBlur, kSize, kYaw };
Result<SortKey> parse_sort_key(std::string_view text);  // "identity" | "blur" | "size" | "yaw"

struct SortOptions {
  SortKey key = SortKey::kIdentity;
  int clusters = 0;          // identity: 0 chooses K automatically
  int max_clusters = 6;      // identity: the largest K tried
  bool use_tracks = true;    // identity: majority vote within a track
  bool split = false;        // identity: also copy each identity into <set>/identity_<k>
  double min_blur = 0.0;     // move faces with face_blur_score below this into rejected/
  double min_size_px = 0.0;  // move faces whose box is narrower (frame pixels) into rejected/
};

struct SortReport {
  int clusters = 0;                    // identity only
  double silhouette = 0.0;             // identity only: mean silhouette of the chosen K
  std::vector<std::int64_t> per_identity;  // faces per identity id
  std::int64_t rejected = 0;
  std::int64_t missing_images = 0;     // faces whose PNG could not be read (kept, unsorted)
};

// One row of features per aligned face image (8-bit BGR, any size), CV_32F.
cv::Mat identity_features(const std::vector<cv::Mat>& aligned_faces, double coverage = 0.6);

struct Clustering {
  std::vector<int> labels;  // 0..k-1, 0 the largest cluster
  int clusters = 0;
  double silhouette = 0.0;
};
// Clusters the rows of `features`; clusters = 0 chooses K in [2, max_clusters] by silhouette.
// Deterministic (fixed seed). Fewer than 2 rows give one cluster.
Clustering cluster_features(const cv::Mat& features, int clusters, int max_clusters);

Result<SortReport> sort_face_set(FaceSet& set, const SortOptions& options);

}  // namespace mirage::face
