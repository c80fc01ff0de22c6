#include "engine/core/config.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "engine/core/file_io.h"
#include "tests/core/temp_dir.h"

namespace mirage {
namespace {

struct TrainSettings {
  int batch = 16;
  double learning_rate = 5e-5;
  std::string preset = "lite";
  bool gan = false;
};

Status read_settings(const Json& json, TrainSettings& settings) {
  ConfigReader reader(json, "project.json");
  reader.allow_only("train", {"batch", "lr", "preset", "gan"});
  reader.read("train.batch", settings.batch, 1, 1024);
  reader.read("train.lr", settings.learning_rate, 0.0, 1.0);
  reader.read_choice("train.preset", settings.preset, {"lite", "original", "hd"});
  reader.read("train.gan", settings.gan);
  return reader.status();
}

TEST(Config, ReadsValidFieldsAndKeepsDefaultsForMissingOnes) {
  TrainSettings settings;
  const Json json = Json::parse(R"({"train": {"batch": 32, "preset": "hd"}})");
  ASSERT_TRUE(read_settings(json, settings));
  EXPECT_EQ(settings.batch, 32);
  EXPECT_EQ(settings.preset, "hd");
  EXPECT_DOUBLE_EQ(settings.learning_rate, 5e-5);
}

TEST(Config, ErrorNamesTheFieldAndTheValue) {
  TrainSettings settings;
  const auto status = read_settings(Json::parse(R"({"train": {"batch": -3}})"), settings);
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(status.error().message, "project.json: train.batch: expected an integer in [1, 1024], got -3");
  EXPECT_EQ(settings.batch, 16) << "a rejected field leaves the value unchanged";
}

TEST(Config, WrongTypesUnknownFieldsAndBadChoicesAreAllReported) {
  TrainSettings settings;
  const Json json = Json::parse(R"({"train": {"batch": "big", "lr": 2, "presett": "hd", "gan": 1}})");
  ConfigReader reader(json, "p.json");
  reader.allow_only("train", {"batch", "lr", "preset", "gan"});
  reader.read("train.batch", settings.batch, 1, 1024);
  reader.read("train.lr", settings.learning_rate, 0.0, 1.0);
  reader.read("train.gan", settings.gan);
  ASSERT_EQ(reader.errors().size(), 4u);
  EXPECT_NE(reader.errors()[0].find("train.presett: unknown field"), std::string::npos);
  EXPECT_EQ(reader.errors()[1], "train.batch: expected an integer in [1, 1024], got \"big\"");
  EXPECT_NE(reader.errors()[2].find("train.lr: expected a number"), std::string::npos);
  EXPECT_EQ(reader.errors()[3], "train.gan: expected true or false, got 1");
  EXPECT_NE(reader.status().error().message.find("(and 3 more)"), std::string::npos);
}

TEST(Config, ChoiceAndRequired) {
  std::string preset = "lite";
  const Json json = Json::parse(R"({"preset": "huge"})");
  ConfigReader reader(json, "p.json");
  reader.read_choice("preset", preset, {"lite", "original"});
  reader.require("name");
  ASSERT_EQ(reader.errors().size(), 2u);
  EXPECT_EQ(reader.errors()[0], "preset: expected one of \"lite\" \"original\", got \"huge\"");
  EXPECT_EQ(reader.errors()[1], "name: missing (required)");
  EXPECT_EQ(preset, "lite");
}

TEST(Config, ParseErrorsNameLineAndColumn) {
  const auto json = parse_json("{\n  \"a\": 1,\n  \"b\": ]\n}", "bad.json");
  ASSERT_FALSE(json);
  EXPECT_EQ(json.error().code, ErrorCode::kCorrupt);
  EXPECT_EQ(json.error().message.rfind("bad.json:3:", 0), 0u) << json.error().message;
}

TEST(Config, SaveLoadRoundTripAndSetField) {
  const TempDir dir;
  Json json;
  set_field(json, "train.batch", 8);
  set_field(json, "name", "demo");
  ASSERT_TRUE(save_json(dir.path() / "project.json", json));
  const auto loaded = load_json(dir.path() / "project.json");
  ASSERT_TRUE(loaded);
  EXPECT_EQ(*loaded, json);
  ASSERT_NE(find_field(*loaded, "train.batch"), nullptr);
  EXPECT_EQ(find_field(*loaded, "train.missing"), nullptr);
  EXPECT_EQ(find_field(*loaded, "name.deeper"), nullptr);
}

TEST(Config, MissingFileIsNotFound) {
  const TempDir dir;
  const auto json = load_json(dir.path() / "nope.json");
  ASSERT_FALSE(json);
  EXPECT_EQ(json.error().code, ErrorCode::kNotFound);
}

// Found by tests/fuzz/config_fuzz.cpp: nlohmann throws out_of_range (not parse_error) for a number
// beyond double, which used to escape parse_json and end the program.
TEST(Config, NumberBeyondDoubleIsOneErrorNotAnException) {
  const auto json = parse_json(R"({"train": {"lr": 1e400}})", "project.json");
  ASSERT_FALSE(json.has_value());
  EXPECT_EQ(json.error().code, ErrorCode::kCorrupt);
  EXPECT_NE(json.error().message.find("project.json: invalid JSON"), std::string::npos) << json.error().message;
  EXPECT_EQ(json.error().message.find('\n'), std::string::npos);
}

// Found by tests/fuzz/config_fuzz.cpp: a key with a newline in it made a two-line error.
TEST(Config, UnknownKeysWithControlCharactersStayOnOneLine) {
  const Json json = Json::parse("{\"train\": {\"bat\\nch\": 3}}");
  TrainSettings settings;
  const Status status = read_settings(json, settings);
  ASSERT_FALSE(status.has_value());
  EXPECT_EQ(status.error().message.find('\n'), std::string::npos) << status.error().message;
  EXPECT_NE(status.error().message.find("train.bat\\x0ach: unknown field"), std::string::npos) << status.error().message;
}

// A file name in another encoding than UTF-8 cannot be written into JSON; the save refuses it and
// leaves the file that was there.
TEST(Config, SaveRefusesTextThatIsNotUtf8AndKeepsTheOldFile) {
  TempDir dir;
  const auto path = dir.path() / "faceset.json";
  ASSERT_TRUE(save_json(path, Json{{"source", "old.avi"}}));
  const Status saved = save_json(path, Json{{"source", std::string("\xff\xfe.avi")}});
  ASSERT_FALSE(saved.has_value());
  EXPECT_EQ(saved.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(saved.error().message.find("not valid UTF-8"), std::string::npos) << saved.error().message;
  const auto kept = load_json(path);
  ASSERT_TRUE(kept.has_value());
  EXPECT_EQ((*kept)["source"], "old.avi");
}

}  // namespace
}  // namespace mirage
