// faceset.json as FaceSet::load reads it: one clear error, or faces that survive being saved and
// read again (what extract, sort and the studio do with a set every time).
#include "engine/core/config.h"
#include "engine/face/face_set.h"
#include "tests/fuzz/one_line.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mirage;
  auto json = parse_json(fuzz::as_text(data, size), "faceset.json");
  if (!json) return 0;
  auto faces = face::parse_face_set(*json, "faceset.json");
  if (!faces) {
    MIRAGE_FUZZ_EXPECT(faces.error().code == ErrorCode::kCorrupt || faces.error().code == ErrorCode::kUnsupported,
                       "a bad set is kCorrupt or kUnsupported");
    MIRAGE_FUZZ_EXPECT(fuzz::is_one_line(faces.error().message), "the error is one line");
    return 0;
  }
  // FaceSet::save writes exactly this document.
  Json saved_faces = Json::array();
  for (const face::FaceRecord& record : *faces) saved_faces.push_back(face::to_json(record));
  const Json saved{{"format", face::kFaceSetFormat}, {"version", face::kFaceSetVersion}, {"faces", saved_faces}};
  auto reread = parse_json(saved.dump(2), "saved faceset.json");
  MIRAGE_FUZZ_EXPECT(reread.has_value(), "a set that loaded saves as valid JSON");
  auto again = face::parse_face_set(*reread, "saved faceset.json");
  MIRAGE_FUZZ_EXPECT(again.has_value(), "a set that loaded loads again after a save");
  MIRAGE_FUZZ_EXPECT(again->size() == faces->size(), "a save keeps every face");
  for (std::size_t i = 0; i < faces->size(); ++i) {
    MIRAGE_FUZZ_EXPECT(face::to_json((*again)[i]) == saved_faces[i], "a face reads back as it was saved");
  }
  return 0;
}
