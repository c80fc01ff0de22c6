// Checkpoint files: a validated header around a LibTorch archive, written crash-safely with
// rolling backups. Torch-free header (the archive is an opaque payload here).
//
//   std::string bytes = encode_checkpoint(header, payload);          // payload: torch archive bytes
//   if (auto s = commit_checkpoint(project / "model", step, bytes, 5); !s) ...;  // keeps 5 newest
//   Result<Checkpoint> newest = load_checkpoint(project / "model");  // newest that validates
//
// File layout (format version 2):
//   line 1: "MIRAGE-CHECKPOINT <version> <header bytes> <payload bytes> <FNV-1a 64 of both, hex>\n"
//   then the header as JSON: {"preset": "lite", "resolution": 64, "step": 1200, "seed": 1,
//                              "crop": {"fraction": 0.68, "shift_y": 0.055}, "config": {...}}
//   ("crop": engine/model/model_crop.h; a header without it is a model of before 2026-12-07,
//   read as kLegacyCrop) and then the payload: a tensor archive of
//   Mirage's own (engine/model/tensor_archive.h) with "model.*", "discriminator<i>.*",
//   "optimizer.*", "discriminator_optimizer.*" and "rng".
// Format 1 (Mirage 0.1) held a LibTorch archive instead, whose reader (TorchScript's pickler)
// crashes on crafted input. Such files are refused with one line naming `mirage checkpoint
// upgrade`, which converts them in a child process (engine/model/legacy_checkpoint.h): nothing
// else ever hands a file's bytes to LibTorch's reader.
// A model folder holds checkpoint-<step, 12 digits>.mirage files; each save writes a new file
// with write_file_atomic (temp + fsync + rename) and then deletes all but the newest `keep`, so a
// crash at any moment leaves every older checkpoint intact; each save first deletes the
// temporaries that killed processes left (remove_stale_temporaries). Thread-safe (no shared state).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/config.h"
#include "engine/core/error.h"
#include "engine/model/model_crop.h"

namespace mirage::model {

inline constexpr std::string_view kCheckpointMagic = "MIRAGE-CHECKPOINT";
inline constexpr int kCheckpointVersion = 2;
inline constexpr int kLegacyCheckpointVersion = 1;  // LibTorch archive payload
inline constexpr std::string_view kCheckpointExtension = ".mirage";

struct CheckpointHeader {
  std::string preset;
  int resolution = 0;
  std::int64_t step = 0;
  std::uint64_t seed = 0;
  ModelCrop crop = kFaceCrop;    // where the model looks; decoding a header without it: kLegacyCrop
  Json config = Json::object();  // the training options the run used
};

struct Checkpoint {
  CheckpointHeader header;
  int version = kCheckpointVersion;  // kLegacyCheckpointVersion: see legacy_payload_error()
  std::string payload;
  std::filesystem::path path;  // where it was read from (empty when decoded from memory)
};

std::string encode_checkpoint(const CheckpointHeader& header, std::string_view payload);
// Errors: kCorrupt "<source>: not a Mirage checkpoint" / "...: damaged (checksum)" / a bad header
// field; kUnsupported for a newer format version.
Result<Checkpoint> decode_checkpoint(std::string bytes, std::string_view source);

// "checkpoint-000000001200.mirage"
std::string checkpoint_file_name(std::int64_t step);
// Writes model_dir/checkpoint_file_name(step) atomically (creating model_dir), then removes all
// but the newest `keep` (>= 1) checkpoints. Errors: kIo (full disk, permissions); the previous
// checkpoints are untouched then.
Status commit_checkpoint(const std::filesystem::path& model_dir, std::int64_t step,
                         std::string_view bytes, int keep);
// Checkpoint files in model_dir, newest (highest step) first; temporaries are not listed.
std::vector<std::filesystem::path> list_checkpoints(const std::filesystem::path& model_dir);

// A file: decodes it. A folder: the newest checkpoint that decodes (damaged newer ones are
// skipped with a warning in the log). Errors: kNotFound (no checkpoint), kCorrupt, kUnsupported.
Result<Checkpoint> load_checkpoint(const std::filesystem::path& dir_or_file);

// kUnsupported "<source>: a checkpoint of Mirage 0.1 (format 1): run 'mirage checkpoint upgrade
// <source>' once to read it", for a checkpoint whose payload is not a tensor archive.
Error legacy_payload_error(std::string_view source);

// kInvalidArgument "checkpoint <path> is preset 'hd' (128 px), not 'lite'" when they differ.
Status check_preset(const Checkpoint& checkpoint, std::string_view preset);

}  // namespace mirage::model
