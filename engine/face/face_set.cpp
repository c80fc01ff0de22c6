#include "engine/face/face_set.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <system_error>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "engine/core/file_io.h"
#include "engine/core/format.h"

namespace mirage::face {
namespace fs = std::filesystem;
namespace {

// Reads the fields of one face, remembering the first problem.
class FieldReader {
 public:
  FieldReader(const Json& object, std::string_view where) : object_(object), where_(where) {}

  const Json* get(const char* key, bool (Json::*is)() const, const char* expected) {
    if (!error_.empty()) return nullptr;
    const auto it = object_.find(key);
    if (it == object_.end()) {
      error_ = format("{}: {}: missing", where_, key);
      return nullptr;
    }
    if (!((*it).*is)()) {
      error_ = format("{}: {}: expected {}", where_, key, expected);
      return nullptr;
    }
    return &*it;
  }
  void number(const char* key, double& out) {
    if (const Json* j = get(key, &Json::is_number, "a number")) out = j->get<double>();
  }
  void integer(const char* key, std::int64_t& out) {
    if (const Json* j = get(key, &Json::is_number_integer, "an integer")) out = j->get<std::int64_t>();
  }
  void integer(const char* key, int& out) {
    std::int64_t value = out;
    integer(key, value);
    out = static_cast<int>(value);
  }
  void text(const char* key, std::string& out) {
    if (const Json* j = get(key, &Json::is_string, "a string")) out = j->get<std::string>();
  }
  // An array of `rows` arrays of `cols` numbers.
  bool matrix(const char* key, int rows, int cols, std::vector<double>& out) {
    const Json* j = get(key, &Json::is_array, "an array");
    if (j == nullptr) return false;
    out.clear();
    bool good = static_cast<int>(j->size()) == rows;
    for (const Json& row : *j) {
      if (!good) break;
      good = row.is_array() && static_cast<int>(row.size()) == cols;
      for (const Json& value : row) {
        if (!good || !value.is_number()) {
          good = false;
          break;
        }
        out.push_back(value.get<double>());
      }
    }
    if (!good) error_ = format("{}: {}: expected {} rows of {} numbers", where_, key, rows, cols);
    return good;
  }
  void fail_with(std::string message) {
    if (error_.empty()) error_ = format("{}: {}", where_, message);
  }
  const std::string& error() const { return error_; }

 private:
  const Json& object_;
  std::string_view where_;
  std::string error_;
};

// Creates `path` exclusively and writes bytes; EEXIST is returned to the caller to pick a new name.
int write_new_file(const fs::path& path, const std::vector<uchar>& bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return errno;
  std::size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int error = errno;
      ::close(fd);
      ::unlink(path.c_str());
      return error;
    }
    written += static_cast<std::size_t>(n);
  }
  if (::close(fd) != 0) {
    const int error = errno;
    ::unlink(path.c_str());
    return error;
  }
  return 0;
}

std::string stem_for(const FaceRecord& record) {
  std::string stem = fs::path(record.source).stem().string();
  if (stem.empty()) stem = "face";
  for (char& c : stem) {
    if (c == ' ' || c == '/' || c == '\\') c = '_';
  }
  return stem;
}

Status check_writable(const fs::path& folder) {
  const fs::path probe = folder / ".mirage-write-probe";
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return fail(ErrorCode::kIo, "{}: cannot write to this folder ({})", folder.string(), std::strerror(errno));
  }
  ::close(fd);
  ::unlink(probe.c_str());
  return ok();
}

}  // namespace

