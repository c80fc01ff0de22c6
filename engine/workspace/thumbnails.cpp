#include "engine/workspace/thumbnails.h"

#include <sys/resource.h>
#include <unistd.h>

#include <condition_variable>
#include <deque>
#include <mutex>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "engine/core/format.h"
#include "engine/core/worker.h"
#include "engine/face/face_set.h"

namespace mirage::workspace {
namespace {

namespace fs = std::filesystem;
constexpr int kNice = 10;

Image to_rgba(const cv::Mat& bgr) {
  Image image(bgr.cols, bgr.rows, PixelFormat::kRgba8);
  cv::Mat view(bgr.rows, bgr.cols, CV_8UC4, image.bytes().data());
  cv::cvtColor(bgr, view, cv::COLOR_BGR2RGBA);
  return image;
}

cv::Mat unreadable(int side) {
  cv::Mat grey(side, side, CV_8UC3, cv::Scalar(70, 70, 70));
  cv::line(grey, {side / 4, side / 4}, {3 * side / 4, 3 * side / 4}, cv::Scalar(40, 40, 200), 2);
  cv::line(grey, {3 * side / 4, side / 4}, {side / 4, 3 * side / 4}, cv::Scalar(40, 40, 200), 2);
  return grey;
}

struct SourceRequest {
  std::string key;
  fs::path video;
  std::int64_t frame = 0;
  face::FaceRecord record;
  int width = 320;
};

}  // namespace

struct Thumbnails::State {
  int side = 96;
  mutable std::mutex mutex;
  std::condition_variable_any wake;
  std::deque<fs::path> waiting;  // newest at the front
  std::vector<Thumbnail> ready;
  std::optional<SourceRequest> source_request;
  std::optional<SourceView> source_ready;
  Worker worker;

  void run(std::stop_token stop);
  SourceView render_source(const SourceRequest& r, cv::VideoCapture& capture, std::string& opened);
};

Thumbnails::Thumbnails(int side) : side_(side), state_(std::make_shared<State>()) {
  state_->side = side;
  State* raw = state_.get();
  state_->worker = Worker("thumbnails", [raw](std::stop_token stop) { raw->run(stop); });
}

Thumbnails::~Thumbnails() {
  state_->worker.request_stop();
  state_->wake.notify_all();
  state_->worker.join();
}

void Thumbnails::request(const fs::path& png) {
  const std::lock_guard lock(state_->mutex);
  auto& w = state_->waiting;
  if (const auto found = std::find(w.begin(), w.end(), png); found != w.end()) w.erase(found);
  w.push_front(png);
  if (w.size() > kMaxWaiting) w.pop_back();
  state_->wake.notify_one();
}

std::vector<Thumbnail> Thumbnails::take(std::size_t at_most) {
  const std::lock_guard lock(state_->mutex);
  std::vector<Thumbnail> out;
  const std::size_t n = std::min(at_most, state_->ready.size());
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) out.push_back(std::move(state_->ready[i]));
  state_->ready.erase(state_->ready.begin(), state_->ready.begin() + static_cast<std::ptrdiff_t>(n));
  return out;
}

std::size_t Thumbnails::waiting() const {
  const std::lock_guard lock(state_->mutex);
  return state_->waiting.size();
}

void Thumbnails::request_source(const fs::path& set_folder, const face::FaceRecord& record, int width) {
  const std::lock_guard lock(state_->mutex);
  state_->source_request = SourceRequest{(set_folder / record.file).string(), record.source, record.frame, record, width};
  state_->wake.notify_one();
}

std::optional<SourceView> Thumbnails::take_source() {
  const std::lock_guard lock(state_->mutex);
  return std::exchange(state_->source_ready, std::nullopt);
}

SourceView Thumbnails::State::render_source(const SourceRequest& r, cv::VideoCapture& capture, std::string& opened) {
  SourceView view{.key = r.key};
  cv::Mat frame;
  std::error_code ec;
  try {
    if (!fs::is_regular_file(r.video, ec)) {
      frame.release();  // moved or deleted (OpenCV would only print a warning)
    } else if (cv::haveImageReader(r.video.string())) {
      frame = cv::imread(r.video.string(), cv::IMREAD_COLOR);
    } else {
      if (opened != r.video.string()) {
        capture.open(r.video.string(), cv::CAP_FFMPEG);
        opened = capture.isOpened() ? r.video.string() : std::string();
      }
      if (capture.isOpened() && capture.set(cv::CAP_PROP_POS_FRAMES, static_cast<double>(r.frame))) capture.read(frame);
    }
  } catch (const cv::Exception&) {
    frame.release();
  }
  if (frame.empty()) {
    view.error = format("{}: frame {} cannot be read (the source moved?)", r.video.string(), r.frame);
    return view;
  }
  const double scale = static_cast<double>(r.width) / frame.cols;
  cv::Mat small;
  cv::resize(frame, small, {}, scale, scale, cv::INTER_AREA);
  const cv::Rect2f& b = r.record.box;
  cv::rectangle(small, cv::Rect(cv::Point(cvRound(b.x * scale), cvRound(b.y * scale)),
                                cv::Size(cvRound(b.width * scale), cvRound(b.height * scale))),
                cv::Scalar(80, 200, 255), 1, cv::LINE_AA);
  for (const cv::Point2f& p : r.record.landmarks) {
    cv::circle(small, cv::Point(cvRound(p.x * scale), cvRound(p.y * scale)), 1, cv::Scalar(60, 255, 60), cv::FILLED,
               cv::LINE_AA);
  }
  view.rgba = to_rgba(small);
  return view;
}

void Thumbnails::State::run(std::stop_token stop) {
  // Below the UI and the player: thumbnails may come a frame later, the UI's frames may not.
  setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), kNice);
  cv::VideoCapture capture;  // kept open: hovering faces of one video seeks in it
  std::string opened;
  while (!stop.stop_requested()) {
    std::optional<fs::path> png;
    std::optional<SourceRequest> source;
    {
      std::unique_lock lock(mutex);
      wake.wait(lock, stop, [&] { return !waiting.empty() || source_request.has_value(); });
      if (stop.stop_requested()) return;
      source = std::exchange(source_request, std::nullopt);
      if (!source) {
        png = std::move(waiting.front());
        waiting.pop_front();
      }
    }
    if (source) {
      SourceView view = render_source(*source, capture, opened);
      const std::lock_guard lock(mutex);
      source_ready = std::move(view);
      continue;
    }
    cv::Mat image;
    try {
      image = cv::imread(png->string(), cv::IMREAD_COLOR);
    } catch (const cv::Exception&) {
      image.release();
    }
    cv::Mat thumb;
    if (image.empty()) {
      thumb = unreadable(side);
    } else {
      cv::resize(image, thumb, {side, side}, 0, 0, cv::INTER_AREA);
    }
    Image rgba = to_rgba(thumb);
    const std::lock_guard lock(mutex);
    ready.push_back({std::move(*png), std::move(rgba)});
  }
}

}  // namespace mirage::workspace
