#include "engine/model/face_descriptor.h"

#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <string>

#include <torch/torch.h>

#include "engine/model/tfjs_weights.h"
#include "engine/model/torch_error.h"

namespace mirage::model {
namespace {

namespace fs = std::filesystem;
namespace F = torch::nn::functional;

constexpr const char* kRelativeManifest = "data/face-api/face_recognition_model-weights_manifest.json";
constexpr const char* kFetchHint = "run tools/setup (it fetches @vladmandic/face-api 1.7.15 with npm pack)";

// One convolution with its affine (scale) layer folded in: conv(x, W * s) + (b * s + t).
struct Conv {
  torch::Tensor weight;  // [out, in, kh, kw]
  torch::Tensor bias;    // [out]
};

struct Residual {
  Conv conv1, conv2;
  bool down = false;
};

fs::path executable_dir() {
  char buffer[4096];
  const ssize_t n = readlink("/proc/self/exe", buffer, sizeof buffer - 1);
  if (n <= 0) return {};
  buffer[n] = '\0';
  return fs::path(buffer).parent_path();
}

Result<Conv> read_conv(const std::vector<TfjsTensor>& tensors, const std::string& prefix, std::int64_t in,
                       std::int64_t out, std::int64_t k, const std::string& where) {
  auto get = [&](const std::string& name, std::vector<std::int64_t> shape) -> Result<torch::Tensor> {
    const TfjsTensor* t = find_tensor(tensors, name);
    if (t == nullptr) return fail(ErrorCode::kCorrupt, "{}: no tensor {}: not face-api's face recognition model; {}", where, name, kFetchHint);
    if (t->shape != shape) {
      return fail(ErrorCode::kCorrupt, "{}: {} has shape {}, expected {}: not face-api's face recognition model; {}", where,
                  name, torch::IntArrayRef(t->shape), torch::IntArrayRef(shape), kFetchHint);
    }
    return torch::from_blob(const_cast<float*>(t->values.data()), shape, torch::kFloat32).clone();
  };
  auto filters = get(prefix + "/conv/filters", {k, k, in, out});
  if (!filters) return std::unexpected(filters.error());
  auto bias = get(prefix + "/conv/bias", {out});
  if (!bias) return std::unexpected(bias.error());
  auto scale = get(prefix + "/scale/weights", {out});
  if (!scale) return std::unexpected(scale.error());
  auto shift = get(prefix + "/scale/biases", {out});
  if (!shift) return std::unexpected(shift.error());
  Conv c;
  c.weight = (filters->permute({3, 2, 0, 1}) * scale->view({out, 1, 1, 1})).contiguous();
  c.bias = *bias * *scale + *shift;
  return c;
}

}  // namespace

struct FaceDescriptorNet::State {
  Conv stem;
  std::vector<Residual> blocks;
  torch::Tensor fc;    // [256, 128]
  torch::Tensor mean;  // [1, 3, 1, 1]
};

fs::path default_face_descriptor_manifest() {
  if (const char* path = std::getenv("MIRAGE_FACE_DESCRIPTOR_MODEL"); path != nullptr && *path != '\0') return path;
  const fs::path candidates[] = {fs::path(kRelativeManifest), executable_dir() / ".." / ".." / kRelativeManifest};
  for (const fs::path& candidate : candidates) {
    std::error_code error;
    if (!candidate.empty() && fs::exists(candidate, error)) return candidate.lexically_normal();
  }
  return kRelativeManifest;
}

float descriptor_distance(const FaceDescriptor& a, const FaceDescriptor& b) {
  double sum = 0;
  for (int i = 0; i < kFaceDescriptorSize; ++i) {
    const double d = static_cast<double>(a[i]) - b[i];
    sum += d * d;
  }
  return static_cast<float>(std::sqrt(sum));
}

Result<std::unique_ptr<FaceDescriptorNet>> FaceDescriptorNet::load(const fs::path& manifest) {
  auto tensors = load_tfjs_weights(manifest);
  if (!tensors) {
    Error e = tensors.error();
    e.message += std::string("; ") + kFetchHint;
    return std::unexpected(e);
  }
  const std::string where = manifest.string();
  try {
    const torch::NoGradGuard no_grad;
    auto state = std::make_unique<State>();
    auto stem = read_conv(*tensors, "conv32_down", 3, 32, 7, where);
    if (!stem) return std::unexpected(stem.error());
    state->stem = std::move(*stem);
    struct Spec {
      const char* name;
      std::int64_t in, out;
      bool down;
    };
    const Spec specs[] = {{"conv32_1", 32, 32, false},     {"conv32_2", 32, 32, false},   {"conv32_3", 32, 32, false},
                          {"conv64_down", 32, 64, true},   {"conv64_1", 64, 64, false},   {"conv64_2", 64, 64, false},
                          {"conv64_3", 64, 64, false},     {"conv128_down", 64, 128, true}, {"conv128_1", 128, 128, false},
                          {"conv128_2", 128, 128, false},  {"conv256_down", 128, 256, true}, {"conv256_1", 256, 256, false},
                          {"conv256_2", 256, 256, false},  {"conv256_down_out", 256, 256, true}};
    for (const Spec& s : specs) {
      auto c1 = read_conv(*tensors, std::string(s.name) + "/conv1", s.in, s.out, 3, where);
      if (!c1) return std::unexpected(c1.error());
      auto c2 = read_conv(*tensors, std::string(s.name) + "/conv2", s.out, s.out, 3, where);
      if (!c2) return std::unexpected(c2.error());
      state->blocks.push_back({std::move(*c1), std::move(*c2), s.down});
    }
    const TfjsTensor* fc = find_tensor(*tensors, "fc");
    if (fc == nullptr || fc->shape != std::vector<std::int64_t>{256, kFaceDescriptorSize}) {
      return fail(ErrorCode::kCorrupt, "{}: no 256x128 tensor fc: not face-api's face recognition model; {}", where, kFetchHint);
    }
    state->fc = torch::from_blob(const_cast<float*>(fc->values.data()), {256, kFaceDescriptorSize}, torch::kFloat32).clone();
    state->mean = torch::tensor({122.782f, 117.001f, 104.298f}).view({1, 3, 1, 1});
    return std::unique_ptr<FaceDescriptorNet>(new FaceDescriptorNet(std::move(state)));
  } catch (const std::exception& exception) {
    return std::unexpected(detail::torch_error(exception, "loading the face descriptor network"));
  }
}

FaceDescriptorNet::FaceDescriptorNet(std::unique_ptr<State> state) : state_(std::move(state)) {}
FaceDescriptorNet::~FaceDescriptorNet() = default;

Result<std::vector<FaceDescriptor>> FaceDescriptorNet::describe(std::span<const float> faces, int count) const {
  constexpr std::int64_t side = kFaceDescriptorInput;
  if (count < 0 || faces.size() != static_cast<std::size_t>(count) * side * side * 3) {
    return fail(ErrorCode::kInvalidArgument, "describe: expected {} x {}x{}x3 floats, got {}", count, side, side, faces.size());
  }
  std::vector<FaceDescriptor> out(static_cast<std::size_t>(count));
  if (count == 0) return out;
  try {
    const torch::InferenceMode inference;
    const State& s = *state_;
    torch::Tensor x = torch::from_blob(const_cast<float*>(faces.data()), {count, side, side, 3}, torch::kFloat32)
                          .permute({0, 3, 1, 2});
    x = ((x - s.mean) / 255.0f).contiguous();
    auto convolve = [](const torch::Tensor& in, const Conv& c, bool down) {
      return torch::conv2d(in, c.weight, c.bias, down ? 2 : 1, down ? 0 : c.weight.size(2) / 2);
    };
    x = torch::relu(convolve(x, s.stem, true));
    x = F::max_pool2d(x, F::MaxPool2dFuncOptions(3).stride(2));
    for (const Residual& block : s.blocks) {
      torch::Tensor y = torch::relu(convolve(x, block.conv1, block.down));
      y = convolve(y, block.conv2, false);
      torch::Tensor shortcut = x;
      if (block.down) {
        shortcut = F::avg_pool2d(x, F::AvgPool2dFuncOptions(2).stride(2));
        // face-api pads the residual branch at the bottom and right with zeros when the pooled
        // shortcut is larger (odd sizes), and the shortcut with zero channels when it is narrower.
        const std::int64_t pad_h = shortcut.size(2) - y.size(2), pad_w = shortcut.size(3) - y.size(3);
        if (pad_h > 0 || pad_w > 0) y = F::pad(y, F::PadFuncOptions({0, pad_w, 0, pad_h}));
        const std::int64_t extra = y.size(1) - shortcut.size(1);
        if (extra > 0) shortcut = F::pad(shortcut, F::PadFuncOptions({0, 0, 0, 0, 0, extra}));
      }
      x = torch::relu(y + shortcut);
    }
    const torch::Tensor descriptors = torch::matmul(x.mean({2, 3}), s.fc).contiguous();
    const float* d = descriptors.data_ptr<float>();
    for (int i = 0; i < count; ++i) std::copy(d + i * kFaceDescriptorSize, d + (i + 1) * kFaceDescriptorSize, out[i].begin());
    return out;
  } catch (const std::exception& exception) {
    return std::unexpected(detail::torch_error(exception, "face descriptor"));
  }
}

}  // namespace mirage::model