Json to_json(const FaceRecord& r) {
  Json landmarks = Json::array();
  for (const cv::Point2f& p : r.landmarks) landmarks.push_back({p.x, p.y});
  const cv::Matx23d& m = r.face_to_frame;
  return Json{{"file", r.file},
              {"source", r.source},
              {"frame", r.frame},
              {"time_s", r.time_s},
              {"box", {r.box.x, r.box.y, r.box.width, r.box.height}},
              {"landmarks", landmarks},
              {"face_to_frame", {{m(0, 0), m(0, 1), m(0, 2)}, {m(1, 0), m(1, 1), m(1, 2)}}},
              {"size", r.size},
              {"coverage", r.coverage},
              {"detector", r.detector},
              {"score", r.score},
              {"blur", r.blur},
              {"track", r.track},
              {"identity", r.identity}};
}

Result<FaceRecord> face_record_from_json(const Json& json, std::string_view where) {
  if (!json.is_object()) return fail(ErrorCode::kCorrupt, "{}: expected an object", where);
  FaceRecord r;
  FieldReader read(json, where);
  read.text("file", r.file);
  read.text("source", r.source);
  read.integer("frame", r.frame);
  read.number("time_s", r.time_s);
  std::vector<double> values;
  if (read.matrix("landmarks", kLandmarkCount, 2, values)) {
    for (int i = 0; i < kLandmarkCount; ++i) {
      r.landmarks[i] = cv::Point2f(static_cast<float>(values[2 * i]), static_cast<float>(values[2 * i + 1]));
    }
  }
  if (read.matrix("face_to_frame", 2, 3, values)) {
    for (int i = 0; i < 6; ++i) r.face_to_frame(i / 3, i % 3) = values[i];
  }
  if (const Json* box = read.get("box", &Json::is_array, "an array")) {
    if (box->size() != 4 || !std::ranges::all_of(*box, [](const Json& v) { return v.is_number(); })) {
      read.fail_with("box: expected [x, y, width, height]");
    } else {
      r.box = cv::Rect2f((*box)[0].get<float>(), (*box)[1].get<float>(), (*box)[2].get<float>(), (*box)[3].get<float>());
    }
  }
  read.integer("size", r.size);
  read.number("coverage", r.coverage);
  read.text("detector", r.detector);
  read.number("score", r.score);
  read.number("blur", r.blur);
  read.integer("track", r.track);
  read.integer("identity", r.identity);
  if (read.error().empty()) {
    if (r.file.empty() || r.file.find('/') != std::string::npos || r.file == "." || r.file == "..") {
      read.fail_with("file: expected a plain file name");
    } else if (r.size < 8 || r.size > 8192) {
      read.fail_with(format("size: expected 8..8192, got {}", r.size));
    } else if (!(r.coverage > 0 && r.coverage <= 1)) {
      read.fail_with("coverage: expected a number in (0, 1]");
    } else if (r.identity < -1 || r.frame < 0) {
      read.fail_with("identity/frame: out of range");
    } else if (!std::isfinite(r.box.x) || !std::isfinite(r.box.y) || !std::isfinite(r.box.width) ||
               !std::isfinite(r.box.height)) {
      // Stored as float: a number past float's range would be saved as null, and the set would
      // then no longer load (found by tests/fuzz/faceset_fuzz.cpp).
      read.fail_with("box: numbers out of range");
    } else if (!std::ranges::all_of(r.landmarks, [](const cv::Point2f& p) {
                 return std::isfinite(p.x) && std::isfinite(p.y);
               })) {
      read.fail_with("landmarks: numbers out of range");
    }
  }
  if (!read.error().empty()) return fail(ErrorCode::kCorrupt, read.error());
  return r;
}

double face_blur_score(const cv::Mat& aligned) {
  if (aligned.empty()) return 0.0;
  cv::Mat gray;
  if (aligned.channels() == 1) {
    gray = aligned;
  } else {
    cv::cvtColor(aligned, gray, cv::COLOR_BGR2GRAY);
  }
  // The middle half holds eyes, nose and mouth; the border is background and hair.
  const cv::Rect middle(gray.cols / 4, gray.rows / 4, gray.cols / 2, gray.rows / 2);
  cv::Mat laplacian;
  cv::Laplacian(gray(middle), laplacian, CV_32F);
  cv::Scalar mean, deviation;
  cv::meanStdDev(laplacian, mean, deviation);
  return deviation[0] * deviation[0];
}

