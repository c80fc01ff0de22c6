#include "engine/core/config.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "engine/core/file_io.h"

namespace mirage {
namespace {

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> parts;
  while (!path.empty()) {
    const std::size_t dot = path.find('.');
    parts.push_back(path.substr(0, dot));
    if (dot == std::string_view::npos) break;
    path.remove_prefix(dot + 1);
  }
  return parts;
}

// Short text of a JSON value for error messages: long strings and containers are elided.
std::string describe(const Json& value) {
  std::string text = value.dump();
  if (text.size() > 40) text = text.substr(0, 37) + "...";
  return text;
}

// nlohmann reports a byte offset; people want line:column.
std::string line_column(std::string_view text, std::size_t offset) {
  offset = std::min(offset, text.size());
  const std::size_t line = 1 + std::count(text.begin(), text.begin() + offset, '\n');
  const std::size_t line_start = text.rfind('\n', offset == 0 ? 0 : offset - 1);
  const std::size_t column = line_start == std::string_view::npos ? offset : offset - line_start - 1;
  return format("{}:{}", line, column + 1);
}

}  // namespace

std::string printable(std::string_view key) {
  std::string text;
  for (const char c : key) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      static constexpr char kHex[] = "0123456789abcdef";
      const auto byte = static_cast<unsigned char>(c);
      text += "\\x";
      text += kHex[byte >> 4];
      text += kHex[byte & 15];
    } else {
      text += c;
    }
  }
  return text;
}

Result<Json> parse_json(std::string_view text, std::string_view source) {
  try {
    return Json::parse(text.begin(), text.end());
  } catch (const Json::parse_error& e) {
    // e.what() reads "[json.exception.parse_error.101] parse error at line 1, column 5: ...".
    std::string what = e.what();
    if (const std::size_t colon = what.find(": "); colon != std::string::npos) {
      what = what.substr(colon + 2);
    }
    return fail(ErrorCode::kCorrupt, "{}:{}: invalid JSON: {}", source,
                line_column(text, e.byte == 0 ? 0 : e.byte - 1), what);
  } catch (const Json::exception& e) {
    // Valid syntax the parser still refuses, e.g. out_of_range.406 for a number beyond double
    // ("1e400"); nlohmann gives no position for these.
    std::string what = e.what();
    if (const std::size_t bracket = what.find("] "); bracket != std::string::npos) what = what.substr(bracket + 2);
    return fail(ErrorCode::kCorrupt, "{}: invalid JSON: {}", source, what);
  }
}

Result<Json> load_json(const std::filesystem::path& path) {
  auto text = read_file(path);
  if (!text) return std::unexpected(text.error());
  return parse_json(*text, path.string());
}

Status save_json(const std::filesystem::path& path, const Json& document) {
  std::string text;
  try {
    text = document.dump(2) + "\n";
  } catch (const Json::type_error& e) {
    // type_error.316: a string that is not UTF-8 (a file name in another encoding, say). Writing
    // it replaced would point the file at another path, so nothing is written.
    return fail(ErrorCode::kInvalidArgument, "{}: not written: a text in it is not valid UTF-8 (rename the file it names)",
                path.string());
  }
  return write_file_atomic(path, text);
}

void set_field(Json& root, std::string_view path, Json value) {
  Json* node = &root;
  for (const std::string_view part : split_path(path)) {
    if (!node->is_object()) *node = Json::object();
    node = &(*node)[std::string(part)];
  }
  *node = std::move(value);
}

const Json* find_field(const Json& root, std::string_view path) {
  const Json* node = &root;
  for (const std::string_view part : split_path(path)) {
    if (!node->is_object()) return nullptr;
    const auto it = node->find(std::string(part));
    if (it == node->end()) return nullptr;
    node = &*it;
  }
  return node;
}

ConfigReader::ConfigReader(const Json& root, std::string source)
    : root_(root), source_(std::move(source)) {}

const Json* ConfigReader::field(std::string_view path) { return find_field(root_, path); }

void ConfigReader::error(std::string_view path, std::string_view what, const Json& got) {
  errors_.push_back(format("{}: expected {}, got {}", path, what, describe(got)));
}

