#include "tools/mirage/compositing_flags.h"

#include <string>

#include "engine/core/composite_options.h"
#include "engine/core/format.h"
#include "engine/face/masks.h"

namespace mirage::cli {

// Every compositing flag comes from the one table of engine/core/composite_options.h.
void add_compositing_options(Options& opts) {
  opts.add("--mask", std::string(face::to_string(swap::SwapperOptions{}.hull)),
           "landmark hull: components, brows (the whole brow) or extended (with forehead)");
  opts.flag("--no-learned-mask", "use the landmark hull alone, not the model's mask");
  for (const CompositeParam& p : composite_params()) {
    opts.add(format("--{}", p.key), format("{}", p.default_value),
             format("{}, {}..{}", p.help, p.min_value, p.max_value));
  }
  const CompositeOptions defaults;
  for (const CompositeChoice* c : {&colour_choice(), &blend_choice()}) {
    const std::string value(c == &colour_choice() ? to_string(defaults.colour) : to_string(defaults.blend));
    opts.add(format("--{}", c->key), value, std::string(c->help));
  }
}

Result<swap::SwapperOptions> read_compositing_options(const Options& opts, const CompositeOptions& base) {
  swap::SwapperOptions s;
  CompositeOptions& c = s.composite;
  c = base;
  auto mask = face::parse_mask_kind(opts.get("--mask"));
  if (!mask) return std::unexpected(mask.error());
  s.hull = *mask;
  s.learned_mask = !opts.has("--no-learned-mask");
  for (const CompositeParam& p : composite_params()) {
    if (!opts.has(format("--{}", p.key))) continue;
    auto v = opts.get_double(format("--{}", p.key), p.min_value, p.max_value);
    if (!v) return std::unexpected(v.error());
    c.*p.field = *v;
  }
  if (opts.has("--colour")) {
    auto colour = parse_colour_transfer(opts.get("--colour"));
    if (!colour) return std::unexpected(colour.error());
    c.colour = *colour;
  }
  if (opts.has("--blend")) {
    auto blend = parse_blend_mode(opts.get("--blend"));
    if (!blend) return std::unexpected(blend.error());
    c.blend = *blend;
  }
  return s;
}

}  // namespace mirage::cli
