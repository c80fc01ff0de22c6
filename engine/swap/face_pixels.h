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

// The face descriptor network's input (engine/model/face_descriptor.h) exactly as face-api's
// NetInput.toBatchTensor(150, true) makes it from the box of an 8-bit BGR image: the box cut out,
// padded to a square with black (the odd pixel at the start, the rest at the end of the short
// side: round(d / 2) after, d - round(d / 2) before), resized to side x side by TensorFlow's
// bilinear rule without half-pixel centres (source = destination * in / out, the next pixel
// clamped at the edge), RGB floats in [0, 255]. `box` must lie inside the image and not be empty;
// `out` must hold side*side*3.
void write_descriptor_input(const cv::Mat& image_bgr8, const cv::Rect& box, int side, std::span<float> out);

}  // namespace mirage::swap
