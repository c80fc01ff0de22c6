#include "engine/workspace/recording.h"

#include <chrono>

#include <opencv2/imgproc.hpp>

#include "engine/core/command_queue.h"
#include "engine/core/format.h"
#include "engine/media/provenance.h"
#include "engine/media/video_writer.h"
#include "engine/media/watermark.h"
#include "engine/swap/identity_classifier.h"

namespace mirage::workspace {
namespace {

namespace fs = std::filesystem;
using SteadyClock = std::chrono::steady_clock;

// Shown frames waiting for the live writer (about 2 s at 30 frames/s); beyond that they are lost.
constexpr std::size_t kLiveQueue = 64;
constexpr auto kPoll = std::chrono::milliseconds(100);

Status check_output(const fs::path& output) {
  const std::string ext = output.extension().string();
  if (ext != ".mp4" && ext != ".m4v" && ext != ".mov" && ext != ".mkv") {
    return fail(ErrorCode::kInvalidArgument, "{}: the output must end in .mp4, .m4v, .mov or .mkv (H.264)", output.string());
  }
  std::error_code ec;
  if (fs::exists(output, ec)) return fail(ErrorCode::kIo, "{} exists: choose another name", output.string());
  if (output.has_parent_path()) {
    fs::create_directories(output.parent_path(), ec);
    if (ec) return fail(ErrorCode::kIo, "{}: {}", output.parent_path().string(), ec.message());
  }
  return ok();
}

}  // namespace

Result<swap::ConvertSummary> render_clip(const RenderRequest& r, const swap::FaceSwapper& model,
                                         const swap::ConvertCallbacks& callbacks) {
  swap::ConvertOptions o;
  o.input = r.input;
  o.output = r.output;
  o.to = r.to == SwapTo::kBoth ? swap::kSwapBoth : static_cast<int>(r.to);
  std::optional<swap::IdentityClassifier> classifier;
  if (r.to == SwapTo::kBoth) {
    if (r.faces_a.empty() || r.faces_b.empty()) {
      return fail(ErrorCode::kInvalidArgument, "swapping both identities needs the face sets of A and B (a project)");
    }
    auto trained = swap::classifier_from_face_sets(r.faces_a, r.faces_b);
    if (!trained) return std::unexpected(trained.error().with_context("telling A from B"));
    classifier.emplace(std::move(*trained));
    o.identity_of = [&classifier](const cv::Mat& face) { return classifier->predict(face); };
  }
  o.start_s = r.start_s;
  o.end_s = r.end_s;
  o.swapper = r.swapper;
  o.compositor = r.compositor;
  o.label = r.label;
  o.watermark = r.watermark;
  o.provenance = r.provenance;
  o.overwrite = r.overwrite;
  o.crf = r.crf;
  o.model_on_one_thread = r.model_on_one_thread;
  return swap::convert_video(o, model, callbacks);
}

struct Recording::LiveState {
  CommandQueue<std::shared_ptr<const PlayerFrame>> frames{kLiveQueue};
  std::atomic<std::int64_t> lost{0};
};

std::unique_ptr<Recording> Recording::render(RenderRequest request, std::shared_ptr<const swap::FaceSwapper> model) {
  std::unique_ptr<Recording> recording(new Recording());
  recording->output_ = request.output;
  recording->model_ = std::move(model);
  Recording* raw = recording.get();
  recording->thread_ = Worker("recorder", [raw, request](std::stop_token) {
    swap::ConvertCallbacks callbacks;
    callbacks.on_progress = [raw](const swap::ConvertProgress& p) {
      raw->frames_done_ = p.frames_done;
      raw->frames_expected_ = p.frames_expected;
    };
    callbacks.cancelled = [raw] { return raw->cancel_.load() || raw->stop_.load(); };
    auto summary = render_clip(request, *raw->model_, callbacks);
    raw->finish(summary.has_value(),
                summary ? format("wrote {} ({} frames, {} faces swapped)", request.output.string(), summary->frames_written,
                                 summary->faces_swapped)
                        : format("recording {}: {}", request.output.string(), summary.error().message));
  });
  return recording;
}

Result<std::unique_ptr<Recording>> Recording::capture(Player& player, const LiveCaptureRequest& request) {
  const PlayerStats stats = player.stats();
  if (!stats.live) {
    return fail(ErrorCode::kInvalidArgument, "recording what the player shows is for a live source (a camera)");
  }
  if (auto s = check_output(request.output); !s) return std::unexpected(s.error());
  std::unique_ptr<Recording> recording(new Recording());
  recording->live_ = true;
  recording->output_ = request.output;
  recording->player_ = &player;
  recording->live_state_ = std::make_shared<LiveState>();
  std::shared_ptr<LiveState> state = recording->live_state_;
  player.set_frame_sink([state](std::shared_ptr<const PlayerFrame> frame) {
    if (!state->frames.try_push(std::move(frame))) ++state->lost;
  });
  const double fps = stats.source_fps > 0 ? stats.source_fps : 30.0;
  Recording* raw = recording.get();
  recording->thread_ = Worker("recorder", [raw, state, request, fps](std::stop_token stop) {
    const auto stopped = [&] { return stop.stop_requested() || raw->cancel_ || raw->stop_; };
    std::shared_ptr<const PlayerFrame> newest;
    while (!newest && !stopped()) newest = state->frames.pop_for(kPoll, stop).value_or(nullptr);
    if (!newest) {
      raw->finish(false, format("recording {}: no frame was shown", request.output.string()));
      return;
    }
    const std::string tag = swap::synthetic_tag(request.model_preset);
    media::VideoWriterOptions writer_options{.output = request.output, .width = newest->swapped.width(),
                                             .height = newest->swapped.height(), .fps = fps, .crf = request.crf};
    writer_options.metadata = {{"comment", tag}, {"description", tag}, {"mirage_synthetic", "1"}};
    auto writer = media::VideoWriter::open(writer_options);
    if (!writer) {
      raw->finish(false, format("recording {}: {}", request.output.string(), writer.error().message));
      return;
    }
    std::optional<media::WatermarkPayload> payload;
    std::optional<media::WatermarkEmbedder> watermark;
    if (request.watermark) {
      payload = media::WatermarkPayload{.day = media::watermark_day(std::chrono::system_clock::now()),
                                        .model = media::model_tag(request.weights_sha256)};
      watermark.emplace(*payload);
    }
    const cv::Size size(newest->swapped.width(), newest->swapped.height());
    const auto start = SteadyClock::now();
    std::int64_t slot = 0;
    cv::Mat bgr;
    while (!stop.stop_requested() && !raw->cancel_ && !raw->stop_) {
      if (request.seconds > 0 && static_cast<double>(slot) >= request.seconds * fps) break;
      // Slot k of the clip is what was on screen at start + k / fps.
      const auto due = start + std::chrono::duration_cast<SteadyClock::duration>(
                                   std::chrono::duration<double>(static_cast<double>(slot) / fps));
      while (SteadyClock::now() < due) {
        if (auto frame = state->frames.pop_for(due - SteadyClock::now(), stop)) newest = std::move(*frame);
        if (stop.stop_requested()) break;
      }
      const Image& shown = newest->swapped;
      const cv::Mat rgba(shown.height(), shown.width(), CV_8UC4, const_cast<std::uint8_t*>(shown.bytes().data()));
      cv::cvtColor(rgba, bgr, cv::COLOR_RGBA2BGR);
      if (bgr.size() != size) cv::resize(bgr, bgr, size, 0, 0, cv::INTER_AREA);
      if (!newest->labelled) swap::draw_synthetic_label(bgr);
      if (watermark) watermark->embed(bgr);
      if (auto s = writer->write(bgr); !s) {
        raw->finish(false, format("recording {}: {}", request.output.string(), s.error().message));
        return;
      }
      raw->frames_done_ = ++slot;
      raw->frames_lost_ = state->lost.load();
    }
    if (raw->cancel_ || stop.stop_requested()) {
      writer->abort();
      raw->finish(false, format("recording {}: cancelled", request.output.string()));
      return;
    }
    if (auto s = writer->finish(); !s) {
      raw->finish(false, format("recording {}: {}", request.output.string(), s.error().message));
      return;
    }
    const media::ProvenanceRecord record{
        .clip = request.output, .source = request.source, .source_is_live = true, .model_preset = request.model_preset,
        .weights_sha256 = request.weights_sha256, .watermark = payload,
        .settings = Json{{"live", true}, {"fps", fps}, {"frames", slot}, {"label", true}, {"watermark", request.watermark},
                         {"frames_lost", state->lost.load()}}};
    if (auto s = media::write_provenance_record(record); !s) {
      std::error_code ec;
      fs::remove(request.output, ec);
      raw->finish(false, format("recording {}: the provenance record: {}", request.output.string(), s.error().message));
      return;
    }
    raw->finish(true, format("wrote {} ({} frames, {:.1f} s live)", request.output.string(), slot,
                             static_cast<double>(slot) / fps));
  });
  return recording;
}

Recording::~Recording() {
  cancel_ = true;
  thread_.stop();
  if (player_ != nullptr) player_->set_frame_sink({});
}

void Recording::stop() {
  if (live_) {
    stop_ = true;
  } else {
    cancel_ = true;
  }
}

void Recording::cancel() { cancel_ = true; }

void Recording::finish(bool succeeded, std::string result) {
  if (player_ != nullptr) player_->set_frame_sink({});
  {
    const std::lock_guard lock(mutex_);
    succeeded_ = succeeded;
    result_ = std::move(result);
  }
  done_ = true;
}

RecordingStatus Recording::status() const {
  RecordingStatus s;
  s.running = !done_;
  s.live = live_;
  s.frames_done = frames_done_;
  s.frames_expected = frames_expected_;
  s.frames_lost = frames_lost_;
  s.output = output_;
  const std::lock_guard lock(mutex_);
  s.result = result_;
  s.succeeded = succeeded_;
  return s;
}

}  // namespace mirage::workspace