Result<std::vector<FaceRecord>> parse_face_set(const Json& json, std::string_view where) {
  if (!json.is_object() || !json.contains("format") || json["format"] != kFaceSetFormat) {
    return fail(ErrorCode::kCorrupt, "{}: not a Mirage face set (no \"format\": \"{}\"); left untouched",
                where, kFaceSetFormat);
  }
  const auto version = json.find("version");
  if (version == json.end() || !version->is_number_integer() || version->get<std::int64_t>() < 1) {
    return fail(ErrorCode::kCorrupt, "{}: version: expected a positive integer", where);
  }
  if (version->get<std::int64_t>() > kFaceSetVersion) {
    return fail(ErrorCode::kUnsupported, "{}: schema version {} is newer than this Mirage reads ({})",
                where, version->get<std::int64_t>(), kFaceSetVersion);
  }
  const auto faces = json.find("faces");
  if (faces == json.end() || !faces->is_array()) {
    return fail(ErrorCode::kCorrupt, "{}: faces: expected an array", where);
  }
  std::vector<FaceRecord> records;
  records.reserve(faces->size());
  for (std::size_t i = 0; i < faces->size(); ++i) {
    auto record = face_record_from_json((*faces)[i], format("{}: faces[{}]", where, i));
    if (!record) return std::unexpected(record.error());
    records.push_back(std::move(*record));
  }
  return records;
}

Result<FaceSet> FaceSet::load(const fs::path& folder) {
  const fs::path path = folder / kFaceSetFile;
  auto json = load_json(path);
  if (!json) return std::unexpected(json.error());
  auto records = parse_face_set(*json, path.string());
  if (!records) return std::unexpected(records.error());
  FaceSet set(folder);
  set.faces_ = std::move(*records);
  return set;
}

Result<FaceSet> FaceSet::open_or_create(const fs::path& folder) {
  std::error_code ec;
  if (fs::exists(folder / kFaceSetFile, ec)) {
    auto set = load(folder);
    if (!set) return set;
    if (auto s = check_writable(folder); !s) return std::unexpected(s.error());
    return set;
  }
  if (fs::exists(folder, ec) && !fs::is_directory(folder, ec)) {
    return fail(ErrorCode::kIo, "{}: exists and is not a folder", folder.string());
  }
  fs::create_directories(folder, ec);
  if (ec) return fail(ErrorCode::kIo, "{}: cannot create the folder ({})", folder.string(), ec.message());
  if (auto s = check_writable(folder); !s) return std::unexpected(s.error());
  return FaceSet(folder);
}

Status FaceSet::add(const cv::Mat& image, FaceRecord record) {
  std::vector<uchar> png;
  try {
    if (!cv::imencode(".png", image, png, {cv::IMWRITE_PNG_COMPRESSION, 1})) {
      return fail(ErrorCode::kInternal, "cannot encode a face as PNG");
    }
  } catch (const cv::Exception& e) {
    return fail(ErrorCode::kInternal, "cannot encode a face as PNG ({})", e.msg);
  }
  std::string padded = std::to_string(record.frame);
  padded.insert(0, padded.size() < 6 ? 6 - padded.size() : 0, '0');
  const std::string stem = format("{}_{}", stem_for(record), padded);
  for (int attempt = 0; attempt < 10000; ++attempt) {
    const std::string name = attempt == 0 ? stem + ".png" : format("{}-{}.png", stem, attempt);
    const int error = write_new_file(folder_ / name, png);
    if (error == EEXIST) continue;
    if (error != 0) {
      return fail(ErrorCode::kIo, "{}: cannot write ({})", (folder_ / name).string(), std::strerror(error));
    }
    record.file = name;
    faces_.push_back(std::move(record));
    return ok();
  }
  return fail(ErrorCode::kIo, "{}: no free file name for {}", folder_.string(), stem);
}

