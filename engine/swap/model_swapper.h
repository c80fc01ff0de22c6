// The FaceSwapper backed by a trained model (engine/model's InferenceModel).
//
//   auto model = swap::make_model_swapper(project / "model");   // newest good checkpoint
//   if (!model) { print(model.error().to_string()); return 1; }
//   swap::convert_video(options, **model);
//
// Errors: InferenceModel::load's (kNotFound: no checkpoint, kCorrupt, kUnsupported), and
// kUnsupported for a model whose resolution is not 64 or 128 or that has fewer than two
// identities. The returned swapper is thread-safe (InferenceModel::swap is).
#pragma once

#include <filesystem>
#include <memory>
#include <string_view>

#include "engine/core/error.h"
#include "engine/swap/swapper.h"

namespace mirage::swap {

Result<std::unique_ptr<FaceSwapper>> make_model_swapper(const std::filesystem::path& model_dir_or_file,
                                                        std::string_view device = "auto");

}  // namespace mirage::swap
