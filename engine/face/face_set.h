// A face set on disk: one PNG per aligned face plus one metadata file, faceset.json.
//
//   auto set = face::FaceSet::open_or_create("faces/roxanne");   // kCorrupt if foreign/damaged
//   if (!set) { print(set.error().to_string()); return 1; }
//   face::FaceRecord record = ...;                  // where the face came from
//   if (auto s = set->add(aligned.image, record); !s) ...;   // writes a new PNG, never replaces one
//   if (auto s = set->save(); !s) ...;              // faceset.json, atomically
//
// faceset.json (schema version 1):
//   { "format": "mirage.faceset", "version": 1,
//     "faces": [ { "file": "Megamind_000042_0.png", "source": "data/Megamind.avi",
//                  "frame": 42, "time_s": 1.75, "box": [x, y, w, h],
//                  "landmarks": [[x, y] x 68],             // frame pixels
//                  "face_to_frame": [[a, b, c], [d, e, f]],  // crop pixels -> frame pixels
//                  "size": 256, "coverage": 0.6, "detector": "hog", "score": 1.2,
//                  "blur": 85.0, "track": 3, "identity": -1 } ] }    // -1: not sorted yet
// Loading validates every field; a file that is not valid JSON, not a Mirage face set, or has a
// malformed face is reported (kCorrupt, naming the field) and never rewritten. A set written by
// a newer schema is kUnsupported. Faces are appended; existing PNGs are never overwritten.
// Not thread-safe: one FaceSet per folder per process.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <opencv2/core.hpp>

#include "engine/core/config.h"
#include "engine/core/error.h"
#include "engine/face/landmarks.h"

namespace mirage::face {

inline constexpr int kFaceSetVersion = 1;
inline constexpr std::string_view kFaceSetFormat = "mirage.faceset";
inline constexpr std::string_view kFaceSetFile = "faceset.json";

struct FaceRecord {
  std::string file;             // PNG file name inside the set folder
  std::string source;           // the video or image the face came from
  std::int64_t frame = 0;       // frame index in the source
  double time_s = 0.0;          // timestamp of that frame
  cv::Rect2f box;               // detector or tracker box, frame pixels
  Landmarks landmarks{};        // frame pixels
  cv::Matx23d face_to_frame = cv::Matx23d::eye();
  int size = 256;               // crop side in pixels
  double coverage = 0.6;        // AlignOptions::coverage used for the crop
  std::string detector = "hog";
  double score = 0.0;           // detector score (tracked faces keep their last detection's)
  double blur = 0.0;            // face_blur_score(): higher is sharper
  int track = -1;               // tracker id within one extraction run
  int identity = -1;            // identity cluster; -1 until clustered (extract into a new set, or sort)
};

Json to_json(const FaceRecord& record);
// Errors: kCorrupt "<where>: <field>: <what>" naming the first bad field.
Result<FaceRecord> face_record_from_json(const Json& json, std::string_view where);
// The faces of a faceset.json document (what FaceSet::load reads after the file). Errors: kCorrupt
// naming the field, kUnsupported for a newer schema. `where` names the file in messages.
Result<std::vector<FaceRecord>> parse_face_set(const Json& json, std::string_view where);

// Variance of the Laplacian over the middle of an aligned face (grey levels^2): a sharpness
// score; below about 20 a face is usually too blurred to train on.
double face_blur_score(const cv::Mat& aligned);

class FaceSet {
 public:
  // Loads the set in `folder`. Errors: kNotFound (no folder or no faceset.json), kCorrupt,
  // kUnsupported (newer schema), kIo.
  static Result<FaceSet> load(const std::filesystem::path& folder);
  // Loads the set, or starts an empty one when the folder or its faceset.json does not exist yet
  // (nothing is written until add() or save()). A folder that exists but cannot be written to is
  // reported here (kIo), before any work is done.
  static Result<FaceSet> open_or_create(const std::filesystem::path& folder);

  const std::filesystem::path& folder() const { return folder_; }
  const std::filesystem::path metadata_path() const { return folder_ / kFaceSetFile; }
  const std::vector<FaceRecord>& faces() const { return faces_; }
  std::vector<FaceRecord>& faces() { return faces_; }

  // Writes `image` as a new PNG (named after the source, frame and record.file if set as a hint)
  // and appends the record with its final file name. Never replaces an existing file.
  // Errors: kIo. The metadata is written by save().
  Status add(const cv::Mat& image, FaceRecord record);
  // Writes faceset.json atomically (a crash leaves the previous version).
  Status save() const;
  // Index of the face whose PNG is `file`, or -1.
  int find(std::string_view file) const;

 private:
  explicit FaceSet(std::filesystem::path folder) : folder_(std::move(folder)) {}
  std::filesystem::path folder_;
  std::vector<FaceRecord> faces_;
};

// Moves the faces whose PNGs are `files` from `from` into `to` (another folder on the same file
// system): each PNG is renamed into `to`'s folder (taking a free name there if its own is taken)
// and its record appended; then `to`'s faceset.json is saved, then `from`'s. A crash in between
// leaves a face listed in both sets with its PNG in one of them (the other's record then points
// at a missing file, which loaders report and skip); nothing is ever deleted. Files not in
// `from` are an error (kNotFound, nothing moved); kIo when a rename or a save fails (what moved
// is listed where its PNG is). Returns the names the files have in `to`, in order.
Result<std::vector<std::string>> move_faces(FaceSet& from, FaceSet& to, const std::vector<std::string>& files);

}  // namespace mirage::face
