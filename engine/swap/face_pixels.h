// The one place where model pixels and OpenCV images meet (docs/ARCHITECTURE.md, rule 4).
//
//   std::vector<float> input(count * r * r * 3);
//   swap::write_model_input(aligned_bgr8, std::span(input).subspan(i * r * r * 3, r * r * 3));
//   cv::Mat face = swap::read_model_face(output.rgb, i, r);   // CV_32FC3 BGR in [0, 1]
//   cv::Mat mask = swap::read_model_mask(output.mask, i, r);  // CV_32FC1 in [0, 1]
//
// Model side: NHWC, RGB, float in [0, 1], contiguous, face i at offset i*r*r*3 (mask: i*r*r).
// OpenCV side: BGR, HWC (interleaved), 8-bit (inputs) or CV_32F (outputs). Values are copied,
// never aliased, so the returned images own their pixels. Pure functions, thread-safe.
#pragma once

#include <span>

#include <opencv2/core.hpp>

namespace mirage::swap {

// An r x r 8-bit BGR face into r*r*3 floats, RGB, value / 255. `out` must hold exactly r*r*3.
void write_model_input(const cv::Mat& face_bgr8, std::span<float> out);
// Face `index` of an NHWC RGB batch of side r as a CV_32FC3 BGR image (values clamped to [0, 1]).
cv::Mat read_model_face(std::span<const float> rgb, int index, int side);
// Mask `index` of an N x r x r batch as a CV_32FC1 image (values clamped to [0, 1]).
cv::Mat read_model_mask(std::span<const float> mask, int index, int side);

}  // namespace mirage::swap
