#include "engine/media/watermark_benchmark.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "engine/core/clock.h"
#include "engine/core/format.h"
#include "engine/media/frame_source.h"
#include "engine/media/process.h"
#include "engine/media/video_writer.h"

namespace mirage::media {
namespace {

namespace fs = std::filesystem;

struct Clip {
  std::vector<cv::Mat> frames;
  double fps = 25;
};

// The frames of [start_s, start_s + seconds).
Result<Clip> read_clip(const fs::path& path, double seconds, double start_s = 0) {
  auto source = FrameSource::open(path);
  if (!source) return std::unexpected(source.error());
  Clip clip;
  clip.fps = source->fps() > 0 ? source->fps() : 25.0;
  while (true) {
    auto frame = source->next();
    if (!frame) continue;
    if (!*frame || (*frame)->timestamp_s >= start_s + seconds - 1e-9) break;
    if ((*frame)->timestamp_s < start_s - 1e-9) continue;
    clip.frames.push_back(std::move((*frame)->image));
  }
  if (clip.frames.empty()) {
    return fail(ErrorCode::kUnsupported, "{}: no frames{}", path.string(), start_s > 0 ? format(" from {:.1f} s on", start_s) : "");
  }
  return clip;
}

Status write_clip(const fs::path& path, const Clip& clip) {
  VideoWriterOptions o{.output = path, .width = clip.frames[0].cols, .height = clip.frames[0].rows,
                       .fps = clip.fps, .crf = 18, .overwrite = true};
  auto writer = VideoWriter::open(o);
  if (!writer) return std::unexpected(writer.error());
  for (const cv::Mat& f : clip.frames) {
    if (auto s = writer->write(f); !s) return s;
  }
  return writer->finish();
}

Status ffmpeg(const fs::path& in, const fs::path& out, const std::vector<std::string>& before_input,
              const std::vector<std::string>& after_input, const std::string& preset = "veryfast") {
  std::vector<std::string> a = {"ffmpeg", "-hide_banner", "-loglevel", "error", "-y"};
  a.insert(a.end(), before_input.begin(), before_input.end());
  a.insert(a.end(), {"-i", in.string()});
  a.insert(a.end(), after_input.begin(), after_input.end());
  a.insert(a.end(), {"-c:v", "libx264", "-preset", preset, "-pix_fmt", "yuv420p", "-an", out.string()});
  auto r = run_program(a);
  if (!r) return std::unexpected(r.error());
  if (r->exit_code != 0) return fail(ErrorCode::kIo, "ffmpeg failed on {}: {}", in.string(), r->output);
  return ok();
}

Result<WatermarkReading> detect(const fs::path& path, double seconds, std::vector<double>* ms = nullptr) {
  auto clip = read_clip(path, seconds);
  if (!clip) return std::unexpected(clip.error());
  WatermarkDetector detector;
  for (const cv::Mat& f : clip->frames) {
    const auto t = Clock::now();
    detector.add(f);
    if (ms) ms->push_back(seconds_since(t) * 1e3);
  }
  return detector.reading();
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
  return v[v.size() / 2];
}

double psnr(const cv::Mat& a, const cv::Mat& b) {
  const double mse = cv::norm(a, b, cv::NORM_L2SQR) / static_cast<double>(a.total() * a.channels());
  return mse > 0 ? 10.0 * std::log10(255.0 * 255.0 / mse) : 99.0;
}

// The flattest 96 px square of the frame (lowest luma variance, not saturated).
cv::Rect flattest_area(const cv::Mat& frame) {
  cv::Mat grey;
  cv::cvtColor(frame, grey, cv::COLOR_BGR2GRAY);
  const int side = std::min({96, frame.cols, frame.rows});
  cv::Rect best(0, 0, side, side);
  double best_var = 1e30;
  for (int y = 0; y + side <= grey.rows; y += side / 2) {
    for (int x = 0; x + side <= grey.cols; x += side / 2) {
      cv::Scalar mean, dev;
      cv::meanStdDev(grey(cv::Rect(x, y, side, side)), mean, dev);
      if (mean[0] < 20 || mean[0] > 235) continue;
      if (dev[0] < best_var) {
        best_var = dev[0];
        best = cv::Rect(x, y, side, side);
      }
    }
  }
  return best;
}

Status save_look(const fs::path& path, const cv::Mat& unmarked, const cv::Mat& marked) {
  const cv::Rect area = flattest_area(unmarked);
  cv::Mat diff;
  cv::Mat a, b;
  unmarked(area).convertTo(a, CV_32F);
  marked(area).convertTo(b, CV_32F);
  cv::Mat difference;
  cv::subtract(b, a, difference);
  difference.convertTo(diff, CV_8U, 32.0, 128.0);
  cv::Mat row;
  cv::hconcat(std::vector<cv::Mat>{unmarked(area), marked(area), diff}, row);
  cv::resize(row, row, {}, 3, 3, cv::INTER_NEAREST);
  if (!cv::imwrite(path.string(), row)) return fail(ErrorCode::kIo, "{}: cannot write", path.string());
  return ok();
}

Clip generated(const std::string& kind, int seed) {
  Clip clip;
  clip.fps = 25;
  cv::RNG rng(static_cast<std::uint64_t>(seed));
  for (int i = 0; i < 50; ++i) {
    cv::Mat f(240, 320, CV_8UC3);
    if (kind == "white noise" || kind == "blurred noise") {
      cv::Mat noise(240, 320, CV_32FC3);
      rng.fill(noise, cv::RNG::NORMAL, 128, kind == "white noise" ? 40 : 120);
      if (kind == "blurred noise") cv::GaussianBlur(noise, noise, {0, 0}, 3.0);
      noise.convertTo(f, CV_8U);
    } else if (kind == "flat grey") {
      f.setTo(cv::Scalar::all(128));
    } else if (kind == "flat black") {
      f.setTo(cv::Scalar::all(0));
    } else {  // moving gradient
      for (int y = 0; y < f.rows; ++y) {
        for (int x = 0; x < f.cols; ++x) {
          const auto v = static_cast<std::uint8_t>((x * 255 / f.cols + y / 4 + 3 * i) % 256);
          f.at<cv::Vec3b>(y, x) = {v, static_cast<std::uint8_t>(255 - v), static_cast<std::uint8_t>(v / 2 + 64)};
        }
      }
    }
    clip.frames.push_back(f);
  }
  return clip;
}

struct TempFolder {
  fs::path path;
  TempFolder() {
    path = fs::temp_directory_path() / format("mirage-watermark-bench-{}", ::getpid());
    fs::create_directories(path);
  }
  ~TempFolder() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

}  // namespace

std::vector<WatermarkAttack> watermark_attacks(double clip_seconds) {
  const std::string cut = format("{:.3f}", clip_seconds - 2.0);
  const std::string half = "scale=trunc(iw/4)*2:trunc(ih/4)*2";
  return {
      {"none (crf 18 as written)", {}, {}},
      {"H.264 crf 23", {}, {"-crf", "23"}},
      {"H.264 crf 28", {}, {"-crf", "28"}},
      {"H.264 crf 35", {}, {"-crf", "35"}},
      {"downscale to 50 %", {}, {"-vf", half, "-crf", "23"}},
      {"upscale to 150 %", {}, {"-vf", "scale=trunc(iw*3/4)*2:trunc(ih*3/4)*2", "-crf", "23"}},
      {"greyscale", {}, {"-vf", "format=gray,format=yuv420p", "-crf", "23"}},
      {"15 fps", {}, {"-vf", "fps=15", "-crf", "23"}},
      {"first and last second cut", {"-ss", "1"}, {"-t", cut, "-crf", "23"}},
      {"50 % + crf 35", {}, {"-vf", half, "-crf", "35"}},
      {"greyscale + 15 fps + cut", {"-ss", "1"}, {"-t", cut, "-vf", "format=gray,format=yuv420p,fps=15", "-crf", "28"}},
      // Harsher than the list: x264's veryfast preset skips more of each frame's change.
      {"H.264 crf 35, preset veryfast", {}, {"-crf", "35"}, "veryfast", true},
      {"50 % + crf 35, preset veryfast", {}, {"-vf", half, "-crf", "35"}, "veryfast", true},
  };
}

Status apply_watermark_attack(const fs::path& in, const fs::path& out, const WatermarkAttack& attack) {
  return ffmpeg(in, out, attack.before, attack.after, attack.preset);
}

int WatermarkBenchmark::attacks_listed() const {
  return static_cast<int>(std::count_if(attacks.begin(), attacks.end(), [](const auto& r) { return !r.harsher; }));
}

int WatermarkBenchmark::attacks_passed() const {
  return static_cast<int>(
      std::count_if(attacks.begin(), attacks.end(), [](const auto& r) { return !r.harsher && r.payload_exact; }));
}

int WatermarkBenchmark::harsher_passed() const {
  return static_cast<int>(
      std::count_if(attacks.begin(), attacks.end(), [](const auto& r) { return r.harsher && r.payload_exact; }));
}

int WatermarkBenchmark::false_alarms() const {
  return static_cast<int>(std::count_if(clean.begin(), clean.end(), [](const auto& r) { return r.found; }));
}

Result<WatermarkBenchmark> run_watermark_benchmark(const WatermarkBenchmarkOptions& o) {
  if (!ffmpeg_available()) return fail(ErrorCode::kNotFound, "ffmpeg is not installed (tools/setup installs it)");
  auto source = read_clip(o.input, o.seconds, o.start_s);
  if (!source) return std::unexpected(source.error());
  const TempFolder work;
  WatermarkBenchmark report;
  report.payload = {.day = watermark_day(std::chrono::system_clock::now()), .model = 0x5a17e5};
  const WatermarkEmbedder embedder(report.payload, o.strength);

  // 1. invisible
  Clip marked{.fps = source->fps};
  std::vector<double> embed_ms;
  double psnr_sum = 0;
  report.psnr_min_db = 1e9;
  for (const cv::Mat& f : source->frames) {
    cv::Mat m = f.clone();
    const auto t = Clock::now();
    embedder.embed(m);
    embed_ms.push_back(seconds_since(t) * 1e3);
    const double p = psnr(f, m);
    psnr_sum += p;
    report.psnr_min_db = std::min(report.psnr_min_db, p);
    marked.frames.push_back(std::move(m));
  }
  report.frames = static_cast<int>(marked.frames.size());
  report.psnr_mean_db = psnr_sum / report.frames;
  report.embed_ms = median(embed_ms);
  if (!o.look_at.empty()) {
    const std::size_t middle = marked.frames.size() / 2;  // the first frames of a clip are often black
    if (auto s = save_look(o.look_at, source->frames[middle], marked.frames[middle]); !s) {
      return std::unexpected(s.error());
    }
  }
  const fs::path marked_path = work.path / "marked.mp4";
  if (auto s = write_clip(marked_path, marked); !s) return std::unexpected(s.error());

  // 2. robust
  const std::vector<WatermarkAttack> attacks = watermark_attacks(o.seconds);
  std::vector<double> detect_ms;
  {
    WatermarkDetector in_memory;
    for (const cv::Mat& f : marked.frames) {
      if (in_memory.frames() < static_cast<int>(o.detect_seconds * marked.fps + 0.5)) in_memory.add(f);
    }
    const WatermarkReading r = in_memory.reading();
    report.attacks.push_back({.attack = "in memory (not encoded)", .frames = r.frames, .bit_agreement = r.bit_agreement,
                              .weakest_bit_t = r.weakest_bit_t, .found = r.found,
                              .payload_exact = r.found && r.payload && *r.payload == report.payload,
                              .bit_errors = static_cast<int>((r.bits ^ encode_payload(report.payload)).count())});
  }
  for (const WatermarkAttack& a : attacks) {
    fs::path attacked = marked_path;
    if (!a.before.empty() || !a.after.empty()) {
      attacked = work.path / format("attack{}.mp4", report.attacks.size());
      if (auto s = apply_watermark_attack(marked_path, attacked, a); !s) return std::unexpected(s.error());
    }
    auto r = detect(attacked, o.detect_seconds, report.attacks.size() == 1 ? &detect_ms : nullptr);
    if (!r) return std::unexpected(r.error());
    report.attacks.push_back({.attack = a.name, .harsher = a.harsher, .frames = r->frames, .bit_agreement = r->bit_agreement,
                              .weakest_bit_t = r->weakest_bit_t, .found = r->found,
                              .payload_exact = r->found && r->payload && *r->payload == report.payload,
                              .bit_errors = static_cast<int>((r->bits ^ encode_payload(report.payload)).count())});
  }
  report.detect_ms = median(detect_ms);

  // 3. never a false alarm
  std::vector<std::pair<std::string, fs::path>> clean;
  std::error_code ec;
  std::vector<fs::path> videos;
  for (const auto& e : fs::directory_iterator(o.unmarked_folder, ec)) {
    const std::string ext = e.path().extension().string();
    if (ext == ".avi" || ext == ".mp4" || ext == ".mkv" || ext == ".mov") videos.push_back(e.path());
  }
  std::sort(videos.begin(), videos.end());
  int n = 0;
  for (const fs::path& v : videos) {
    const std::string name = v.filename().string();
    clean.emplace_back(name, v);
    const std::vector<std::pair<std::string, std::vector<std::string>>> copies = {
        {"crf 23", {"-crf", "23"}},
        {"crf 35", {"-crf", "35"}},
        {"50 %", {"-vf", "scale=trunc(iw/4)*2:trunc(ih/4)*2", "-crf", "23"}},
        {"150 %", {"-vf", "scale=trunc(iw*3/4)*2:trunc(ih*3/4)*2", "-crf", "23"}}};
    for (const auto& [label, args] : copies) {
      const fs::path out = work.path / format("clean{}.mp4", n++);
      std::vector<std::string> after = {"-t", format("{:.3f}", o.seconds)};
      after.insert(after.end(), args.begin(), args.end());
      if (auto s = ffmpeg(v, out, {}, after); !s) return std::unexpected(s.error());
      clean.emplace_back(name + ", " + label, out);
    }
  }
  int seed = 1;
  for (const std::string kind : {"white noise", "blurred noise", "flat grey", "flat black", "moving gradient"}) {
    const fs::path out = work.path / format("generated{}.mp4", seed);
    if (auto s = write_clip(out, generated(kind, seed++)); !s) return std::unexpected(s.error());
    clean.emplace_back("generated: " + kind, out);
  }
  for (const auto& [name, path] : clean) {
    auto r = detect(path, o.seconds);
    if (!r) return std::unexpected(r.error());
    report.clean.push_back({.clip = name, .frames = r->frames, .bit_agreement = r->bit_agreement, .found = r->found});
  }
  return report;
}

}  // namespace mirage::media
