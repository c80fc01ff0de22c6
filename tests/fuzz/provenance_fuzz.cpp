// What mirage verify reads beside and inside a clip: the provenance record (a JSON file anyone can
// edit) and ffprobe's JSON of the container's tags (text a crafted clip controls). The verdict is
// one of the four states with a one-line reason, and never throws.
#include <string>

#include "engine/media/provenance.h"
#include "tests/fuzz/one_line.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mirage;
  const std::string_view text = fuzz::as_text(data, size);
  const std::string sha(64, 'a');
  const media::RecordCheck check = media::check_provenance_record(text, sha, "clip.mp4.provenance.json");
  switch (check.state) {
    case media::RecordState::kMatches: MIRAGE_FUZZ_EXPECT(check.detail.empty(), "a match needs no reason"); break;
    case media::RecordState::kClipChanged:
    case media::RecordState::kDamaged: MIRAGE_FUZZ_EXPECT(fuzz::is_one_line(check.detail), "the reason is one line"); break;
    case media::RecordState::kAbsent: MIRAGE_FUZZ_EXPECT(false, "a record that was read is not absent"); break;
  }
  if (check.state != media::RecordState::kDamaged) {
    MIRAGE_FUZZ_EXPECT(check.json.is_object(), "a readable record keeps its document");
    (void)check.json.dump(2);  // verify --json prints it
  }
  const Json tags = media::parse_ffprobe_tags(text);
  MIRAGE_FUZZ_EXPECT(tags.is_object(), "tags are an object");
  return 0;
}
