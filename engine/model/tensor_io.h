// Tensors and modules into and out of Mirage's tensor archive (engine/model/tensor_archive.h):
// what checkpoints, the trainer's in-memory last good state and a group's start-up broadcast
// are made of.
//
//   TensorArchiveWriter out;
//   write_module(out, "model", *model);                  // "model.<parameter or buffer name>"
//   auto in = TensorArchive::parse(bytes, path);
//   if (auto s = load_module(*in, "model", *model, path); !s) ...;   // names the first misfit
#pragma once

#include <ATen/core/Tensor.h>

#include <string_view>

#include "engine/core/error.h"
#include "engine/model/tensor_archive.h"

namespace torch::nn {
class Module;
}

namespace mirage::model {

// A copy of `tensor` (any device, any strides) under `name`; a type the archive has no code for
// is a programmer error.
void write_tensor(TensorArchiveWriter& out, std::string_view name, const at::Tensor& tensor);
// A CPU tensor holding a copy of the entry's elements.
at::Tensor read_tensor(const TensorEntry& entry);

// Every parameter and buffer of `module` under "<prefix>.<its name>".
void write_module(TensorArchiveWriter& out, std::string_view prefix, const torch::nn::Module& module);
// Fills every parameter and buffer of `module` from "<prefix>.<its name>", copied onto the
// module's device. kCorrupt "<source>: damaged checkpoint (tensor '<name>' ...)" for the first
// one that is missing or has another shape or type; the module may then be partly filled, so
// callers load into a model they can throw away. Names starting with "<prefix>.<skip>" are left
// as they are (a layer an older archive does not have).
Status load_module(const TensorArchive& in, std::string_view prefix, torch::nn::Module& module,
                   std::string_view source, std::string_view skip = {});

}  // namespace mirage::model
