// Mirage's tensor archive (checkpoint format 2) and the upgrade of format-1 checkpoints, whose
// LibTorch archives only `mirage checkpoint upgrade` still reads, in a child process.
#include "engine/model/tensor_archive.h"

#include <cstring>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "engine/core/file_io.h"
#include "engine/model/checkpoint.h"
#include "engine/model/faceswap_model.h"
#include "engine/model/inference.h"
#include "engine/model/legacy_checkpoint.h"
#include "engine/model/tensor_io.h"
#include "tests/core/temp_dir.h"
#include "tests/support/sample_data.h"

namespace mirage::model {
namespace {

namespace fs = std::filesystem;

std::string small_archive() {
  TensorArchiveWriter out;
  const float weights[6] = {1, -2, 3.5f, 0, 1e-8f, 7};
  const std::int64_t step = 42;
  out.add("layer.weight", TensorType::kFloat32, {2, 3}, weights, sizeof weights);
  out.add("layer.step", TensorType::kInt64, {}, &step, sizeof step);
  out.add("empty", TensorType::kUint8, {0, 4}, nullptr, 0);
  return std::move(out).finish();
}

TEST(TensorArchive, RoundTripsNamesTypesShapesAndBytes) {
  const std::string bytes = small_archive();
  auto archive = TensorArchive::parse(bytes, "a.mirage");
  ASSERT_TRUE(archive) << archive.error().message;
  ASSERT_EQ(archive->entries().size(), 3u);
  const TensorEntry* w = archive->find("layer.weight");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->type, TensorType::kFloat32);
  EXPECT_EQ(w->shape, (std::vector<std::int64_t>{2, 3}));
  float back[6];
  std::memcpy(back, w->bytes.data(), sizeof back);
  EXPECT_EQ(back[2], 3.5f);
  EXPECT_EQ(back[4], 1e-8f);
  EXPECT_EQ(archive->find("layer.step")->elements(), 1);
  EXPECT_EQ(archive->find("empty")->elements(), 0);
  EXPECT_EQ(archive->find("layer"), nullptr);
  EXPECT_TRUE(archive->has_prefix("layer."));
  EXPECT_FALSE(archive->has_prefix("model."));
}

TEST(TensorArchive, EveryDamageIsOneLineAndNeverAReadPastTheEnd) {
  const std::string good = small_archive();
  const auto refused = [](std::string bytes, const std::string& says) {
    auto archive = TensorArchive::parse(bytes, "x.mirage");
    ASSERT_FALSE(archive) << "accepted: " << says;
    EXPECT_EQ(archive.error().code, ErrorCode::kCorrupt);
    EXPECT_EQ(archive.error().message.find('\n'), std::string::npos);
    EXPECT_NE(archive.error().message.find(says), std::string::npos) << archive.error().message;
  };
  refused("", "no MIRAGE-TENSORS header");
  refused("PK\x03\x04 a zip, as LibTorch writes", "no MIRAGE-TENSORS header");
  // Every cut short, at every byte.
  for (std::size_t n = 15; n < good.size(); ++n) refused(good.substr(0, n), "");
  refused(good + "x", "1 bytes after the last tensor");
  // A count that the input cannot hold.
  std::string lying = good;
  const std::uint32_t huge = 0xFFFFFFFFu;
  std::memcpy(lying.data() + 15, &huge, 4);
  refused(lying, "tensors announced");
  // A byte count that disagrees with the shape, a type or rank out of range, a size past 2^40.
  const std::size_t first = 15 + 4 + 2 + std::string("layer.weight").size();  // at the type byte
  std::string wrong_type = good;
  wrong_type[first] = 9;
  refused(wrong_type, "unknown type 9");
  std::string wrong_rank = good;
  wrong_rank[first + 1] = 9;
  refused(wrong_rank, "9 dimensions");
  std::string big_size = good;
  const std::int64_t size = (std::int64_t{1} << 40) + 1;
  std::memcpy(big_size.data() + first + 2, &size, 8);
  refused(big_size, "a size of");
  std::string wrong_bytes = good;
  const std::uint64_t bytes = 20;
  std::memcpy(wrong_bytes.data() + first + 2 + 16, &bytes, 8);
  refused(wrong_bytes, "holds 20 bytes for 6 elements of float32");
  std::string bad_name = good;
  bad_name[15 + 4 + 2] = '\n';
  refused(bad_name, "no valid name");
  TensorArchiveWriter twice;
  const float one = 1;
  twice.add("a", TensorType::kFloat32, {}, &one, 4);
  twice.add("b", TensorType::kFloat32, {}, &one, 4);
  std::string duplicate = std::move(twice).finish();
  duplicate[duplicate.find('b', 20)] = 'a';
  refused(duplicate, "'a' twice");
}

TEST(TensorArchive, ModulesGoInAndOutAndMisfitsAreNamed) {
  torch::manual_seed(5);
  auto model = *make_faceswap_model(*find_preset("tiny"));
  TensorArchiveWriter out;
  write_module(out, "model", *model);
  const std::string bytes = std::move(out).finish();
  auto archive = TensorArchive::parse(bytes, "m");
  ASSERT_TRUE(archive);
  torch::manual_seed(6);
  auto copy = *make_faceswap_model(*find_preset("tiny"));
  ASSERT_TRUE(load_module(*archive, "model", *copy, "m"));
  const auto expected = model->named_parameters();
  for (const auto& p : copy->named_parameters()) EXPECT_TRUE(torch::equal(p.value(), expected[p.key()])) << p.key();
  // Another preset's archive names the first tensor that does not fit.
  auto other = *make_faceswap_model(*find_preset("tiny-d"));
  const Status refused = load_module(*archive, "model", *other, "m");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kCorrupt);
  EXPECT_NE(refused.error().message.find("tensor 'model."), std::string::npos) << refused.error().message;
}

