#include "engine/core/file_io.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <string>

#include "engine/core/format.h"
#include "tests/core/temp_dir.h"

namespace mirage {
namespace {

namespace fs = std::filesystem;

TEST(FileIo, AtomicWriteReplacesContentAndLeavesNoTemporary) {
  const TempDir dir;
  const fs::path file = dir.path() / "model.bin";
  ASSERT_TRUE(write_file_atomic(file, "old"));
  ASSERT_TRUE(write_file_atomic(file, "new content"));
  EXPECT_EQ(*read_file(file), "new content");
  int entries = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir.path())) ++entries;
  EXPECT_EQ(entries, 1);
}

TEST(FileIo, FullDiskKeepsTheOldFileAndLeavesNoTemporary) {
  // A file-size limit makes write() fail with EFBIG the way a full disk fails with ENOSPC, and
  // works for root too (folder permissions do not stop root).
  const TempDir dir;
  const fs::path file = dir.path() / "keep.json";
  ASSERT_TRUE(write_file_atomic(file, "good"));
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    std::signal(SIGXFSZ, SIG_IGN);
    const rlimit limit{1000, 1000};
    ::setrlimit(RLIMIT_FSIZE, &limit);
    const auto status = write_file_atomic(file, std::string(100000, 'x'));
    ::_exit(!status && status.error().code == ErrorCode::kIo ? 0 : 1);
  }
  int wait_status = 0;
  ::waitpid(child, &wait_status, 0);
  ASSERT_TRUE(WIFEXITED(wait_status));
  EXPECT_EQ(WEXITSTATUS(wait_status), 0) << "the oversized write did not fail with kIo";
  EXPECT_EQ(*read_file(file), "good");
  int entries = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir.path())) ++entries;
  EXPECT_EQ(entries, 1) << "a temporary file was left behind";
}

TEST(FileIo, MissingFolderIsAnIoError) {
  const TempDir dir;
  const auto status = write_file_atomic(dir.path() / "missing" / "x.json", "data");
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, ErrorCode::kIo);
}

TEST(FileIo, ReaderSurvivesAWriterKilledMidway) {
  // A child process rewrites the file in a loop and is killed at a random moment: the file must
  // always hold one complete version.
  const TempDir dir;
  const fs::path file = dir.path() / "checkpoint.bin";
  const std::string a(1 << 20, 'a');
  const std::string b(1 << 20, 'b');
  ASSERT_TRUE(write_file_atomic(file, a));
  for (int trial = 0; trial < 5; ++trial) {
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      for (int i = 0;; ++i) (void)write_file_atomic(file, i % 2 ? a : b);
    }
    ::usleep(2000 + trial * 3000);
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
    const auto content = read_file(file);
    ASSERT_TRUE(content);
    ASSERT_TRUE(*content == a || *content == b) << "torn file of " << content->size() << " bytes";
  }
}

// The kill test above leaves a temporary per kill; remove_stale_temporaries takes away those of
// processes that ended, and nothing else.
TEST(FileIo, StaleTemporariesOfEndedProcessesAreRemoved) {
  const TempDir dir;
  const fs::path file = dir.path() / "checkpoint.bin";
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) ::_exit(0);
  ::waitpid(child, nullptr, 0);
  const auto touch = [&](const std::string& name) { ASSERT_TRUE(write_file_atomic(dir.path() / name, "x")); };
  touch(format(".checkpoint.bin.tmp.{}.0", child));  // its writer ended
  touch(format(".checkpoint.bin.tmp.{}.7", child));
  touch(format(".other.json.tmp.{}.1", child));
  touch(format(".checkpoint.bin.tmp.{}.0", ::getpid()));  // this process: may be writing it now
  touch(".checkpoint.bin.tmp.1.0");                        // pid 1 runs
  touch("notes.tmp.5.5");                                 // not a temporary's name
  touch("checkpoint.bin");
  EXPECT_EQ(remove_stale_temporaries(dir.path(), "checkpoint.bin"), 2);
  EXPECT_TRUE(fs::exists(dir.path() / format(".other.json.tmp.{}.1", child)));
  EXPECT_EQ(remove_stale_temporaries(dir.path()), 1);
  for (const char* kept : {"notes.tmp.5.5", "checkpoint.bin", ".checkpoint.bin.tmp.1.0"}) {
    EXPECT_TRUE(fs::exists(dir.path() / kept)) << kept;
  }
  EXPECT_TRUE(fs::exists(dir.path() / format(".checkpoint.bin.tmp.{}.0", ::getpid())));
  EXPECT_EQ(remove_stale_temporaries(dir.path() / "no such folder"), 0);
}

TEST(FileIo, ReadErrors) {
  const TempDir dir;
  EXPECT_EQ(read_file(dir.path() / "none").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(read_file(dir.path()).error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace mirage
