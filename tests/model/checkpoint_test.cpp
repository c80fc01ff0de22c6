#include "engine/model/checkpoint.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include <gtest/gtest.h>

#include "engine/core/file_io.h"
#include "engine/core/format.h"
#include "tests/core/temp_dir.h"

namespace mirage::model {
namespace {

// A checkpoint file around any header text (what another version of Mirage may have written).
std::string with_header(const std::string& text) {
  const std::string payload = "payload";
  std::uint64_t hash = 1469598103934665603ULL;  // FNV-1a 64 over header then payload
  for (const char c : text + payload) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ULL;
  }
  char checksum[17];
  std::snprintf(checksum, sizeof checksum, "%016llx", static_cast<unsigned long long>(hash));
  return format("{} {} {} {} {}\n", kCheckpointMagic, kCheckpointVersion, text.size(), payload.size(), checksum) +
         text + payload;
}

CheckpointHeader header(std::int64_t step) {
  CheckpointHeader h;
  h.preset = "lite";
  h.resolution = 64;
  h.step = step;
  h.seed = 7;
  h.config = Json{{"batch", 16}};
  return h;
}

TEST(Checkpoint, EncodeDecodeRoundTripIsExact) {
  std::string payload(1000, '\0');
  for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>(i * 31);
  const std::string bytes = encode_checkpoint(header(42), payload);
  auto decoded = decode_checkpoint(bytes, "mem");
  ASSERT_TRUE(decoded.has_value()) << decoded.error().message;
  EXPECT_EQ(decoded->payload, payload);
  EXPECT_EQ(decoded->header.preset, "lite");
  EXPECT_EQ(decoded->header.step, 42);
  EXPECT_EQ(decoded->header.seed, 7u);
  EXPECT_EQ(encode_checkpoint(decoded->header, decoded->payload), bytes);
}

TEST(Checkpoint, TheCropRoundTripsAndOldHeadersReadAsTheLegacyCrop) {
  CheckpointHeader h = header(5);
  EXPECT_EQ(h.crop, kFaceCrop);  // new headers
  h.crop = ModelCrop{0.7, -0.01};
  auto decoded = decode_checkpoint(encode_checkpoint(h, "p"), "c");
  ASSERT_TRUE(decoded.has_value()) << decoded.error().message;
  EXPECT_EQ(decoded->header.crop, h.crop);
  // A header written before checkpoints had a crop: read as the square every model saw then.
  const auto old = decode_checkpoint(with_header(R"({"preset":"lite","resolution":64,"step":1})"), "old");
  ASSERT_TRUE(old.has_value()) << old.error().message;
  EXPECT_EQ(old->header.crop, kLegacyCrop);
  // A crop that is incomplete, out of range or off the aligned face: one line, kCorrupt.
  for (const char* crop : {R"({"fraction":0.7})", R"({"fraction":"big","shift_y":0})", R"({"fraction":2,"shift_y":0})",
                           R"({"fraction":0.9,"shift_y":0.2})"}) {
    const auto bad = decode_checkpoint(
        with_header(format(R"({{"preset":"lite","resolution":64,"step":1,"crop":{}}})", crop)), "bad");
    ASSERT_FALSE(bad.has_value()) << crop;
    EXPECT_EQ(bad.error().code, ErrorCode::kCorrupt) << crop;
    EXPECT_EQ(bad.error().message.find('\n'), std::string::npos);
    EXPECT_NE(bad.error().message.find("bad"), std::string::npos) << bad.error().message;
  }
}

TEST(Checkpoint, ForeignDamagedAndNewerFilesAreRefusedWithOneLine) {
  const std::string bytes = encode_checkpoint(header(1), "payload");
  auto foreign = decode_checkpoint("PK\x03\x04 some zip", "x.pt");
  ASSERT_FALSE(foreign.has_value());
  EXPECT_EQ(foreign.error().code, ErrorCode::kCorrupt);
  EXPECT_EQ(foreign.error().message, "x.pt: not a Mirage checkpoint");
  std::string flipped = bytes;
  flipped.back() ^= 1;
  auto damaged = decode_checkpoint(flipped, "c");
  ASSERT_FALSE(damaged.has_value());
  EXPECT_NE(damaged.error().message.find("checksum"), std::string::npos);
  auto truncated = decode_checkpoint(bytes.substr(0, bytes.size() - 3), "c");
  ASSERT_FALSE(truncated.has_value());
  EXPECT_EQ(truncated.error().code, ErrorCode::kCorrupt);
  std::string newer = bytes;
  newer[std::string(kCheckpointMagic).size() + 1] = '9';
  EXPECT_EQ(decode_checkpoint(newer, "c").error().code, ErrorCode::kUnsupported);
}

// Sizes whose sum wraps around 2^64 used to pass the length check and read far past the file.
TEST(Checkpoint, SizesThatWrapAroundAreRefused) {
  const std::string header_text = R"({"preset":"lite","resolution":64,"step":1})";
  const std::string body = header_text + "payload";
  for (const std::string& first_line : {format("{} 1 18446744073709551615 {} 0\n", kCheckpointMagic, body.size() + 1),
                                       format("{} 1 {} 18446744073709551615 0\n", kCheckpointMagic, body.size() + 1),
                                       format("{} 1 99999999999999999999999 7 0\n", kCheckpointMagic),
                                       format("{} 1 -3 7 0\n", kCheckpointMagic),
                                       format("{} 1 3 7 0 extra\n", kCheckpointMagic)}) {
    auto decoded = decode_checkpoint(first_line + body, "c");
    ASSERT_FALSE(decoded.has_value()) << first_line;
    EXPECT_EQ(decoded.error().code, ErrorCode::kCorrupt) << first_line;
  }
}

TEST(Checkpoint, OtherPresetIsNamed) {
  auto decoded = decode_checkpoint(encode_checkpoint(header(1), "p"), "c");
  ASSERT_TRUE(decoded.has_value());
  EXPECT_TRUE(check_preset(*decoded, "lite").has_value());
  const auto other = check_preset(*decoded, "hd");
  ASSERT_FALSE(other.has_value());
  EXPECT_NE(other.error().message.find("'lite'"), std::string::npos);
}

TEST(Checkpoint, CommitKeepsTheNewestAndLoadSkipsDamagedOnes) {
  TempDir dir;
  for (int step = 1; step <= 5; ++step) {
    ASSERT_TRUE(commit_checkpoint(dir.path(), step * 10, encode_checkpoint(header(step * 10), "p"), 3));
  }
  const auto files = list_checkpoints(dir.path());
  ASSERT_EQ(files.size(), 3u);
  EXPECT_EQ(files[0].filename().string(), checkpoint_file_name(50));
  EXPECT_EQ(files[2].filename().string(), checkpoint_file_name(30));
  ASSERT_TRUE(write_file_atomic(files[0], "garbage"));
  auto loaded = load_checkpoint(dir.path());
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(loaded->header.step, 40);
  TempDir empty;
  EXPECT_EQ(load_checkpoint(empty.path()).error().code, ErrorCode::kNotFound);
}

TEST(Checkpoint, UnwritableFolderFailsAndKeepsTheOldCheckpoint) {
  if (::geteuid() == 0) GTEST_SKIP() << "root ignores folder permissions";
  TempDir dir;
  ASSERT_TRUE(commit_checkpoint(dir.path(), 1, encode_checkpoint(header(1), "p"), 3));
  std::filesystem::permissions(dir.path(), std::filesystem::perms::owner_write,
                               std::filesystem::perm_options::remove);
  const auto status = commit_checkpoint(dir.path(), 2, encode_checkpoint(header(2), "p"), 3);
  EXPECT_FALSE(status.has_value());
  std::filesystem::permissions(dir.path(), std::filesystem::perms::owner_write,
                               std::filesystem::perm_options::add);
  EXPECT_EQ(load_checkpoint(dir.path())->header.step, 1);
}

TEST(Checkpoint, ProcessKilledDuringSaveLeavesALoadableCheckpoint) {
  TempDir dir;
  const std::string payload(8 << 20, 'x');  // big enough that a save takes a while
  std::vector<std::string> encoded;
  for (int step = 0; step < 1000; ++step) encoded.push_back(encode_checkpoint(header(step), payload.substr(0, 1)));
  const std::string big = encode_checkpoint(header(0), payload);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // Save forever: checkpoint k has payload size k % 2 ? big : small, so some saves are long.
    for (std::int64_t step = 1;; ++step) {
      const std::string& bytes = step % 2 ? big : encoded[static_cast<std::size_t>(step % 1000)];
      (void)commit_checkpoint(dir.path(), step, step % 2 ? encode_checkpoint(header(step), payload) : bytes, 2);
    }
  }
  // Kill it once a few saves have landed, at whatever point of a save it is in.
  for (;;) {
    const auto files = list_checkpoints(dir.path());
    std::int64_t step = 0;
    if (!files.empty() && std::sscanf(files[0].filename().c_str(), "checkpoint-%ld", &step) == 1 && step >= 5) break;
    std::this_thread::yield();
  }
  ASSERT_EQ(::kill(child, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  auto loaded = load_checkpoint(dir.path());
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
  EXPECT_GE(loaded->header.step, 5);
  // Every listed checkpoint is whole (temporaries are never listed).
  for (const auto& file : list_checkpoints(dir.path())) {
    auto bytes = read_file(file);
    ASSERT_TRUE(bytes.has_value());
    EXPECT_TRUE(decode_checkpoint(*bytes, file.string()).has_value()) << file;
  }
}

}  // namespace
}  // namespace mirage::model
