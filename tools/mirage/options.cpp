#include "tools/mirage/options.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <sstream>

#include "engine/core/check.h"

namespace mirage::cli {

void Options::add(const std::string& name, std::string default_value, std::string help) {
  MIRAGE_CHECK(!specs_.contains(name));
  specs_[name] = Spec{std::move(default_value), std::move(help), false, false};
  order_.push_back(name);
}

void Options::flag(const std::string& name, std::string help) {
  MIRAGE_CHECK(!specs_.contains(name));
  specs_[name] = Spec{"", std::move(help), true, false};
  order_.push_back(name);
}

Status Options::parse(const std::vector<std::string>& args) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") {
      help_ = true;
      continue;
    }
    if (!arg.starts_with("--")) {
      if (positional_.size() >= allowed_positional_) {
        return fail(ErrorCode::kInvalidArgument, "unexpected argument '{}'", arg);
      }
      positional_.push_back(arg);
      continue;
    }
    const std::size_t equals = arg.find('=');
    const std::string name = arg.substr(0, equals);
    const auto spec = specs_.find(name);
    if (spec == specs_.end()) return fail(ErrorCode::kInvalidArgument, "unknown option {}", name);
    if (spec->second.is_flag) {
      if (equals != std::string::npos) {
        return fail(ErrorCode::kInvalidArgument, "{} takes no value", name);
      }
    } else if (equals != std::string::npos) {
      spec->second.value = arg.substr(equals + 1);
    } else if (i + 1 < args.size()) {
      spec->second.value = args[++i];
    } else {
      return fail(ErrorCode::kInvalidArgument, "{} needs a value", name);
    }
    spec->second.given = true;
  }
  return ok();
}

std::vector<std::string> Options::given_arguments(const std::vector<std::string>& except) const {
  std::vector<std::string> out;
  for (const std::string& name : order_) {
    const Spec& spec = specs_.at(name);
    if (!spec.given || std::find(except.begin(), except.end(), name) != except.end()) continue;
    out.push_back(name);
    if (!spec.is_flag) out.push_back(spec.value);
  }
  return out;
}

const std::string& Options::get(const std::string& name) const {
  const auto spec = specs_.find(name);
  MIRAGE_CHECK_MSG(spec != specs_.end(), name.c_str());
  return spec->second.value;
}

bool Options::has(const std::string& name) const {
  const auto spec = specs_.find(name);
  return spec != specs_.end() && spec->second.given;
}

Result<long long> Options::get_int(const std::string& name, long long min, long long max) const {
  const std::string& text = get(name);
  long long value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < min || value > max) {
    return fail(ErrorCode::kInvalidArgument, "{} must be an integer in [{}, {}], got '{}'", name,
                min, max, text);
  }
  return value;
}

Result<double> Options::get_double(const std::string& name, double min, double max) const {
  const std::string& text = get(name);
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !(value >= min && value <= max)) {
    return fail(ErrorCode::kInvalidArgument, "{} must be a number in [{}, {}], got '{}'", name,
                min, max, text);
  }
  return value;
}

std::string Options::usage() const {
  std::ostringstream out;
  out << "usage: mirage " << command_ << " [options]\n";
  std::size_t width = 0;
  for (const std::string& name : order_) {
    width = std::max(width, name.size() + (specs_.at(name).is_flag ? 0 : 8));
  }
  for (const std::string& name : order_) {
    const Spec& spec = specs_.at(name);
    const std::string left = name + (spec.is_flag ? "" : " <value>");
    out << "  " << left << std::string(width - left.size() + 2, ' ') << spec.help;
    if (!spec.is_flag && !spec.value.empty()) out << " (default " << spec.value << ")";
    out << '\n';
  }
  return out.str();
}

int usage_error(const Options& options, const Error& error) {
  std::fprintf(stderr, "mirage %s: %s (see 'mirage %s --help')\n", options.command().c_str(),
               error.message.c_str(), options.command().c_str());
  return 2;
}

int command_error(const std::string& command, const Error& error) {
  std::fprintf(stderr, "mirage %s: %s\n", command.c_str(), error.message.c_str());
  return 1;
}

}  // namespace mirage::cli
