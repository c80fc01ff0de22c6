#include "engine/render/resources.h"

#include <gtest/gtest.h>

#include <type_traits>

#include "engine/render/frame_ring.h"
#include "tests/render/gpu_fixture.h"

namespace mirage::render {
namespace {

static_assert(!std::is_copy_constructible_v<Buffer> && !std::is_copy_assignable_v<Buffer>);
static_assert(std::is_nothrow_move_constructible_v<Buffer> &&
              std::is_nothrow_move_assignable_v<Buffer>);
static_assert(!std::is_copy_constructible_v<GpuImage> &&
              std::is_nothrow_move_constructible_v<GpuImage>);
static_assert(!std::is_copy_constructible_v<Pipeline> &&
              std::is_nothrow_move_constructible_v<Pipeline>);

using ResourcesTest = GpuTest;

Buffer make_buffer(Context& context, const char* name) {
  auto buffer = Buffer::create(context, {.name = name,
                                         .size = 4096,
                                         .usage = VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                                         .memory = MemoryUse::kReadback});
  EXPECT_TRUE(buffer) << buffer.error().to_string();
  return buffer ? std::move(*buffer) : Buffer{};
}

TEST_F(ResourcesTest, MovingTransfersOwnership) {
  context().collect();
  const std::size_t pending = context().pending_destructions();
  Buffer first = make_buffer(context(), "first");
  ASSERT_TRUE(first);
  const VkBuffer handle = first.handle();
  EXPECT_EQ(first.mapped().size(), 4096u);

  Buffer second = std::move(first);
  EXPECT_FALSE(first);  // NOLINT(bugprone-use-after-move): the moved-from state is the contract
  EXPECT_TRUE(first.mapped().empty());
  EXPECT_EQ(second.handle(), handle);
  first.reset();  // resetting an empty owner defers nothing
  EXPECT_EQ(context().pending_destructions(), pending);

  second = make_buffer(context(), "third");  // the old handle goes to the deletion queue
  EXPECT_EQ(context().pending_destructions(), pending + 1);
}

TEST_F(ResourcesTest, DestructionWaitsForTheSubmissionThatUsesIt) {
  context().collect();
  Buffer buffer = make_buffer(context(), "in flight");
  ASSERT_TRUE(buffer);

  // Submitted without waiting: the fill may still run when the owner is dropped.
  auto frames = FrameRing::create(context());
  ASSERT_TRUE(frames) << frames.error().to_string();
  auto frame = frames->begin();
  ASSERT_TRUE(frame) << frame.error().to_string();
  vkCmdFillBuffer(frame->commands, buffer.handle(), 0, VK_WHOLE_SIZE, 0x01020304u);
  const auto submitted = frames->submit(*frame, /*wait_for_image=*/false, VK_NULL_HANDLE);
  ASSERT_TRUE(submitted) << submitted.error().to_string();

  const std::size_t pending = context().pending_destructions();
  buffer.reset();
  EXPECT_EQ(context().pending_destructions(), pending + 1) << "destroyed at once, not deferred";

  ASSERT_TRUE(context().wait(*submitted));  // wait() collects what that submission kept alive
  EXPECT_EQ(context().pending_destructions(), 0u);
}

TEST_F(ResourcesTest, FrameRingKeepsAtMostTwoFramesInFlight) {
  auto frames = FrameRing::create(context());
  ASSERT_TRUE(frames) << frames.error().to_string();
  std::vector<std::uint64_t> submitted;
  for (int i = 0; i < 6; ++i) {
    auto frame = frames->begin();
    ASSERT_TRUE(frame) << frame.error().to_string();
    EXPECT_EQ(frame->number, static_cast<std::uint64_t>(i));
    if (submitted.size() >= FrameRing::kFramesInFlight) {
      // begin() waited for the frame that used this slot before.
      EXPECT_GE(context().completed(), submitted[submitted.size() - FrameRing::kFramesInFlight]);
    }
    auto value = frames->submit(*frame, false, VK_NULL_HANDLE);
    ASSERT_TRUE(value) << value.error().to_string();
    submitted.push_back(*value);
  }
  ASSERT_TRUE(context().wait(submitted.back()));
}

TEST_F(ResourcesTest, ImagesAreCreatedAndDropped) {
  auto image = GpuImage::create(context(), {.name = "test image",
                                            .width = 33,
                                            .height = 17,
                                            .format = VK_FORMAT_R8G8B8A8_UNORM,
                                            .usage = VK_IMAGE_USAGE_STORAGE_BIT});
  ASSERT_TRUE(image) << image.error().to_string();
  EXPECT_NE(image->view(), VK_NULL_HANDLE);
  EXPECT_EQ(image->extent().width, 33u);
  GpuImage moved = std::move(*image);
  EXPECT_FALSE(*image);
  EXPECT_TRUE(moved);
}

}  // namespace
}  // namespace mirage::render
