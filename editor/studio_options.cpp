#include "editor/studio_options.h"

#include <charconv>
#include <string_view>

namespace mirage::studio {

Result<StudioOptions> parse_studio_options(std::span<char* const> args) {
  StudioOptions options;
  workspace::DistributedRequest group;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    std::string_view value;
    bool has_inline_value = false;
    if (const auto equals = arg.find('=');
        arg.starts_with("--") && equals != std::string_view::npos) {
      value = arg.substr(equals + 1);
      arg = arg.substr(0, equals);
      has_inline_value = true;
    }
    const auto take_value = [&]() -> Result<std::string_view> {
      if (has_inline_value) return value;
      if (i + 1 >= args.size())
        return fail(ErrorCode::kInvalidArgument, "{} needs a value (see --help)", arg);
      return std::string_view(args[++i]);
    };

    if (arg == "--help" || arg == "-h") {
      options.help = true;
    } else if (arg == "--frames") {
      const auto text = take_value();
      if (!text) return std::unexpected(text.error());
      int frames = 0;
      const auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), frames);
      if (error != std::errc() || end != text->data() + text->size() || frames <= 0) {
        return fail(ErrorCode::kInvalidArgument, "--frames wants a positive whole number, got '{}'",
                    *text);
      }
      options.frames = frames;
    } else if (arg == "--screenshot") {
      const auto path = take_value();
      if (!path) return std::unexpected(path.error());
      if (path->empty()) return fail(ErrorCode::kInvalidArgument, "--screenshot wants a file name");
      options.screenshot = std::filesystem::path(*path);
    } else if (arg == "--project") {
      const auto path = take_value();
      if (!path) return std::unexpected(path.error());
      if (path->empty()) return fail(ErrorCode::kInvalidArgument, "--project wants a folder");
      options.project = std::filesystem::path(*path);
    } else if (arg == "--script") {
      const auto path = take_value();
      if (!path) return std::unexpected(path.error());
      if (path->empty()) return fail(ErrorCode::kInvalidArgument, "--script wants a file");
      options.script = std::filesystem::path(*path);
    } else if (arg == "--no-train") {
      options.no_train = true;
    } else if (arg == "--debug-stall-training") {
      options.debug_stall_training = true;
    } else if (arg == "--world-size" || arg == "--dist-timeout") {
      const auto text = take_value();
      if (!text) return std::unexpected(text.error());
      double number = 0;
      const auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), number);
      if (error != std::errc() || end != text->data() + text->size() || !(number > 0) ||
          (arg == "--world-size" && (number != static_cast<int>(number) || number > 65536))) {
        return fail(ErrorCode::kInvalidArgument, "{} wants a positive {}, got '{}'", arg,
                    arg == "--world-size" ? "whole number" : "number", *text);
      }
      if (arg == "--world-size") {
        group.world_size = static_cast<int>(number);
      } else {
        group.timeout_s = number;
      }
    } else if (arg == "--master") {
      const auto text = take_value();
      if (!text) return std::unexpected(text.error());
      group.master = std::string(*text);
    } else {
      return fail(ErrorCode::kInvalidArgument, "unknown option '{}' (see --help)", args[i]);
    }
  }
  // The studio is rank 0: it hosts the rendezvous and writes the project's files.
  if (group.world_size) group.rank = 0;
  auto distributed = workspace::resolve_distributed(group);
  if (!distributed) return std::unexpected(distributed.error());
  options.distributed = *distributed;
  return options;
}

}  // namespace mirage::studio
