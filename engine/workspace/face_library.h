// A project's face sets as the studio's face browser edits them: every folder under faces/ that
// holds a faceset.json (faces/a, faces/b, faces/all, ...) and the rejected/ sub-set of each.
//
//   workspace::FaceLibrary library(project.folder() / "faces");
//   auto set = library.view("a");                        // as it is on disk (read again if changed)
//   library.reject("a", {"Megamind_000042_0.png"});      // into faces/a/rejected; undoable
//   library.split("all", 1);                             // person 1 of a sorted set into faces/all-person1
//   library.undo();                                      // the last edit, reversed
//
// Every edit moves the faces' own files (renamed, never re-encoded, never deleted) and rewrites
// each faceset.json atomically (face::move_faces). A set that changed on disk since it was read
// (`mirage sort` or `mirage extract` meanwhile) is read again before an edit touches it, and the
// edit is refused with one line (kIo "...changed on disk (another program); read again: nothing
// was changed, try again") so that it is never made on a stale picture; undo likewise refuses an
// edit whose sets changed since. What takes seconds (extraction, sorting) runs as the
// workspace's face jobs, which tell the library what they rewrote. UI thread only.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/core/error.h"

namespace mirage::face {
class FaceSet;
struct FaceRecord;
}  // namespace mirage::face

namespace mirage::workspace {

// A face as the browser shows it (the record without the geometry).
struct FaceEntry {
  std::string file;           // the PNG, in the set's folder
  int identity = -1;          // identity cluster (-1: not sorted by identity)
  double blur = 0;            // sharpness (face::face_blur_score)
  double score = 0;           // detector score
  double width_px = 0;        // the face's box in the source frame
  std::string source;         // the video or image it came from
  std::int64_t frame = 0;
};

struct FaceSetView {
  std::string name;
  std::filesystem::path folder;
  std::vector<FaceEntry> faces;  // in the set's order
};

struct FaceSetSummary {
  std::string name;        // relative to faces/: "a", "all-person1"
  std::int64_t faces = 0;
  std::int64_t rejected = 0;
  std::int64_t identities = 0;  // distinct identity clusters among the faces (0: not sorted by identity)
};

class FaceLibrary {
 public:
  explicit FaceLibrary(std::filesystem::path root) : root_(std::move(root)) {}

  const std::filesystem::path& root() const { return root_; }
  std::filesystem::path folder(const std::string& name) const { return root_ / name; }
  // The sets under root(), by name; a set's rejected/ is part of its summary, not a set of its own.
  std::vector<FaceSetSummary> sets();
  // A set ("a") or a set's rejected faces ("a/rejected"; kNotFound until a face is rejected), read
  // again whenever its faceset.json changed. FaceSet::load's errors (kNotFound, kCorrupt, ...).
  Result<std::shared_ptr<const FaceSetView>> view(const std::string& name);
  // The same two, never waiting (for the UI thread): a set not read yet, or changed on disk
  // since, is read on the library's own thread (a 5,000-face faceset.json takes half a second);
  // until it is, view_now() gives what was read before (null the first time) and sets_now()
  // lists it so (faces = -1 the first time; rejected = -1 while its rejected/ is first read). A
  // set that cannot be read gives its error, as view() does.
  Result<std::shared_ptr<const FaceSetView>> view_now(const std::string& name);
  std::vector<FaceSetSummary> sets_now();
  // The whole record of a face of a set read by view() (null when there is no such face).
  const face::FaceRecord* record(const std::string& name, const std::string& file) const;

  // Moves the faces (PNG file names) of `set` into `set`/rejected, or back. kNotFound for a file
  // that is not in the set, kIo as above.
  Status reject(const std::string& set, const std::vector<std::string>& files);
  Status restore(const std::string& set, const std::vector<std::string>& files);
  // Moves the faces of identity cluster `identity` of `set` (sorted by identity) into a new set
  // next to it; returns its name ("<set>-person<identity>", or with a number when taken).
  // kInvalidArgument when the set has no face of that identity.
  Result<std::string> split(const std::string& set, int identity);

  bool can_undo() const { return !history_.empty(); }
  std::string undo_label() const { return history_.empty() ? std::string() : history_.back().label; }
  // Reverses the last edit; it is kept for a second try when it fails.
  Status undo();
  // The set was rewritten by someone who says so (a face job): read it again next time.
  void forget(const std::string& name) { loaded_.erase(name); }

 private:
  struct Loaded {
    std::shared_ptr<face::FaceSet> set;
    std::shared_ptr<const FaceSetView> view;
    std::filesystem::file_time_type written{};
    std::uintmax_t bytes = 0;
  };
  Result<std::shared_ptr<face::FaceSet>> set(const std::string& name);
  // set() without waiting: null while the reader thread reads it.
  Result<std::shared_ptr<face::FaceSet>> set_now(const std::string& name);
  Result<std::shared_ptr<const FaceSetView>> view_of(const std::string& name, const std::shared_ptr<face::FaceSet>& set);
  template <class Get>
  std::vector<FaceSetSummary> list_sets(Get get);
  // One edit: faces that went from one set to another (their names in `to`).
  struct Move {
    std::string from, to;
    std::vector<std::string> files;
  };
  struct Edit {
    std::string label;
    std::vector<Move> moves;
    std::string made_set;  // a set the edit created (its folder goes again on undo when empty)
  };

  // The set for an edit: loaded and unchanged on disk since, or created empty (rejected/, a new
  // split set) when `create`; kIo when it changed under us (and it is read again).
  Result<face::FaceSet*> for_edit(const std::string& name, bool create);
  Status move(const std::string& from, const std::string& to, const std::vector<std::string>& files, Edit& edit);
  // Keeps a set read from disk; `written`/`bytes`: the file's stamp taken before it was read
  // (default: now).
  void remember(const std::string& name, std::shared_ptr<face::FaceSet> set,
                std::optional<std::pair<std::filesystem::file_time_type, std::uintmax_t>> stamp = std::nullopt);

  struct Reader;  // the thread of view_now() and sets_now()
  std::filesystem::path root_;
  std::shared_ptr<Reader> reader_;
  std::map<std::string, Loaded> loaded_;
  std::vector<Edit> history_;
};

}  // namespace mirage::workspace
