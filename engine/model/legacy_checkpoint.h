// Format-1 checkpoints (Mirage 0.1: a LibTorch archive as the payload) converted to format 2 (the
// tensor archive of engine/model/tensor_archive.h), for `mirage checkpoint upgrade`.
//
//   auto upgraded = model::upgrade_checkpoint_file("demo/model/checkpoint-000000001200.mirage");
//   if (!upgraded) print(upgraded.error().message);   // the file is untouched then
//
// LibTorch's archive reader runs TorchScript's unpickler, which crashes on crafted input
// (tests/fuzz/corpus/checkpoint_archive/libtorch_type_parser_crash.bin). Only this conversion
// still calls it, and it does so in a child process (fork, before the caller has started any
// thread that Torch's pools would inherit): a crash there is one error line here, never the
// caller's own death.
#pragma once

#include <cstdint>
#include <filesystem>

#include "engine/core/error.h"

namespace mirage::model {

struct UpgradeResult {
  bool upgraded = false;  // false: the file was format 2 already
  std::int64_t step = 0;
  bool discriminator_moments_dropped = false;  // saved before self-attention: they restart
};

// Rewrites `file` (atomically) as format 2 with the same header, model, discriminators, optimizer
// moments and RNG state. Errors: load_checkpoint()'s; kCorrupt when the old archive does not hold
// what its preset needs or LibTorch's reader dies on it (the signal named); kIo for the write.
Result<UpgradeResult> upgrade_checkpoint_file(const std::filesystem::path& file);

}  // namespace mirage::model