// One face per line: a set of thousands stays a file that diffs line by line and reads in half
// the time of the indented form (the same JSON document either way).
Status FaceSet::save() const {
  std::string text = "{\n  \"faces\": [";
  try {
    for (std::size_t i = 0; i < faces_.size(); ++i) {
      text += i == 0 ? "\n    " : ",\n    ";
      text += to_json(faces_[i]).dump();
    }
  } catch (const Json::type_error&) {
    // A text that is not UTF-8 (a source path in another encoding): written replaced it would
    // name another file, so nothing is written.
    return fail(ErrorCode::kInvalidArgument, "{}: not written: a text in it is not valid UTF-8 (rename the file it names)",
                metadata_path().string());
  }
  text += faces_.empty() ? "],\n" : "\n  ],\n";
  text += format("  \"format\": {},\n  \"version\": {}\n}}\n", Json(kFaceSetFormat).dump(), Json(kFaceSetVersion).dump());
  return write_file_atomic(metadata_path(), text);
}

int FaceSet::find(std::string_view file) const {
  for (std::size_t i = 0; i < faces_.size(); ++i) {
    if (faces_[i].file == file) return static_cast<int>(i);
  }
  return -1;
}

Result<std::vector<std::string>> move_faces(FaceSet& from, FaceSet& to, const std::vector<std::string>& files) {
  std::vector<std::size_t> indices;
  for (const std::string& file : files) {
    const int i = from.find(file);
    if (i < 0) return fail(ErrorCode::kNotFound, "{}: no face {} in the set", from.folder().string(), printable(file));
    indices.push_back(static_cast<std::size_t>(i));
  }
  std::error_code ec;
  fs::create_directories(to.folder(), ec);
  if (ec) return fail(ErrorCode::kIo, "{}: cannot create the folder ({})", to.folder().string(), ec.message());
  std::vector<std::string> names;
  std::vector<bool> moved(from.faces().size(), false);
  Status result = ok();
  for (const std::size_t i : indices) {
    FaceRecord record = from.faces()[i];
    const fs::path stem = fs::path(record.file).stem();
    std::string name = record.file;
    for (int attempt = 1; fs::exists(to.folder() / name, ec) && attempt < 10000; ++attempt) {
      name = format("{}-{}.png", stem.string(), attempt);
    }
    // link + unlink rather than rename: a rename would replace a file that appeared meanwhile.
    if (::link((from.folder() / record.file).c_str(), (to.folder() / name).c_str()) != 0) {
      result = fail(ErrorCode::kIo, "{}: cannot move into {} ({})", (from.folder() / record.file).string(),
                    to.folder().string(), std::strerror(errno));
      break;
    }
    record.file = name;
    to.faces().push_back(std::move(record));
    moved[i] = true;
    names.push_back(name);
  }
  // The new set first: until it is saved the faces are listed where they were, and their PNGs
  // are in both folders.
  if (auto s = to.save(); !s) {
    for (const std::string& name : names) fs::remove(to.folder() / name, ec);
    to.faces().resize(to.faces().size() - names.size());
    return std::unexpected(s.error());
  }
  std::vector<FaceRecord> kept;
  std::vector<std::string> gone;
  for (std::size_t i = 0; i < from.faces().size(); ++i) {
    if (moved[i]) {
      gone.push_back(from.faces()[i].file);
    } else {
      kept.push_back(from.faces()[i]);
    }
  }
  std::vector<FaceRecord> before = std::move(from.faces());
  from.faces() = std::move(kept);
  if (auto s = from.save(); !s) {
    from.faces() = std::move(before);  // still listed here; the copies in `to` are listed there too
    return std::unexpected(s.error());
  }
  for (const std::string& file : gone) fs::remove(from.folder() / file, ec);
  if (!result) return std::unexpected(result.error());
  return names;
}

}  // namespace mirage::face
