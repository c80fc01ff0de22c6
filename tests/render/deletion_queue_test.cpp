#include "engine/render/deletion_queue.h"

#include <gtest/gtest.h>

#include <string>

namespace mirage::render {
namespace {

TEST(DeletionQueue, RunsEntriesOnceTheirSubmissionCompleted) {
  std::string log;
  DeletionQueue queue;
  queue.push(0, [&] { log += "a"; });
  queue.push(2, [&] { log += "b"; });
  queue.push(2, [&] { log += "c"; });
  queue.push(5, [&] { log += "d"; });
  EXPECT_EQ(queue.collect(1), 1u);
  EXPECT_EQ(log, "a");
  EXPECT_EQ(queue.collect(1), 0u);
  EXPECT_EQ(queue.collect(4), 2u);
  EXPECT_EQ(log, "abc") << "push order within and across keys";
  EXPECT_EQ(queue.size(), 1u);
  queue.flush();
  EXPECT_EQ(log, "abcd");
  EXPECT_EQ(queue.size(), 0u);
}

TEST(DeletionQueue, DestructorRunsWhatIsLeft) {
  int destroyed = 0;
  {
    DeletionQueue queue;
    queue.push(9, [&] { ++destroyed; });
  }
  EXPECT_EQ(destroyed, 1);
}

}  // namespace
}  // namespace mirage::render