template <class T>
void ConfigReader::read_integer(std::string_view path, T& value, T min, T max) {
  const Json* node = field(path);
  if (node == nullptr) return;
  const std::string what = format("an integer in [{}, {}]", min, max);
  if (node->is_number_unsigned()) {
    const auto v = node->get<std::uint64_t>();
    if (v > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) ||
        static_cast<std::int64_t>(v) > static_cast<std::int64_t>(max) ||
        static_cast<std::int64_t>(v) < static_cast<std::int64_t>(min)) {
      return error(path, what, *node);
    }
    value = static_cast<T>(v);
  } else if (node->is_number_integer()) {
    const auto v = node->get<std::int64_t>();
    if (v < static_cast<std::int64_t>(min) || v > static_cast<std::int64_t>(max)) {
      return error(path, what, *node);
    }
    value = static_cast<T>(v);
  } else {
    error(path, what, *node);
  }
}

template <class T>
void ConfigReader::read_number(std::string_view path, T& value, T min, T max) {
  const Json* node = field(path);
  if (node == nullptr) return;
  const double v = node->is_number() ? node->get<double>() : std::nan("");
  if (!node->is_number() || !std::isfinite(v) || v < min || v > max) {
    return error(path, format("a number in [{}, {}]", min, max), *node);
  }
  value = static_cast<T>(v);
}

void ConfigReader::read(std::string_view path, bool& value) {
  const Json* node = field(path);
  if (node == nullptr) return;
  if (!node->is_boolean()) return error(path, "true or false", *node);
  value = node->get<bool>();
}

void ConfigReader::read(std::string_view path, int& value, int min, int max) {
  read_integer(path, value, min, max);
}
void ConfigReader::read(std::string_view path, std::int64_t& value, std::int64_t min,
                        std::int64_t max) {
  read_integer(path, value, min, max);
}
void ConfigReader::read(std::string_view path, double& value, double min, double max) {
  read_number(path, value, min, max);
}
void ConfigReader::read(std::string_view path, float& value, float min, float max) {
  read_number(path, value, min, max);
}

void ConfigReader::read(std::string_view path, std::string& value) {
  const Json* node = field(path);
  if (node == nullptr) return;
  if (!node->is_string()) return error(path, "a string", *node);
  value = node->get<std::string>();
}

void ConfigReader::read_choice(std::string_view path, std::string& value,
                               std::initializer_list<std::string_view> choices) {
  const Json* node = field(path);
  if (node == nullptr) return;
  std::string what = "one of";
  for (const std::string_view choice : choices) what += format(" \"{}\"", choice);
  if (!node->is_string()) return error(path, what, *node);
  const std::string text = node->get<std::string>();
  if (std::find(choices.begin(), choices.end(), text) == choices.end()) {
    return error(path, what, *node);
  }
  value = text;
}

void ConfigReader::require(std::string_view path) {
  if (field(path) == nullptr) errors_.push_back(format("{}: missing (required)", path));
}

void ConfigReader::allow_only(std::string_view object_path,
                              std::initializer_list<std::string_view> keys) {
  const Json* node = object_path.empty() ? &root_ : field(object_path);
  if (node == nullptr) return;
  if (!node->is_object()) {
    return error(object_path.empty() ? "(root)" : object_path, "an object", *node);
  }
  for (const auto& [key, unused] : node->items()) {
    if (std::find(keys.begin(), keys.end(), key) != keys.end()) continue;
    std::string allowed;
    for (const std::string_view k : keys) allowed += (allowed.empty() ? "" : ", ") + std::string(k);
    const std::string full = object_path.empty() ? key : format("{}.{}", object_path, key);
    errors_.push_back(format("{}: unknown field (allowed: {})", printable(full), allowed));
  }
}

Status ConfigReader::status() const {
  if (errors_.empty()) return mirage::ok();
  std::string message = format("{}: {}", source_, errors_.front());
  if (errors_.size() > 1) message += format(" (and {} more)", errors_.size() - 1);
  return fail(ErrorCode::kInvalidArgument, std::move(message));
}

}  // namespace mirage
