#include "engine/train/trainer.h"

#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "engine/core/file_io.h"
#include "engine/model/checkpoint.h"
#include "engine/model/faceswap_model.h"
#include "engine/model/inference.h"
#include "engine/model/weight_snapshot.h"
#include "tests/core/temp_dir.h"

namespace mirage::train {
namespace {

struct Faces {
  std::shared_ptr<const FaceBank> a = std::make_shared<const FaceBank>(synthetic_faces(6, 64, 0));
  std::shared_ptr<const FaceBank> b = std::make_shared<const FaceBank>(synthetic_faces(6, 64, 1));
};

TrainerOptions tiny(std::int64_t steps) {
  TrainerOptions o;
  o.preset = "tiny";
  o.batch = 4;
  o.device = "cpu";
  o.precision = "fp32";
  o.max_steps = steps;
  o.warmup_steps = 0;
  o.schedule = "constant";
  o.learning_rate = 3e-3;
  o.save_every = 0;
  o.log_every = 1;
  return o;
}

std::unique_ptr<Trainer> run_to_end(const TrainerOptions& options, const Faces& faces) {
  auto trainer = Trainer::create(options, faces.a, faces.b);
  EXPECT_TRUE(trainer.has_value()) << trainer.error().message;
  (*trainer)->start();
  const Status result = (*trainer)->wait();
  EXPECT_TRUE(result.has_value()) << result.error().message;
  return std::move(*trainer);
}

// Spins (no sleeping, no clock) until the trainer's published stats satisfy `done`.
template <class Predicate>
TrainerStats wait_for(const Trainer& trainer, Predicate done) {
  for (;;) {
    const TrainerStats s = trainer.stats();
    if (done(s) || s.finished) return s;
    std::this_thread::yield();
  }
}

// Plain reconstruction of the same few faces: no augmentation, L1 only.
TrainerOptions overfit(const std::string& preset, std::int64_t steps) {
  TrainerOptions o = tiny(steps);
  o.preset = preset;
  o.augment = AugmentOptions{};
  o.augment.warp = false;
  o.augment.rotation_deg = o.augment.scale = o.augment.shift = o.augment.flip = o.augment.lightness = o.augment.colour = 0;
  o.weights.ssim = 0;
  return o;
}

// Trains to o.max_steps (o.model_dir set), then "resumes" at the limit: nothing left to train,
// the restored state is saved again and must be the same file, byte for byte.
void expect_bit_exact_round_trip(const TrainerOptions& o, const Faces& faces) {
  run_to_end(o, faces);
  const auto file = o.model_dir / model::checkpoint_file_name(o.max_steps);
  const auto first = read_file(file);
  ASSERT_TRUE(first.has_value());
  run_to_end(o, faces);
  const auto second = read_file(file);
  ASSERT_TRUE(second.has_value());
  EXPECT_TRUE(*first == *second);
}

TEST(Trainer, TinyModelOverfitsAFewGeneratedFaces) {
  Faces faces;
  auto trainer = run_to_end(overfit("tiny", 150), faces);
  const TrainerStats s = trainer->stats();
  EXPECT_EQ(s.step, 150);
  EXPECT_LT(s.l1, 0.08);  // starts near 0.25 (sigmoid at 0.5 against the faces)
  EXPECT_EQ(s.rejected_steps, 0);
}

TEST(Trainer, TinyDoubleOutputAndLiaeModelsOverfitAndRoundTrip) {
  // The -d head (16 px out from an 8 px encoder) and the LIAE layout (one decoder drawing both
  // identities from the inters) learn the faces, and their checkpoints restore bit for bit.
  for (const char* preset : {"tiny-d", "tiny-liae"}) {
    SCOPED_TRACE(preset);
    Faces faces;
    auto trainer = run_to_end(overfit(preset, 150), faces);
    const TrainerStats s = trainer->stats();
    EXPECT_EQ(s.step, 150);
    EXPECT_LT(s.l1, 0.08);
    TempDir dir;
    TrainerOptions o = overfit(preset, 3);
    o.model_dir = dir.path();
    expect_bit_exact_round_trip(o, faces);
  }
}

TEST(Trainer, WithoutALearningRateTheRunStartsFromThePresets) {
  Faces faces;
  TrainerOptions o = tiny(1);
  o.learning_rate = -1;
  auto trainer = run_to_end(o, faces);
  EXPECT_DOUBLE_EQ(trainer->stats().learning_rate, model::find_preset("tiny")->learning_rate);
  o.learning_rate = 2e-3;
  EXPECT_DOUBLE_EQ(run_to_end(o, faces)->stats().learning_rate, 2e-3);
}

TEST(Trainer, RefusesBadInputWithOneLine) {
  Faces faces;
  auto few = std::make_shared<const FaceBank>(synthetic_faces(2, 64, 0));
  auto e = Trainer::create(tiny(1), few, faces.b);
  ASSERT_FALSE(e.has_value());
  EXPECT_EQ(e.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(e.error().message.find("at least"), std::string::npos);
  auto mixed = std::make_shared<FaceBank>(synthetic_faces(4, 64, 0));
  mixed->push_back(synthetic_faces(1, 32, 0).front());
  EXPECT_EQ(Trainer::create(tiny(1), mixed, faces.b).error().code, ErrorCode::kInvalidArgument);
  TrainerOptions cuda = tiny(1);
  cuda.device = "cuda";
  const auto no_cuda = Trainer::create(cuda, faces.a, faces.b);
  if (!no_cuda) {
    EXPECT_EQ(no_cuda.error().message.find('\n'), std::string::npos);
  }
}

TEST(Trainer, CheckpointRoundTripIsBitExact) {
  Faces faces;
  TempDir dir;
  TrainerOptions o = tiny(3);
  o.model_dir = dir.path();
  expect_bit_exact_round_trip(o, faces);
}

TEST(Trainer, ResumeContinuesExactlyWhereTrainingStopped) {
  Faces faces;
  TempDir straight, split;
  TrainerOptions o = tiny(6);
  o.model_dir = straight.path();
  run_to_end(o, faces);
  o.model_dir = split.path();
  o.max_steps = 3;
  run_to_end(o, faces);
  o.max_steps = 6;
  run_to_end(o, faces);
  const auto a = model::load_checkpoint(straight.path());
  const auto b = model::load_checkpoint(split.path());
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->header.step, 6);
  EXPECT_EQ(b->header.step, 6);
  EXPECT_TRUE(a->payload == b->payload);
}

// A model trained before checkpoints named their crop keeps being trained, saved and published
// with the crop it learnt (model::kLegacyCrop); the batches really are cut there.
TEST(Trainer, ResumingAModelOfTheLegacyCropKeepsItsCrop) {
  Faces faces;
  TempDir legacy, current;
  TrainerOptions o = tiny(2);
  o.model_dir = legacy.path();
  run_to_end(o, faces);
  const auto file = legacy.path() / model::checkpoint_file_name(2);
  auto saved = model::load_checkpoint(file);
  ASSERT_TRUE(saved.has_value());
  EXPECT_EQ(saved->header.crop, model::kFaceCrop);
  ASSERT_TRUE(write_file_atomic(current.path() / model::checkpoint_file_name(2),
                                model::encode_checkpoint(saved->header, saved->payload)));
  saved->header.crop = model::kLegacyCrop;
  ASSERT_TRUE(write_file_atomic(file, model::encode_checkpoint(saved->header, saved->payload)));

  o.max_steps = 4;
  o.snapshot_every = 1;
  const auto old = run_to_end(o, faces);
  ASSERT_NE(old->latest_snapshot(), nullptr);
  EXPECT_EQ(old->latest_snapshot()->preset.crop, model::kLegacyCrop);
  const auto resumed = model::load_checkpoint(legacy.path());
  ASSERT_TRUE(resumed.has_value());
  EXPECT_EQ(resumed->header.step, 4);
  EXPECT_EQ(resumed->header.crop, model::kLegacyCrop);

  o.model_dir = current.path();
  const auto now = run_to_end(o, faces);
  EXPECT_EQ(now->latest_snapshot()->preset.crop, model::kFaceCrop);
  const auto other = model::load_checkpoint(current.path());
  ASSERT_TRUE(other.has_value());
  EXPECT_EQ(other->header.step, 4);
  EXPECT_EQ(other->header.crop, model::kFaceCrop);
  EXPECT_FALSE(other->payload == resumed->payload);  // the same steps on other pixels
}

TEST(Trainer, OtherPresetAndForeignCheckpointsAreRefused) {
  Faces faces;
  TempDir dir;
  TrainerOptions o = tiny(1);
  o.model_dir = dir.path();
  run_to_end(o, faces);
  TrainerOptions lite = o;
  lite.preset = "lite";
  const auto other = Trainer::create(lite, faces.a, faces.b);
  ASSERT_FALSE(other.has_value());
  EXPECT_NE(other.error().message.find("preset 'tiny'"), std::string::npos);
  ASSERT_TRUE(write_file_atomic(dir.path() / model::checkpoint_file_name(9), "foreign bytes"));
  const auto foreign = Trainer::create(o, faces.a, faces.b);
  ASSERT_FALSE(foreign.has_value());
  EXPECT_EQ(foreign.error().code, ErrorCode::kCorrupt);
  // The good checkpoint is untouched.
  EXPECT_TRUE(model::load_checkpoint(dir.path() / model::checkpoint_file_name(1)).has_value());
}

TEST(Trainer, InjectedNanIsDroppedAndNeverSaved) {
  Faces faces;
  TempDir dir;
  TrainerOptions o = tiny(6);
  o.model_dir = dir.path();
  o.debug_poison_step = 3;
  auto trainer = run_to_end(o, faces);
  const TrainerStats s = trainer->stats();
  EXPECT_EQ(s.rejected_steps, 1);
  EXPECT_EQ(s.step, 6);
  EXPECT_TRUE(std::isfinite(trainer->weight_norm()));
  EXPECT_TRUE(model::load_checkpoint(dir.path()).has_value());
}

TEST(Trainer, NanWeightsAreRolledBackToTheLastGoodState) {
  Faces faces;
  TrainerOptions o = tiny(6);
  o.save_every = 2;
  o.debug_poison_step = 3;
  o.debug_poison_weights = true;
  auto trainer = run_to_end(o, faces);
  const TrainerStats s = trainer->stats();
  EXPECT_EQ(s.rejected_steps, 1);
  EXPECT_EQ(s.rollbacks, 1);
  EXPECT_TRUE(std::isfinite(trainer->weight_norm()));
  EXPECT_EQ(s.step, 6);  // back to step 2, then on to the limit
}

// Per-step values of one field of train_log.jsonl.
std::vector<double> logged(const std::filesystem::path& dir, const std::string& field) {
  std::ifstream in(dir / "train_log.jsonl");
  std::vector<double> values;
  for (std::string line; std::getline(in, line);) values.push_back(Json::parse(line).at(field).get<double>());
  return values;
}

double mean_of(const std::vector<double>& v, std::size_t first, std::size_t count) {
  double sum = 0;
  for (std::size_t i = first; i < first + count; ++i) sum += v.at(i);
  return sum / static_cast<double>(count);
}

TEST(Trainer, TheCosineDecayCanWaitForAShareOfTheRun) {
  // decay_from 0.5: the base rate for the first half of the run, then the cosine down to 10 %;
  // decay_from 0 (the default): the cosine over the whole run.
  Faces faces;
  for (const double decay_from : {0.0, 0.5}) {
    SCOPED_TRACE(decay_from);
    TempDir dir;
    TrainerOptions o = tiny(20);
    o.schedule = "cosine";
    o.decay_from = decay_from;
    o.model_dir = dir.path();
    run_to_end(o, faces);
    const std::vector<double> lr = logged(dir.path(), "learning_rate");
    ASSERT_EQ(lr.size(), 21u);  // steps 1-20, then the final line of the run
    for (std::size_t i = 1; i < lr.size(); ++i) EXPECT_LE(lr[i], lr[i - 1] + 1e-12) << "step " << i;
    if (decay_from > 0) {
      for (std::size_t i = 0; i < 10; ++i) EXPECT_NEAR(lr[i], 3e-3, 1e-12) << "step " << i;
      EXPECT_LT(lr[11], 3e-3);
    } else {
      EXPECT_LT(lr[4], 0.95 * 3e-3);  // already decaying a quarter of the way in
    }
    EXPECT_NEAR(lr.back(), 0.1 * 3e-3, 0.05 * 3e-3);
  }
  TrainerOptions bad = tiny(1);
  bad.decay_from = 1.0;
  const auto refused = Trainer::create(bad, faces.a, faces.b);
  ASSERT_FALSE(refused.has_value());
  EXPECT_NE(refused.error().message.find("decay_from"), std::string::npos) << refused.error().message;
}

TEST(Trainer, GanDiscriminatorLearnsTheMixupShare) {
  // A discriminator that cannot tell real from fake can do no better than answering E[lambda] =
  // 0.5 for every mix: a loss of Var(lambda) = 0.179 per identity for Beta(0.2, 0.2), 0.357 for
  // the two. With the generator held still (learning rate 0) its faces stay easy to tell, and a
  // discriminator that learns goes far below that. The lite preset: at tiny's 16 px the
  // discriminator's patch map is a single pixel.
  TempDir dir;
  Faces faces;
  TrainerOptions o = tiny(30);
  o.preset = "lite";
  o.learning_rate = 0;
  o.model_dir = dir.path();
  o.gan = true;
  run_to_end(o, faces);
  const std::vector<double> d = logged(dir.path(), "discriminator");
  const std::vector<double> adversarial = logged(dir.path(), "adversarial");
  ASSERT_GE(d.size(), 30u);
  EXPECT_GT(mean_of(adversarial, 0, 10), 0.0);
  EXPECT_LT(mean_of(d, 20, 10), 0.4 * 0.357) << "first steps " << mean_of(d, 0, 10);
}

TEST(Trainer, CommandsFromAnotherThreadTakeEffectBetweenSteps) {
  Faces faces;
  TrainerOptions o = tiny(0);  // no limit: runs until stopped
  auto trainer = Trainer::create(o, faces.a, faces.b);
  ASSERT_TRUE(trainer.has_value());
  Trainer& t = **trainer;
  t.start();
  wait_for(t, [](const TrainerStats& s) { return s.step >= 2; });
  std::thread controller([&] {
    t.send(Pause{});
    t.send(SetLearningRate{1e-5});
    t.send(SetGan{true});
  });
  controller.join();
  const TrainerStats paused = wait_for(t, [](const TrainerStats& s) { return s.paused; });
  ASSERT_TRUE(paused.paused);
  EXPECT_TRUE(paused.gan);
  const double norm = t.weight_norm();  // safe: the trainer is paused
  EXPECT_EQ(t.stats().step, paused.step);
  EXPECT_EQ(t.weight_norm(), norm);
  t.send(RequestPreview{});
  t.send(RequestSnapshot{});
  t.send(Resume{});
  const TrainerStats resumed = wait_for(t, [&](const TrainerStats& s) { return s.step >= paused.step + 2; });
  EXPECT_NEAR(resumed.learning_rate, 1e-5, 1e-12);
  EXPECT_GT(resumed.discriminator, 0.0);
  EXPECT_GT(resumed.adversarial, 0.0);
  t.send(SetGan{false});
  const TrainerStats off = wait_for(t, [&](const TrainerStats& s) { return !s.gan && s.step >= resumed.step + 2; });
  EXPECT_EQ(off.discriminator, 0.0);
  EXPECT_EQ(off.adversarial, 0.0);
  t.send(Stop{});
  ASSERT_TRUE(t.wait().has_value());
  const auto preview = t.take_preview();
  ASSERT_TRUE(preview.has_value());
  EXPECT_EQ(preview->width, 8 * 16);
  EXPECT_EQ(preview->rgb.size(), static_cast<std::size_t>(preview->width * preview->height * 3));
  EXPECT_EQ(encode_png(*preview).substr(1, 3), "PNG");
  const auto snapshot = t.latest_snapshot();
  ASSERT_NE(snapshot, nullptr);
  EXPECT_EQ(snapshot->step, paused.step);
  auto inference = model::InferenceModel::from_snapshot(*snapshot, "cpu");
  ASSERT_TRUE(inference.has_value());
  std::vector<float> face(16 * 16 * 3, 0.5f);
  EXPECT_TRUE((*inference)->swap(face, 1, 1).has_value());
  EXPECT_FALSE(t.send(Resume{}));  // finished
}

}  // namespace
}  // namespace mirage::train
