// Mailbox, CommandQueue and Worker, including a multi-threaded stress test that the
// MIRAGE_SANITIZE=thread build runs under ThreadSanitizer.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <numeric>
#include <set>
#include <thread>
#include <vector>

#include "engine/core/command_queue.h"
#include "engine/core/mailbox.h"
#include "engine/core/worker.h"

namespace mirage {
namespace {

using namespace std::chrono_literals;

TEST(Mailbox, LatestValueWinsAndTakeConsumes) {
  Mailbox<int> box;
  EXPECT_EQ(box.take(), std::nullopt);
  EXPECT_EQ(box.latest(), std::nullopt);
  box.publish(1);
  box.publish(2);
  EXPECT_EQ(box.version(), 2u);
  EXPECT_EQ(box.take(), 2);
  EXPECT_EQ(box.take(), std::nullopt);
  EXPECT_EQ(box.latest(), 2);
}

TEST(Mailbox, WaitTakeWakesOnPublishAndOnStop) {
  Mailbox<int> box;
  std::stop_source stop;
  std::jthread publisher([&] { box.publish(7); });
  EXPECT_EQ(box.wait_take(stop.get_token(), 10s), 7);
  stop.request_stop();
  EXPECT_EQ(box.wait_take(stop.get_token(), 10s), std::nullopt);
}

TEST(CommandQueue, FifoBoundedAndClosable) {
  CommandQueue<int> queue(2);
  EXPECT_TRUE(queue.try_push(1));
  EXPECT_TRUE(queue.push(2));
  EXPECT_FALSE(queue.try_push(3)) << "full";
  EXPECT_EQ(queue.try_pop(), 1);
  EXPECT_TRUE(queue.try_push(3));
  EXPECT_EQ(queue.drain(), (std::vector<int>{2, 3}));
  queue.try_push(4);
  queue.close();
  EXPECT_FALSE(queue.push(5));
  EXPECT_EQ(queue.pop(), 4) << "close() keeps what was queued";
  EXPECT_EQ(queue.pop(), std::nullopt);
}

TEST(CommandQueue, BlockedPushAndPopReturnOnStop) {
  CommandQueue<int> full(1);
  full.push(1);
  std::stop_source stop;
  std::jthread pusher([&] { EXPECT_FALSE(full.push(2, stop.get_token())); });
  CommandQueue<int> empty(1);
  std::jthread popper([&] { EXPECT_EQ(empty.pop(stop.get_token()), std::nullopt); });
  stop.request_stop();
  pusher.join();
  popper.join();
  EXPECT_EQ(empty.pop_for(1ms), std::nullopt);
}

TEST(Worker, StopsCooperativelyAndReportsExceptions) {
  std::atomic<int> steps{0};
  Worker worker("counter", [&](std::stop_token stop) {
    while (!stop.stop_requested()) {
      ++steps;
      std::this_thread::yield();
    }
  });
  while (steps.load() < 10) std::this_thread::yield();
  worker.stop();
  EXPECT_FALSE(worker.running());
  EXPECT_FALSE(worker.failure());

  Worker failing("failing", [](std::stop_token) { throw std::runtime_error("disk full"); });
  failing.join();
  ASSERT_TRUE(failing.failure());
  EXPECT_EQ(failing.failure()->message, "failing thread failed: disk full");
}

// Four producers push numbered commands through a small queue to two consumer workers while a
// publisher floods a mailbox of snapshots and readers check they only see whole, increasing
// snapshots. Every command must arrive exactly once.
TEST(ThreadsStress, QueueAndMailboxUnderContention) {
  constexpr int kProducers = 4;
  constexpr int kPerProducer = 5000;
  CommandQueue<int> queue(16);
  std::vector<std::vector<int>> received(2);
  std::vector<Worker> consumers;
  for (int c = 0; c < 2; ++c) {
    consumers.emplace_back("consumer", [&, c](std::stop_token stop) {
      while (auto item = queue.pop(stop)) received[c].push_back(*item);
    });
  }

  struct Snapshot {
    int step;
    std::vector<int> weights;  // every element equals step: a torn snapshot would show
  };
  Mailbox<std::shared_ptr<const Snapshot>> snapshots;
  std::atomic<bool> publishing{true};
  std::atomic<int> torn{0};
  std::atomic<int> went_back{0};
  std::vector<std::jthread> readers;
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&] {
      int last = -1;
      while (publishing.load()) {
        if (auto s = snapshots.latest(); s && *s) {
          const Snapshot& snapshot = **s;
          for (const int w : snapshot.weights) torn += (w != snapshot.step);
          went_back += (snapshot.step < last);
          last = snapshot.step;
        }
      }
    });
  }
  std::jthread publisher([&] {
    for (int step = 0; step < 3000; ++step) {
      snapshots.publish(std::make_shared<const Snapshot>(Snapshot{step, std::vector<int>(64, step)}));
    }
    publishing = false;
  });

  std::vector<std::jthread> producers;
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&, p] {
      for (int i = 0; i < kPerProducer; ++i) ASSERT_TRUE(queue.push(p * kPerProducer + i));
    });
  }
  for (auto& producer : producers) producer.join();
  queue.close();
  for (auto& consumer : consumers) consumer.join();
  publisher.join();
  for (auto& reader : readers) reader.join();

  std::vector<int> all;
  for (const auto& part : received) all.insert(all.end(), part.begin(), part.end());
  ASSERT_EQ(all.size(), static_cast<std::size_t>(kProducers * kPerProducer));
  const std::set<int> unique(all.begin(), all.end());
  EXPECT_EQ(unique.size(), all.size()) << "a command was delivered twice";
  EXPECT_EQ(*unique.begin(), 0);
  EXPECT_EQ(*unique.rbegin(), kProducers * kPerProducer - 1);
  EXPECT_EQ(torn.load(), 0);
  EXPECT_EQ(went_back.load(), 0);
  EXPECT_EQ(snapshots.version(), 3000u);
}

}  // namespace
}  // namespace mirage
