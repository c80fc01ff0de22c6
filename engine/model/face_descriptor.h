// A pretrained face-recognition network that only measures: the 128-d ResNet descriptor of dlib's
// face recognition model (dlib_face_recognition_resnet_model_v1's architecture), with the weights
// that the npm package @vladmandic/face-api 1.7.15 ships (tools/setup puts them in data/face-api/).
// Not trained by Mirage, and nothing that trains uses it: `mirage eval` is its only client.
// Torch-free header.
//
//   auto net = model::FaceDescriptorNet::load(model::default_face_descriptor_manifest());
//   if (!net) { print(net.error().to_string()); return 1; }
//   // faces: count x 150 x 150 x 3 floats, RGB in [0, 255], row-major (see swap/identity_judge.h
//   // for the crop that face-api makes from 68 landmarks)
//   auto descriptors = (*net)->describe(faces, count);
//   float d = model::descriptor_distance((*descriptors)[0], (*descriptors)[1]);  // < 0.6: one person
//
// The forward pass is face-api's FaceRecognitionNet.forwardInput: (x - mean RGB) / 255; a 7x7
// stride-2 convolution and 3x3 max pool; residual blocks (32 x3, 64 x4, 128 x3, 256 x4, each
// stage but the first opening with a stride-2 block whose shortcut is a 2x2 average pool padded
// with zero channels); global average pool; a 256 -> 128 matrix. Every convolution is followed by
// a per-channel scale and bias (dlib's affine layer), folded into the convolution at load time.
//
// Thread-safety: describe() may run on several threads at once.
#pragma once

#include <array>
#include <filesystem>
#include <memory>
#include <span>
#include <vector>

#include "engine/core/error.h"

namespace mirage::model {

inline constexpr int kFaceDescriptorSize = 128;
inline constexpr int kFaceDescriptorInput = 150;  // input side in pixels
using FaceDescriptor = std::array<float, kFaceDescriptorSize>;

// $MIRAGE_FACE_DESCRIPTOR_MODEL when set, else data/face-api/face_recognition_model-weights_manifest.json
// under the first of: the current folder, the folder two above the running executable (build/bin/
// inside the repository); the first path when neither exists (load() then names tools/setup).
std::filesystem::path default_face_descriptor_manifest();

// Euclidean distance (dlib's and face-api's threshold for "same person" is 0.6).
float descriptor_distance(const FaceDescriptor& a, const FaceDescriptor& b);

class FaceDescriptorNet {
 public:
  // Errors: load_tfjs_weights' (kNotFound, kCorrupt, kUnsupported), and kCorrupt when a tensor
  // this network needs is missing or has another shape; every message for a missing or damaged
  // file ends by naming tools/setup, which fetches the package.
  static Result<std::unique_ptr<FaceDescriptorNet>> load(const std::filesystem::path& manifest);
  ~FaceDescriptorNet();

  // faces.size() must be count * 150 * 150 * 3 (kInvalidArgument otherwise). Runs on the CPU.
  Result<std::vector<FaceDescriptor>> describe(std::span<const float> faces, int count) const;

 private:
  struct State;
  explicit FaceDescriptorNet(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace mirage::model
