// mirage-studio end to end under Xvfb: renders frames with validation on, saves a screenshot,
// and the PNG shows a UI (many colours, real contrast), not a blank or garbage frame.
// argv[1] is the mirage-studio binary. Skipped (exit 77) without xvfb-run or a Vulkan device.
#include <gtest/gtest.h>

#define STB_IMAGE_IMPLEMENTATION
#include <stb/stb_image.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <set>
#include <string>

#include "engine/render/device_info.h"
#include "tests/editor/run_command.h"

namespace mirage::studio::test {
namespace {

std::string g_studio;
constexpr const char* kXvfb = "xvfb-run -a -s '-screen 0 1280x720x24'";

class StudioScreenshot : public testing::Test {
 protected:
  void SetUp() override { scratch_ = scratch_folder("mirage-studio-e2e"); }
  void TearDown() override { std::filesystem::remove_all(scratch_); }
  std::filesystem::path scratch_;
};

struct Pixels {
  int width = 0;
  int height = 0;
  std::unique_ptr<stbi_uc, void (*)(void*)> data{nullptr, stbi_image_free};
};

Pixels load_rgb(const std::filesystem::path& path) {
  Pixels pixels;
  int channels = 0;
  pixels.data.reset(stbi_load(path.c_str(), &pixels.width, &pixels.height, &channels, 3));
  return pixels;
}

TEST_F(StudioScreenshot, RendersFramesAndSavesAFrameWithAUi) {
  const auto png = scratch_ / "studio.png";
  const CommandResult result =
      run_command(std::string("MIRAGE_VULKAN_VALIDATION=1 ") + kXvfb + " '" + g_studio +
                      "' --frames 5 --screenshot '" + png.string() + "'",
                  scratch_);
  ASSERT_EQ(result.exit_code, 0) << result.stderr_text;
  EXPECT_EQ(result.stderr_text.find("[error]"), std::string::npos) << "validation errors:\n"
                                                                   << result.stderr_text;
  EXPECT_NE(result.stdout_text.find("5 frames in"), std::string::npos) << result.stdout_text;
  std::printf("%s", result.stdout_text.c_str());

  ASSERT_TRUE(std::filesystem::exists(png));
  const Pixels pixels = load_rgb(png);
  ASSERT_TRUE(pixels.data) << stbi_failure_reason();
  EXPECT_EQ(pixels.width, 1280);
  EXPECT_EQ(pixels.height, 720);

  // A blank frame has one colour; the about panel (pixel font, table rows) gives a couple dozen.
  std::set<std::uint32_t> colours;
  double sum = 0, sum_squares = 0;
  const std::size_t count = static_cast<std::size_t>(pixels.width) * pixels.height;
  for (std::size_t i = 0; i < count; ++i) {
    const stbi_uc* p = pixels.data.get() + i * 3;
    colours.insert(std::uint32_t{p[0]} << 16 | std::uint32_t{p[1]} << 8 | p[2]);
    const double luma = 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2];
    sum += luma;
    sum_squares += luma * luma;
  }
  const double mean = sum / count;
  const double variance = sum_squares / count - mean * mean;
  std::printf("screenshot: %zu colours, luma mean %.1f, variance %.1f\n", colours.size(), mean,
              variance);
  EXPECT_GT(colours.size(), 8u);
  EXPECT_GT(variance, 20.0);
  EXPECT_LT(mean, 128.0) << "the dark theme should dominate: a mostly white frame means garbage";
}

TEST_F(StudioScreenshot, UnwritableScreenshotIsOneLine) {
  const auto png = scratch_ / "missing-folder" / "studio.png";
  const CommandResult result = run_command(
      std::string(kXvfb) + " '" + g_studio + "' --frames 1 --screenshot '" + png.string() + "'",
      scratch_);
  EXPECT_EQ(result.exit_code, 1);
  // One error line; the log's "[info] ..." lines (the status bar's, echoed) are not errors.
  std::vector<std::string> stderr_lines = lines(result.stderr_text);
  std::erase_if(stderr_lines, [](const std::string& l) { return l.starts_with("[info] "); });
  ASSERT_EQ(stderr_lines.size(), 1u) << result.stderr_text;
  EXPECT_NE(stderr_lines[0].find("cannot write"), std::string::npos) << stderr_lines[0];
}

}  // namespace
}  // namespace mirage::studio::test

int main(int argc, char** argv) {
  mirage::studio::test::g_studio = mirage::studio::test::studio_from_arguments(argc, argv);
  if (mirage::studio::test::g_studio.empty()) return 2;
  if (!mirage::studio::test::on_path("xvfb-run")) {
    std::printf("skipped: xvfb-run not found (apt-get install xvfb xauth)\n");
    return 77;
  }
  if (const auto devices = mirage::render::list_devices(); !devices) {
    std::printf("skipped: %s\n", devices.error().to_string().c_str());
    return 77;
  }
  return RUN_ALL_TESTS();
}
