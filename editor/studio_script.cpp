#include "editor/studio_script.h"

#include <charconv>
#include <cmath>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>

#include "engine/core/composite_options.h"
#include "engine/core/format.h"

namespace mirage::studio {
namespace {

// A finite number written whole ("nan" and "inf" parse, but no step can use them).
bool to_number(const std::string& text, double& value) {
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() && end == text.data() + text.size() && std::isfinite(value);
}

// GLFW's key code of a key name (GLFW's codes are ASCII for letters, digits and punctuation).
std::optional<int> key_code(const std::string& name) {
  if (name.size() == 1) {
    const char c = name[0];
    if (c >= 'A' && c <= 'Z') return c;
    if (c >= 'a' && c <= 'z') return c - 'a' + 'A';
    if (c >= '0' && c <= '9') return c;
  }
  if (name == "space") return 32;
  if (name == "period") return 46;
  if (name == "comma") return 44;
  if (name == "F1") return 290;
  return std::nullopt;
}

}  // namespace

Result<std::vector<ScriptStep>> parse_script(const std::string& text) {
  std::vector<ScriptStep> steps;
  std::istringstream lines(text);
  std::string line;
  int number = 0;
  while (std::getline(lines, line)) {
    ++number;
    if (const auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    std::istringstream words(line);
    ScriptStep step;
    step.line = number;
    if (!(words >> step.command)) continue;
    std::string a, b, extra;
    words >> a >> b >> extra;
    const auto bad = [&](std::string what) -> Result<std::vector<ScriptStep>> {
      return fail(ErrorCode::kInvalidArgument, "script:{}: {}", number, what);
    };
    if (!extra.empty()) return bad(format("too many words after '{}'", step.command));
    const std::string& c = step.command;
    if (c == "select") {
      if (!to_number(a, step.number) || step.number < 0 || step.number > 1e6 || !b.empty()) {
        return bad("select wants a number of faces");
      }
    } else if (c == "scroll") {
      if (!to_number(a, step.number) || std::abs(step.number) > 10000 || !b.empty()) {
        return bad("scroll wants pixels per frame (0 stops)");
      }
    } else if (c == "hover") {
      if (!to_number(a, step.number) || step.number < -1 || step.number > 1e6 || !b.empty()) {
        return bad("hover wants a face's place in the grid (-1 stops)");
      }
    } else if (c == "faces") {
      if (a.empty() || !b.empty()) return bad("faces wants one set name");
      step.word = a;
    } else if (c == "frames" || c == "seek") {
      if (!to_number(a, step.number) || step.number < 0 || !b.empty()) return bad(format("{} wants one number", c));
      if (c == "frames" && step.number > kMaxScriptFrames) return bad(format("frames: at most {}", kMaxScriptFrames));
    } else if (c == "until") {
      static const std::set<std::string> conditions = {"swapped", "recorded", "trained", "training", "masked",
                                                       "thumbnails", "source"};
      if (!conditions.contains(a)) {
        return bad("until wants swapped, recorded, trained, training, masked, thumbnails or source");
      }
      step.word = a;
      step.number = 120;
      if (!b.empty() && (!to_number(b, step.number) || step.number <= 0 || step.number > kMaxScriptWaitSeconds)) {
        return bad(format("until's timeout is seconds, at most {}", kMaxScriptWaitSeconds));
      }
    } else if (c == "train") {
      static const std::set<std::string> verbs = {"start", "pause", "resume", "save", "stop"};
      if (!verbs.contains(a) || !b.empty()) return bad("train wants start, pause, resume, save or stop");
      step.word = a;
    } else if (c == "view") {
      if ((a != "swapped" && a != "original" && a != "split" && a != "mask") || !b.empty()) {
        return bad("view wants swapped, original, split or mask");
      }
      step.word = a;
    } else if (c == "set") {
      step.word = a;
      step.value = b;
      if (a == "colour") {
        if (!parse_colour_transfer(b)) return bad(format("colour '{}' is none, rct, mean or hist", b));
      } else if (a == "blend") {
        if (!parse_blend_mode(b)) return bad(format("blend '{}' is alpha or seamless", b));
      } else if (const CompositeParam* p = find_composite_param(a)) {
        if (!to_number(b, step.number) || step.number < p->min_value || step.number > p->max_value) {
          return bad(format("{} wants a number in [{}, {}]", a, p->min_value, p->max_value));
        }
      } else {
        return bad(format("no compositing option '{}'", a));
      }
    } else if (c == "record" || c == "screenshot") {
      if (a.empty() || !b.empty()) return bad(format("{} wants one path", c));
      step.word = a;
    } else if (c == "key") {
      const auto code = key_code(a);
      if (!code || !b.empty()) return bad("key wants one key: A-Z, 0-9, space, period, comma or F1");
      step.word = a;
      step.number = *code;
    } else if (c == "play" || c == "pause" || c == "step" || c == "quit" || c == "reject" || c == "restore" ||
               c == "undo") {
      if (!a.empty()) return bad(format("{} takes nothing", c));
    } else {
      return bad(format("unknown command '{}'", c));
    }
    steps.push_back(std::move(step));
  }
  return steps;
}

Result<std::vector<ScriptStep>> load_script(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return fail(ErrorCode::kNotFound, "cannot read the script {}", path.string());
  std::stringstream text;
  text << in.rdbuf();
  auto steps = parse_script(text.str());
  if (!steps) return std::unexpected(steps.error().with_context(path.string()));
  return steps;
}

}  // namespace mirage::studio
