// JSON documents on disk and typed, validated reading of config fields.
//
//   auto json = load_json(project / "project.json");          // parse errors name line:column
//   if (!json) return std::unexpected(json.error());
//   ConfigReader reader(*json, "project.json");
//   reader.allow_only("train", {"batch", "lr", "preset"});   // a typo is named, not ignored
//   reader.read("train.batch", config.batch, 1, 1024);        // missing: keeps the default
//   reader.read_choice("train.preset", config.preset, {"lite", "original", "hd"});
//   if (auto s = reader.status(); !s) return std::unexpected(s.error());
//   // -> "project.json: train.batch: expected an integer in [1, 1024], got -3"
//
// Paths are dot-separated object keys. ConfigReader never throws and never modifies the document;
// a field that fails validation leaves its target value unchanged. Not thread-safe (one reader
// per thread); the free functions are.
#pragma once

#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/core/error.h"

namespace mirage {

using Json = nlohmann::json;

// Errors: kCorrupt "<source>:<line>:<column>: <what>" for malformed text, "<source>: <what>" for
// text the parser refuses without a position (a number beyond double: "1e400"). Never throws.
Result<Json> parse_json(std::string_view text, std::string_view source);
// Errors: kNotFound for a missing file, kIo when unreadable, kCorrupt for malformed text.
Result<Json> load_json(const std::filesystem::path& path);
// Pretty-printed (2 spaces) and written atomically (engine/core/file_io.h). Errors: kIo, and
// kInvalidArgument when a string in the document is not UTF-8 (then nothing is written).
Status save_json(const std::filesystem::path& path, const Json& document);

// A key or name from a file as written in a one-line message: control characters become \xNN
// (found by tests/fuzz: a key with a newline in it made a two-line error).
std::string printable(std::string_view text);

// Sets the field at a dotted path, creating intermediate objects ("a.b.c").
void set_field(Json& root, std::string_view path, Json value);
// The field at a dotted path, or nullptr when any part is missing or not an object.
const Json* find_field(const Json& root, std::string_view path);

class ConfigReader {
 public:
  // Keeps a reference to root: the document must outlive the reader.
  ConfigReader(const Json& root, std::string source);
  ConfigReader(Json&& root, std::string source) = delete;

  void read(std::string_view path, bool& value);
  void read(std::string_view path, int& value, int min, int max);
  void read(std::string_view path, std::int64_t& value, std::int64_t min, std::int64_t max);
  void read(std::string_view path, double& value, double min, double max);
  void read(std::string_view path, float& value, float min, float max);
  void read(std::string_view path, std::string& value);
  void read_choice(std::string_view path, std::string& value,
                   std::initializer_list<std::string_view> choices);
  // A field that must be present (checked in addition to any read of it).
  void require(std::string_view path);
  // The object at object_path (the root when empty) may hold only these keys.
  void allow_only(std::string_view object_path, std::initializer_list<std::string_view> keys);

  bool ok() const { return errors_.empty(); }
  const std::vector<std::string>& errors() const { return errors_; }
  // kInvalidArgument: "<source>: <first error>" plus " (and N more)" when there are several.
  Status status() const;

 private:
  const Json* field(std::string_view path);
  void error(std::string_view path, std::string_view what, const Json& got);
  template <class T>
  void read_integer(std::string_view path, T& value, T min, T max);
  template <class T>
  void read_number(std::string_view path, T& value, T min, T max);

  const Json& root_;
  std::string source_;
  std::vector<std::string> errors_;
};

}  // namespace mirage
