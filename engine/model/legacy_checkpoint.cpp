#include "engine/model/legacy_checkpoint.h"

#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <map>
#include <string>

#include <torch/torch.h>

#include "engine/core/file_io.h"
#include "engine/core/format.h"
#include "engine/model/checkpoint.h"
#include "engine/model/faceswap_model.h"
#include "engine/model/tensor_io.h"

namespace mirage::model {
namespace {

// Module::load, then every parameter and buffer must have the shape and type it had before:
// Module::load replaces tensors with whatever the archive holds.
void load_checked(torch::nn::Module& module, torch::serialize::InputArchive& archive) {
  std::map<std::string, std::pair<std::vector<std::int64_t>, at::ScalarType>> expected;
  for (const auto& p : module.named_parameters()) expected[p.key()] = {p.value().sizes().vec(), p.value().scalar_type()};
  for (const auto& b : module.named_buffers()) expected[b.key()] = {b.value().sizes().vec(), b.value().scalar_type()};
  module.load(archive);
  const auto check = [&](const std::string& name, const at::Tensor& t) {
    const auto want = expected.find(name);
    if (want != expected.end() && (t.sizes().vec() != want->second.first || t.scalar_type() != want->second.second)) {
      throw std::runtime_error(format("tensor '{}' does not fit the model", name));
    }
  };
  for (const auto& p : module.named_parameters()) check(p.key(), p.value());
  for (const auto& b : module.named_buffers()) check(b.key(), b.value());
}

// The optimizer's "<i>.step/.exp_avg/.exp_avg_sq" for i < count, as they were, under `prefix`.
void copy_moments(torch::serialize::InputArchive& from, std::size_t count, TensorArchiveWriter& out,
                  std::string_view prefix) {
  for (std::size_t i = 0; i < count; ++i) {
    torch::Tensor step, avg, avg_sq;
    if (!from.try_read(format("{}.step", i), step)) continue;
    from.read(format("{}.exp_avg", i), avg, /*is_buffer=*/true);
    from.read(format("{}.exp_avg_sq", i), avg_sq, /*is_buffer=*/true);
    write_tensor(out, format("{}.{}.step", prefix, i), step);
    write_tensor(out, format("{}.{}.exp_avg", prefix, i), avg);
    write_tensor(out, format("{}.{}.exp_avg_sq", prefix, i), avg_sq);
  }
}

// The child's work: the format-1 payload as a format-2 one. Throws on anything it cannot read.
std::string convert(const Checkpoint& old, bool& moments_dropped) {
  at::set_num_threads(1);
  const auto preset = find_preset(old.header.preset);
  if (!preset) throw std::runtime_error(preset.error().message);
  torch::serialize::InputArchive archive;
  archive.load_from(old.payload.data(), old.payload.size());
  TensorArchiveWriter out;
  FaceSwapModel model(*preset);
  torch::serialize::InputArchive weights;
  archive.read("model", weights);
  load_checked(*model, weights);
  write_module(out, "model", *model);
  std::size_t discriminator_parameters = 0;
  bool with_attention = true;
  for (int i = 0; i < preset->identities; ++i) {
    torch::serialize::InputArchive saved;
    if (!archive.try_read(format("discriminator{}", i), saved)) continue;
    Discriminator d(preset->discriminator_filters);
    torch::serialize::InputArchive attention;
    if (saved.try_read("attention", attention)) {
      load_checked(*d, saved);
    } else {
      with_attention = false;
      for (const auto& child : d->named_children()) {
        if (child.key() == "attention") continue;
        torch::serialize::InputArchive part;
        saved.read(child.key(), part);
        load_checked(*child.value(), part);
      }
    }
    discriminator_parameters += d->parameters().size();
    write_module(out, format("discriminator{}", i), *d);
  }
  torch::serialize::InputArchive optimizer, d_optimizer;
  if (archive.try_read("optimizer", optimizer)) copy_moments(optimizer, model->parameters().size(), out, "optimizer");
  // Moments saved before self-attention sit at positions that have moved: they restart, as a
  // format-1 resume did.
  moments_dropped = !with_attention;
  if (with_attention && archive.try_read("discriminator_optimizer", d_optimizer)) {
    copy_moments(d_optimizer, discriminator_parameters, out, "discriminator_optimizer");
  }
  torch::Tensor rng;
  archive.read("rng", rng);
  write_tensor(out, "rng", rng);
  return std::move(out).finish();
}

bool write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// Runs convert() in a child; its answer comes back through a pipe: 'O' + a flag + the payload,
// or 'E' + the message.
Result<std::string> convert_in_child(const Checkpoint& old, const std::string& where, bool& moments_dropped) {
  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0) return fail(ErrorCode::kIo, "{}: cannot make a pipe: {}", where, std::strerror(errno));
  const pid_t child = ::fork();
  if (child < 0) {
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    return fail(ErrorCode::kIo, "{}: cannot start the conversion: {}", where, std::strerror(errno));
  }
  if (child == 0) {
    ::close(pipe_fds[0]);
    std::string answer;
    try {
      bool dropped = false;
      std::string payload = convert(old, dropped);
      answer = std::string("O") + (dropped ? "1" : "0") + payload;
    } catch (const std::exception& e) {
      const std::string what = e.what();
      answer = "E" + what.substr(0, what.find('\n'));
    }
    _exit(write_all(pipe_fds[1], answer) ? 0 : 3);
  }
  ::close(pipe_fds[1]);
  std::string answer;
  char buffer[1 << 16];
  for (;;) {
    const ssize_t n = ::read(pipe_fds[0], buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    answer.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(pipe_fds[0]);
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFSIGNALED(status)) {
    return fail(ErrorCode::kCorrupt, "{}: damaged checkpoint (LibTorch's archive reader died on it: {})", where,
                strsignal(WTERMSIG(status)));
  }
  if (!answer.empty() && answer[0] == 'E') {
    const std::string why = answer.size() > 1 ? answer.substr(1) : "LibTorch's archive reader refused it";
    return fail(ErrorCode::kCorrupt, "{}: damaged checkpoint ({})", where, why);
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || answer.size() < 2) {
    return fail(ErrorCode::kIo, "{}: the conversion did not finish (exit status {}, {} bytes of answer)", where,
                WIFEXITED(status) ? WEXITSTATUS(status) : -1, answer.size());
  }
  moments_dropped = answer[1] == '1';
  return answer.substr(2);
}

}  // namespace

Result<UpgradeResult> upgrade_checkpoint_file(const std::filesystem::path& file) {
  auto old = load_checkpoint(file);
  if (!old) return std::unexpected(old.error());
  UpgradeResult result;
  result.step = old->header.step;
  if (old->version != kLegacyCheckpointVersion) return result;
  const std::string where = file.string();
  auto payload = convert_in_child(*old, where, result.discriminator_moments_dropped);
  if (!payload) return std::unexpected(payload.error());
  // What was written must read back as a whole archive before it replaces the old file.
  if (auto check = TensorArchive::parse(*payload, where); !check) return std::unexpected(check.error());
  if (auto s = write_file_atomic(file, encode_checkpoint(old->header, *payload)); !s) return std::unexpected(s.error());
  result.upgraded = true;
  return result;
}

}  // namespace mirage::model
