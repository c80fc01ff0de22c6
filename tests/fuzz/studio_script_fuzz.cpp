// The studio's UI script (mirage-studio --script FILE): one clear error naming the line, or steps
// the studio can carry out as they are: finite numbers in range, and compositing values that the
// options table accepts when applied the way the studio applies them.
#include <cmath>
#include <string>

#include "editor/studio_script.h"
#include "engine/core/composite_options.h"
#include "tests/fuzz/one_line.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mirage;
  auto steps = studio::parse_script(std::string(fuzz::as_text(data, size)));
  if (!steps) {
    MIRAGE_FUZZ_EXPECT(steps.error().message.starts_with("script:"), "the error names the line");
    MIRAGE_FUZZ_EXPECT(fuzz::is_one_line(steps.error().message), "the error is one line");
    return 0;
  }
  CompositeOptions options;
  for (const studio::ScriptStep& step : *steps) {
    MIRAGE_FUZZ_EXPECT(std::isfinite(step.number), "numbers are finite");
    if (step.command == "frames") {
      MIRAGE_FUZZ_EXPECT(step.number >= 0 && step.number <= studio::kMaxScriptFrames, "frames is bounded");
    }
    if (step.command == "until") {
      MIRAGE_FUZZ_EXPECT(step.number > 0 && step.number <= studio::kMaxScriptWaitSeconds, "until's timeout is bounded");
    }
    if (step.command == "set") {
      // As StudioApp::run_step applies it.
      if (step.word == "colour") {
        options.colour = *parse_colour_transfer(step.value);
      } else if (step.word == "blend") {
        options.blend = *parse_blend_mode(step.value);
      } else {
        const CompositeParam* param = find_composite_param(step.word);
        MIRAGE_FUZZ_EXPECT(param != nullptr, "set names a compositing option");
        options.*param->field = step.number;
      }
      MIRAGE_FUZZ_EXPECT(validate(options).has_value(), "a value the script accepts is one the options accept");
    }
  }
  return 0;
}
