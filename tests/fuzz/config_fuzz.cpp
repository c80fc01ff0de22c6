// parse_json and ConfigReader on arbitrary text: every typed read, choice, requirement and
// allow-list either accepts or reports one line, never throws, never changes a target it rejects;
// set_field then find_field finds what was set at a path taken from the input.
#include <cmath>
#include <string>

#include "engine/core/config.h"
#include "tests/fuzz/one_line.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mirage;
  const std::string_view text = fuzz::as_text(data, size);
  // The first line names a dotted path for set_field/find_field; the rest is the document.
  const std::size_t newline = text.find('\n');
  const std::string_view path = text.substr(0, std::min(newline, std::size_t{64}));
  auto json = parse_json(newline == std::string_view::npos ? text : text.substr(newline + 1), "config.json");
  if (!json) {
    MIRAGE_FUZZ_EXPECT(json.error().code == ErrorCode::kCorrupt, "a parse error is kCorrupt");
    MIRAGE_FUZZ_EXPECT(fuzz::is_one_line(json.error().message), "a parse error is one line");
    return 0;
  }
  ConfigReader reader(*json, "config.json");
  bool flag = true;
  int small = 3;
  std::int64_t big = 7;
  double real = 0.5;
  float single = 0.25f;
  std::string word = "keep";
  std::string choice = "lite";
  reader.read("flag", flag);
  reader.read("train.batch", small, 1, 1024);
  reader.read("train.steps", big, -5, std::int64_t{1} << 40);
  reader.read("train.lr", real, 0.0, 1.0);
  reader.read("composite.opacity", single, 0.0f, 1.0f);
  reader.read("name", word);
  reader.read_choice("train.preset", choice, {"lite", "original", "hd"});
  reader.require("schema");
  reader.allow_only("", {"flag", "train", "composite", "name", "schema"});
  reader.allow_only("train", {"batch", "steps", "lr", "preset"});
  MIRAGE_FUZZ_EXPECT(small >= 1 && small <= 1024, "an int read stays in its range");
  MIRAGE_FUZZ_EXPECT(big >= -5 && big <= (std::int64_t{1} << 40), "an int64 read stays in its range");
  MIRAGE_FUZZ_EXPECT(real >= 0.0 && real <= 1.0, "a double read stays in its range (and is not NaN)");
  MIRAGE_FUZZ_EXPECT(single >= 0.0f && single <= 1.0f, "a float read stays in its range");
  MIRAGE_FUZZ_EXPECT(choice == "lite" || choice == "original" || choice == "hd", "a choice is one of its choices");
  MIRAGE_FUZZ_EXPECT(reader.ok() == reader.status().has_value(), "ok() and status() agree");
  if (!reader.ok()) MIRAGE_FUZZ_EXPECT(fuzz::is_one_line(reader.status().error().message), "errors are one line");

  Json copy = *json;
  set_field(copy, path, Json(42));
  const Json* found = find_field(copy, path);
  MIRAGE_FUZZ_EXPECT(found != nullptr && *found == 42, "find_field finds what set_field set");
  // What is saved must read back the same.
  const std::string dumped = json->dump(2);
  auto again = parse_json(dumped, "again");
  MIRAGE_FUZZ_EXPECT(again.has_value(), "a parsed document parses again after dump()");
  return 0;
}
