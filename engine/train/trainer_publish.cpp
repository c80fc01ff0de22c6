// What the trainer shows of itself: stats, the log file, previews, weight snapshots and the
// held-out evaluation.
#include "engine/core/config.h"
#include "engine/core/file_io.h"
#include "engine/core/log.h"
#include "engine/model/losses.h"
#include "engine/train/trainer_state.h"

namespace mirage::train {
namespace {

torch::Tensor swap_faces(model::FaceSwapModel& model, const torch::Tensor& faces, int to) {
  return model->decode(model->encode(faces), to).to(torch::kFloat);
}

}  // namespace

void Trainer::State::publish_snapshot() {
  if (!detail::all_finite(generator_parameters())) {
    if (group) {
      // Every rank holds the same weights, and a rollback must happen on all of them at the same
      // step: the next dropped step does that. Until then there is nothing good to show.
      log::warn("trainer: weights are not finite at step {}; no snapshot", step);
      return;
    }
    rollback();
  }
  snapshots.publish(std::make_shared<const model::WeightSnapshot>(model::take_snapshot(*model, step)));
}

void Trainer::State::publish_preview() {
  const torch::NoGradGuard no_grad;
  const int r = preset.resolution;
  const int rows = static_cast<int>(std::min<std::size_t>({4, a->size(), b->size()}));
  IdentityBatch pa = plain_batch(*a, 0, rows, r, preset.crop);
  IdentityBatch pb = plain_batch(*b, 0, rows, r, preset.crop);
  const torch::Tensor fa = detail::nhwc(pa.target, rows, r, 3, device, false);
  const torch::Tensor fb = detail::nhwc(pb.target, rows, r, 3, device, false);
  model->eval();
  const torch::Tensor aa = swap_faces(model, fa, 0), ab = swap_faces(model, fa, 1);
  const torch::Tensor bb = swap_faces(model, fb, 1), ba = swap_faces(model, fb, 0);
  model->train();
  using torch::indexing::Slice;
  const auto rgb = [](const torch::Tensor& t) { return t.index({Slice(), Slice(0, 3)}); };
  const auto mask = [](const torch::Tensor& t) { return t.index({Slice(), Slice(3, 4)}).expand({-1, 3, -1, -1}); };
  // [rows, 3, r, 8r]: the columns side by side, then the rows stacked.
  const torch::Tensor grid =
      torch::cat({fa, rgb(aa), rgb(ab), mask(aa), fb, rgb(bb), rgb(ba), mask(bb)}, 3);
  const torch::Tensor image = grid.permute({0, 2, 3, 1}).reshape({rows * r, 8 * r, 3})
                                  .mul(255).round().clamp(0, 255).to(torch::kCPU, torch::kUInt8).contiguous();
  auto preview = std::make_shared<PreviewImage>();
  preview->step = step;
  preview->width = 8 * r;
  preview->height = rows * r;
  preview->rgb.assign(image.data_ptr<std::uint8_t>(), image.data_ptr<std::uint8_t>() + image.numel());
  previews.publish(std::move(preview));
}

double Trainer::State::evaluate() {
  if (!eval_a || eval_a->empty()) return 0;
  const torch::NoGradGuard no_grad;
  model->eval();
  const int r = preset.resolution;
  double total = 0;
  const int n = static_cast<int>(eval_a->size());
  for (int first = 0; first < n; first += 32) {
    const int count = std::min(32, n - first);
    IdentityBatch faces = plain_batch(*eval_a, first, count, r, preset.crop);
    const torch::Tensor x = detail::nhwc(faces.target, count, r, 3, device, false);
    using torch::indexing::Slice;
    const torch::Tensor y = swap_faces(model, x, 0).index({Slice(), Slice(0, 3)});
    total += model::psnr(y, x).item<double>() * count;
  }
  model->train();
  return total / n;
}

Status detail::repair_train_log(const std::filesystem::path& path, std::int64_t resumed_step) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return ok();
  auto text = read_file(path);
  if (!text) return std::unexpected(text.error());
  std::string kept;
  std::size_t begin = 0;
  while (begin < text->size()) {
    const std::size_t end = text->find('\n', begin);
    if (end == std::string::npos) break;  // cut short by a kill: no newline yet
    const std::string_view line(text->data() + begin, end - begin);
    begin = end + 1;
    auto json = parse_json(line, "train_log.jsonl");
    if (!json) continue;
    const Json* step = find_field(*json, "step");
    if (step != nullptr && step->is_number_integer() && step->get<std::int64_t>() > resumed_step) continue;
    kept.append(line).push_back('\n');
  }
  if (kept == *text) return ok();
  return write_file_atomic(path, kept);
}

void Trainer::State::write_log() {
  if (!log_file) return;
  Json line{{"step", step},           {"time_s", current.elapsed_s}, {"loss", current.loss},
            {"loss_a", current.loss_a}, {"loss_b", current.loss_b},   {"l1", current.l1},
            {"ssim", current.ssim},     {"mask", current.mask},       {"edge", current.edge},
            {"adversarial", current.adversarial}, {"discriminator", current.discriminator},
            {"learning_rate", current.learning_rate},
            {"samples_per_second", current.samples_per_second},
            {"data_wait_share", current.data_wait_share}, {"rejected_steps", current.rejected_steps}};
  if (current.eval_psnr_a > 0) line["eval_psnr_a"] = current.eval_psnr_a;
  if (group) {
    line["world_size"] = current.world_size;
    line["rank_steps_per_second"] = current.rank_steps_per_second;
    line["reduce_wait_share"] = current.reduce_wait_share;
  }
  *log_file << line.dump() << '\n';
  log_file->flush();
}

void Trainer::State::publish_stats() {
  current.step = step;
  current.paused = paused || group_paused;
  current.gan = gan;
  current.elapsed_s = elapsed_s();
  stats.publish(current);
}

}  // namespace mirage::train
