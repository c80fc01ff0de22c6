#include "engine/swap/preview.h"

#include <vector>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "engine/core/file_io.h"
#include "engine/media/frame_source.h"

namespace mirage::swap {
namespace {

// Frames at the given indices (ascending) of a video, scaled to `width`.
Result<std::vector<cv::Mat>> frames_at(const std::filesystem::path& path, const std::vector<std::int64_t>& indices,
                                       int width) {
  auto source = media::FrameSource::open(path);
  if (!source) return std::unexpected(source.error());
  std::vector<cv::Mat> out;
  std::size_t next = 0;
  for (std::int64_t i = 0; next < indices.size(); ++i) {
    auto frame = source->next();
    if (!frame) continue;
    if (!*frame) break;
    if (i != indices[next]) continue;
    const cv::Mat& image = (*frame)->image;
    cv::Mat small;
    cv::resize(image, small, {width, std::max(1, image.rows * width / image.cols)}, 0, 0, cv::INTER_AREA);
    out.push_back(small);
    ++next;
  }
  if (out.size() != indices.size()) return fail(ErrorCode::kCorrupt, "{}: fewer frames than expected", path.string());
  return out;
}

}  // namespace

Status write_preview_grid(const std::filesystem::path& source, const std::filesystem::path& clip,
                          const std::filesystem::path& png, int columns, int width) {
  auto probe = media::FrameSource::open(clip);
  if (!probe) return std::unexpected(probe.error());
  const std::int64_t frames = probe->expected_frames();
  if (frames < columns) return fail(ErrorCode::kInvalidArgument, "{}: too short for a preview", clip.string());
  std::vector<std::int64_t> indices;
  for (int c = 0; c < columns; ++c) indices.push_back((2 * c + 1) * frames / (2 * columns));
  auto top = frames_at(source, indices, width);
  if (!top) return std::unexpected(top.error());
  auto bottom = frames_at(clip, indices, width);
  if (!bottom) return std::unexpected(bottom.error());
  cv::Mat upper, lower, grid;
  cv::hconcat(*top, upper);
  cv::hconcat(*bottom, lower);
  if (upper.size() != lower.size()) return fail(ErrorCode::kInvalidArgument, "the clip and its source differ in size");
  cv::vconcat(upper, lower, grid);
  std::vector<std::uint8_t> bytes;
  if (!cv::imencode(".png", grid, bytes)) return fail(ErrorCode::kIo, "{}: cannot encode the preview", png.string());
  return write_file_atomic(png, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

}  // namespace mirage::swap