// A checkpoint as Mirage 0.1 wrote it: format 1, a LibTorch archive of the tiny model, its two
// discriminators, both optimizers' moments and the RNG state.
std::string format1_checkpoint(FaceSwapModel& model, const std::vector<Discriminator>& discriminators) {
  torch::serialize::OutputArchive archive, weights;
  model->save(weights);
  archive.write("model", weights);
  for (std::size_t i = 0; i < discriminators.size(); ++i) {
    torch::serialize::OutputArchive d;
    discriminators[i]->save(d);
    archive.write(format("discriminator{}", i), d);
  }
  torch::serialize::OutputArchive o, od;
  const auto params = model->parameters();
  for (std::size_t i = 0; i < params.size(); i += 2) {
    o.write(format("{}.step", i), torch::scalar_tensor(7, torch::kLong));
    o.write(format("{}.exp_avg", i), torch::full_like(params[i], 0.25), true);
    o.write(format("{}.exp_avg_sq", i), torch::full_like(params[i], 0.5), true);
  }
  archive.write("optimizer", o);
  archive.write("discriminator_optimizer", od);
  archive.write("rng", torch::randint(0, 255, {5056}, torch::kUInt8));
  std::ostringstream stream;
  archive.save_to(stream);
  CheckpointHeader header;
  header.preset = "tiny";
  header.resolution = 16;
  header.step = 30;
  std::string file = encode_checkpoint(header, stream.str());
  // The envelope of format 1 is the same but for its version (the checksum covers the rest).
  file.replace(file.find(" 2 "), 3, " 1 ");
  return file;
}

TEST(LegacyCheckpoint, IsRefusedWithOneLineThenUpgradedToTheSameModel) {
  TempDir dir;
  torch::manual_seed(7);
  auto model = *make_faceswap_model(*find_preset("tiny"));
  std::vector<Discriminator> discriminators{Discriminator(8), Discriminator(8)};
  const fs::path file = dir.path() / checkpoint_file_name(30);
  ASSERT_TRUE(write_file_atomic(file, format1_checkpoint(model, discriminators)));

  auto refused = InferenceModel::load(dir.path(), "cpu");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kUnsupported);
  EXPECT_NE(refused.error().message.find("mirage checkpoint upgrade"), std::string::npos) << refused.error().message;

  auto upgraded = upgrade_checkpoint_file(file);
  ASSERT_TRUE(upgraded) << upgraded.error().message;
  EXPECT_TRUE(upgraded->upgraded);
  EXPECT_EQ(upgraded->step, 30);
  auto checkpoint = load_checkpoint(file);
  ASSERT_TRUE(checkpoint);
  EXPECT_EQ(checkpoint->version, kCheckpointVersion);
  auto archive = TensorArchive::parse(checkpoint->payload, "upgraded");
  ASSERT_TRUE(archive) << archive.error().message;
  EXPECT_NE(archive->find("discriminator1.attention.gamma"), nullptr);
  EXPECT_NE(archive->find("optimizer.0.exp_avg"), nullptr);
  EXPECT_EQ(archive->find("optimizer.1.exp_avg"), nullptr) << "moments only where they were";
  EXPECT_NE(archive->find("rng"), nullptr);
  auto loaded = InferenceModel::load(dir.path(), "cpu");
  ASSERT_TRUE(loaded) << loaded.error().message;
  std::vector<float> faces(16 * 16 * 3, 0.5f);
  auto out = (*loaded)->swap(faces, 1, 1);
  ASSERT_TRUE(out);
  const torch::Tensor y = model->decode(model->encode(torch::full({1, 3, 16, 16}, 0.5f)), 1).permute({0, 2, 3, 1});
  EXPECT_NEAR(y.index({0, 3, 5, 1}).item<float>(), out->rgb[(3 * 16 + 5) * 3 + 1], 1e-6);
  // A second upgrade has nothing to do.
  auto again = upgrade_checkpoint_file(file);
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->upgraded);
}

TEST(LegacyCheckpoint, AnArchiveThatKillsLibTorchsReaderIsOneLineAndTheFileStays) {
  // The crafted LibTorch archive fuzzing found (tests/fuzz/corpus/checkpoint_archive): LibTorch
  // 1.13's type parser crashes on it. The upgrade reads it in a child process.
  const fs::path crash = test::source_dir() / "tests" / "fuzz" / "corpus" / "checkpoint_archive" /
                         "libtorch_type_parser_crash.bin";
  std::ifstream in(crash, std::ios::binary);
  ASSERT_TRUE(in) << crash;
  const std::string payload((std::istreambuf_iterator<char>(in)), {});
  CheckpointHeader header;
  header.preset = "tiny";
  header.resolution = 16;
  header.step = 3;
  std::string bytes = encode_checkpoint(header, payload);
  bytes.replace(bytes.find(" 2 "), 3, " 1 ");
  TempDir dir;
  const fs::path file = dir.path() / checkpoint_file_name(3);
  ASSERT_TRUE(write_file_atomic(file, bytes));
  auto upgraded = upgrade_checkpoint_file(file);
  ASSERT_FALSE(upgraded);
  EXPECT_EQ(upgraded.error().code, ErrorCode::kCorrupt);
  EXPECT_EQ(upgraded.error().message.find('\n'), std::string::npos);
  EXPECT_NE(upgraded.error().message.find("damaged checkpoint"), std::string::npos) << upgraded.error().message;
  auto unchanged = read_file(file);
  ASSERT_TRUE(unchanged);
  EXPECT_EQ(*unchanged, bytes);
}

}  // namespace
}  // namespace mirage::model
