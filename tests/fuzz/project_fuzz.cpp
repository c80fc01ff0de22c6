// project.json as Project::open reads it: one clear error naming the field, or settings that
// pass validation and survive a save and a reopen.
#include "engine/core/composite_options.h"
#include "engine/core/config.h"
#include "engine/workspace/project.h"
#include "tests/fuzz/one_line.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mirage;
  auto json = parse_json(fuzz::as_text(data, size), "project.json");
  if (!json) return 0;
  auto settings = workspace::settings_from_json(*json, "project.json");
  if (!settings) {
    MIRAGE_FUZZ_EXPECT(fuzz::is_one_line(settings.error().message), "the error is one line");
    return 0;
  }
  MIRAGE_FUZZ_EXPECT(validate(settings->composite).has_value(), "accepted compositing settings validate");
  const Json saved = workspace::to_json(*settings);
  auto reread = parse_json(saved.dump(2), "saved project.json");
  MIRAGE_FUZZ_EXPECT(reread.has_value(), "accepted settings save as valid JSON");
  auto again = workspace::settings_from_json(*reread, "saved project.json");
  MIRAGE_FUZZ_EXPECT(again.has_value(), "accepted settings open again after a save");
  MIRAGE_FUZZ_EXPECT(workspace::to_json(*again) == saved, "a save and reopen changes nothing");
  return 0;
}
