// project.json: round trip, errors that name the field, demo folders without a file.
#include "engine/workspace/project.h"

#include <gtest/gtest.h>

#include <fstream>

#include "tests/core/temp_dir.h"

namespace mirage::workspace {
namespace {

namespace fs = std::filesystem;

void write(const fs::path& path, const std::string& text) { std::ofstream(path) << text; }

TEST(Project, SettingsSurviveSavingAndReopening) {
  TempDir dir;
  ProjectSettings s;
  s.source = "clip.mp4";
  s.composite.feather_px = 21;
  s.composite.colour = ColourTransfer::kMean;
  s.player.mode = PlayMode::kEveryFrame;
  s.player.to = SwapTo::kBoth;
  s.train.learning_rate = 1e-4;
  auto created = Project::create(dir.path() / "p", s);
  ASSERT_TRUE(created) << created.error().message;
  EXPECT_TRUE(fs::is_directory(dir.path() / "p" / "renders"));
  auto reopened = Project::open(dir.path() / "p");
  ASSERT_TRUE(reopened) << reopened.error().message;
  EXPECT_EQ(reopened->settings(), s);
  EXPECT_EQ(reopened->source(), dir.path() / "p" / "clip.mp4");
  EXPECT_FALSE(Project::create(dir.path() / "p", s)) << "an existing project is not overwritten";
}

TEST(Project, BadFilesAreOneLineNamingTheField) {
  TempDir dir;
  const fs::path p = dir.path() / "p";
  ASSERT_TRUE(Project::create(p, {}));
  const fs::path file = p / kProjectFile;
  const std::string good = [&] {
    std::ifstream in(file);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }();
  struct Case {
    std::string text;
    std::string expected;
  };
  const Case cases[] = {
      {"{\"schema\": 1, \"composite\": {\"feather\": -3}}", "composite.feather"},
      {"{\"schema\": 1, \"composite\": {\"feathr\": 3}}", "composite.feathr: unknown field"},
      {"{\"schema\": 1, \"player\": {\"mode\": \"fast\"}}", "player.mode"},
      {"{\"schema\": 1, \"trian\": {}}", "trian: unknown field"},
      {"{\"schema\": 99}", "schema 99 is newer"},
      {"{\"composite\": {}}", "schema"},
      {"{\"schema\": 1,", "project.json:1:"},
      {"[1, 2]", "expected a JSON object"},
  };
  for (const Case& c : cases) {
    write(file, c.text);
    auto opened = Project::open(p);
    ASSERT_FALSE(opened) << c.text;
    EXPECT_NE(opened.error().message.find(c.expected), std::string::npos) << opened.error().message;
    EXPECT_EQ(opened.error().message.find('\n'), std::string::npos);
  }
  write(file, good);
  EXPECT_TRUE(Project::open(p));
  EXPECT_FALSE(Project::open(dir.path() / "missing"));
  fs::create_directories(dir.path() / "empty");
  EXPECT_FALSE(Project::open(dir.path() / "empty")) << "a folder that is no project";
}

TEST(Project, AProjectSavedBeforeTheSharpeningCoreRendersAsItDid) {
  TempDir dir;
  const fs::path p = dir.path() / "p";
  ASSERT_TRUE(Project::create(p, {}));
  write(p / kProjectFile, "{\"schema\": 1, \"composite\": {\"sharpen\": 1.5, \"feather\": 12}}");
  auto old = Project::open(p);
  ASSERT_TRUE(old) << old.error().message;
  EXPECT_EQ(old->settings().composite.sharpen_amount, 1.5);
  EXPECT_EQ(old->settings().composite.sharpen_core, 0.0) << "sharpened over the whole mask, as before";
  write(p / kProjectFile, "{\"schema\": 1, \"composite\": {\"feather\": 12}}");
  auto hand_written = Project::open(p);
  ASSERT_TRUE(hand_written) << hand_written.error().message;
  EXPECT_EQ(hand_written->settings().composite, CompositeOptions{.feather_px = 12});
  write(p / kProjectFile, "{\"schema\": 1, \"composite\": {\"sharpen\": 2, \"sharpen-core\": 0.25}}");
  auto current = Project::open(p);
  ASSERT_TRUE(current) << current.error().message;
  EXPECT_EQ(current->settings().composite.sharpen_core, 0.25);
}

TEST(Project, ADemoFolderWithoutProjectJsonOpens) {
  TempDir dir;
  fs::create_directories(dir.path() / "demo" / "faces" / "a");
  fs::create_directories(dir.path() / "demo" / "model");
  fs::create_directories(dir.path() / "data");
  write(dir.path() / "data" / "Megamind.avi", "x");
  auto opened = Project::open(dir.path() / "demo");
  ASSERT_TRUE(opened) << opened.error().message;
  EXPECT_FALSE(opened->has_file());
  EXPECT_EQ(opened->source().filename(), "Megamind.avi");
  EXPECT_EQ(opened->faces_a(), dir.path() / "demo" / "faces" / "a");
  ASSERT_TRUE(opened->save(opened->settings()));
  EXPECT_TRUE(fs::exists(dir.path() / "demo" / kProjectFile));
}

TEST(Project, AFailedSaveKeepsTheOldFile) {
  TempDir dir;
  auto project = Project::create(dir.path() / "p", {});
  ASSERT_TRUE(project);
  ProjectSettings bad;
  bad.composite.opacity = 3;
  EXPECT_FALSE(project->save(bad));
  EXPECT_EQ(project->settings().composite.opacity, 1.0);
  auto reopened = Project::open(dir.path() / "p");
  ASSERT_TRUE(reopened);
  EXPECT_EQ(reopened->settings().composite.opacity, 1.0);
}

}  // namespace
}  // namespace mirage::workspace
