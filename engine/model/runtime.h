// Process-wide LibTorch set-up, and a description of what the models run on. Torch-free header.
//
//   int main() {
//     if (auto s = mirage::model::configure_runtime(); !s) return report(s.error());  // first thing
//     const mirage::model::RuntimeInfo info = mirage::model::runtime_info();
//     if (!info.warning.empty()) mirage::log::warn("{}", info.warning);
//     std::puts(mirage::model::describe(info).c_str());                      // `mirage --version`
//   }
//
// Threads: one count drives Torch's intra-op pool (OpenMP; oneDNN's convolutions run on it too).
// OpenBLAS gets 1 thread when it is the pthreads build (its spinning pool would fight the OpenMP
// threads for the cores) and the same count when it is the OpenMP build (which shares the pool).
// Mirage runs work in parallel on its own threads (trainer, data loaders), never through Torch's
// inter-op pool, which gets 1 thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "engine/core/error.h"

namespace mirage::model {

inline constexpr int kMaxThreads = 1024;

// Sets the CPU thread count of Torch and oneDNN, and OpenBLAS's (see above).
//   threads > 0: exactly that many. threads == 0: MIRAGE_THREADS when the variable is set and not
//   empty (0 there also means every core), else every core available to the process
//   (available_cores()). An explicit count wins over MIRAGE_THREADS.
// Errors (ErrorCode::kInvalidArgument): threads outside [0, kMaxThreads]; MIRAGE_THREADS set to
//   anything but an integer in [0, kMaxThreads] (checked on every call, even when unused).
// Not thread-safe: call at start-up, before other threads use Torch. Calling again later
// changes the count for threads that have not yet run Torch work and for the caller.
Status configure_runtime(int threads = 0);

// Makes Torch work started from the calling thread run on that thread alone (its OpenMP team
// size 1, which never starts a team): for inference beside a running trainer, whose team keeps
// the cores (docs/ARCHITECTURE.md, one OpenMP team per process). Other threads are unaffected.
void use_one_thread_here();

// CPU cores this process may run on (its affinity mask), at least 1.
int available_cores();

enum class BlasKind {
  kUnknown,    // no sgemm_ found in the process (Torch built without BLAS)
  kReference,  // netlib reference BLAS: correct, single-threaded and slow
  kOpenBlas,
  kMkl,
  kBlis,
  kOther,      // a library Mirage does not recognise
};
std::string_view to_string(BlasKind kind);

struct RuntimeInfo {
  std::string torch_version;         // as reported by the loaded LibTorch, e.g. "1.13.0"
  bool torch_cuda_build = false;     // this LibTorch was built with CUDA
  std::string cpu_capability;        // ATen's CPU kernels, e.g. "AVX2"; empty when unknown
  int cores = 0;                     // available_cores()
  int intra_threads = 0;             // Torch intra-op threads (also oneDNN's)
  int interop_threads = 0;           // Torch inter-op threads
  BlasKind blas = BlasKind::kUnknown;
  std::string blas_name;             // e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH ... MAX_THREADS=64"
  std::string blas_library;          // the file whose sgemm_ Torch calls (symlinks resolved)
  int blas_threads = 0;              // OpenBLAS's thread count; 0 when not OpenBLAS
  std::vector<std::string> blas_mapped;  // every BLAS-like library mapped in the process
  bool onednn = false;               // convolutions may run through oneDNN (built in and enabled)
  bool cuda_available = false;       // a CUDA device is usable
  std::vector<std::string> cuda_devices;  // device names, indexed by CUDA ordinal
  std::string warning;               // one line when the set-up makes training slow, else empty
};

// Inspects the running process. Runs one tiny matrix product first so that the BLAS Torch uses is
// loaded and bound; never fails (unknown fields stay empty). Thread-safe; takes a few ms (more
// the first time CUDA is queried).
RuntimeInfo runtime_info();

// Multi-line text for `mirage --version`: one "  key: value\n" line per fact, each ending in '\n'.
std::string describe(const RuntimeInfo& info);

}  // namespace mirage::model
