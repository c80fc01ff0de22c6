// Pictures for the face browser, made on a thread of its own so that scrolling through ten
// thousand faces never waits for a PNG: thumbnails of aligned faces, and a face's source frame
// with its landmarks drawn (what the browser shows on hover).
//
//   workspace::Thumbnails thumbs(96);
//   for (visible face) if (!cached) thumbs.request(set_folder / face.file);   // every UI frame
//   for (auto& t : thumbs.take(16)) upload(t.path, t.rgba);                   // a few per frame
//   thumbs.request_source(record);  if (auto s = thumbs.take_source()) show(s->rgba);
//
// The newest requests are served first and at most kMaxWaiting wait (older ones are dropped: a
// face scrolled past is asked for again if it comes back). A PNG that cannot be read gives a
// grey square marked with a cross, so the grid never waits for it again. Thread-safe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/core/image.h"

namespace mirage::face {
struct FaceRecord;
}

namespace mirage::workspace {

struct Thumbnail {
  std::filesystem::path path;
  Image rgba;  // side x side
};

struct SourceView {
  std::string key;  // the face's set folder + file, as requested
  Image rgba;       // the source frame, `width` wide, the face's box and 68 landmarks drawn
  std::string error;  // when the frame could not be read (rgba is empty then)
};

class Thumbnails {
 public:
  static constexpr std::size_t kMaxWaiting = 512;
  explicit Thumbnails(int side);
  ~Thumbnails();
  Thumbnails(const Thumbnails&) = delete;
  Thumbnails& operator=(const Thumbnails&) = delete;

  int side() const { return side_; }
  void request(const std::filesystem::path& png);  // again while waiting: moved to the front
  std::vector<Thumbnail> take(std::size_t at_most);
  std::size_t waiting() const;

  // The frame `record` came from, `width` px wide (replaces a request not served yet).
  void request_source(const std::filesystem::path& set_folder, const face::FaceRecord& record, int width);
  std::optional<SourceView> take_source();

  struct State;

 private:
  int side_;
  std::shared_ptr<State> state_;
};

}  // namespace mirage::workspace
