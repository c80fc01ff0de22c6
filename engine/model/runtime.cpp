#include "engine/model/runtime.h"

#include <dlfcn.h>
#include <sched.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>
#include <utility>

#include <ATen/Parallel.h>
#include <ATen/Version.h>
#include <torch/cuda.h>
#include <torch/torch.h>

#include "engine/core/log.h"
#include "engine/model/torch_error.h"

namespace mirage::model {
namespace {

constexpr const char* kThreadsVariable = "MIRAGE_THREADS";

// 0 when MIRAGE_THREADS is unset or empty.
Result<int> threads_from_environment() {
  const char* text = std::getenv(kThreadsVariable);
  if (text == nullptr || *text == '\0') return 0;
  const std::string_view value(text);
  int threads = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), threads);
  if (ec != std::errc() || end != value.data() + value.size() || threads < 0 ||
      threads > kMaxThreads) {
    return fail(ErrorCode::kInvalidArgument, "{} must be an integer in [0, {}], got '{}'",
                kThreadsVariable, kMaxThreads, value);
  }
  return threads;
}

// The library that defines the sgemm_ Torch binds to. dlsym(RTLD_DEFAULT) follows the same
// global lookup order as the dynamic linker, so with two BLAS libraries mapped (a reference
// libblas.so.3 plus the libopenblas.so.0 that OpenBLAS's liblapack pulls in) it names the winner.
struct BlasProvider {
  std::string loaded_as;  // the path the dynamic linker used
  std::string file;       // the same with symlinks (Debian alternatives) resolved
};

BlasProvider find_blas_provider() {
  void* const symbol = dlsym(RTLD_DEFAULT, "sgemm_");
  Dl_info info{};
  if (symbol == nullptr || dladdr(symbol, &info) == 0 || info.dli_fname == nullptr) return {};
  BlasProvider provider{info.dli_fname, info.dli_fname};
  std::error_code error;
  const auto canonical = std::filesystem::canonical(provider.loaded_as, error);
  if (!error) provider.file = canonical.string();
  return provider;
}

// Looks a symbol up in the provider and the libraries it depends on (OpenBLAS's libblas.so.3 is a
// thin wrapper around libopenblas.so.0). The provider is already loaded, so the pointer stays
// valid after the handle is closed.
void* find_in_provider(const BlasProvider& provider, const char* name) {
  if (provider.loaded_as.empty()) return nullptr;
  void* const handle = dlopen(provider.loaded_as.c_str(), RTLD_LAZY | RTLD_NOLOAD);
  if (handle == nullptr) return nullptr;
  void* const symbol = dlsym(handle, name);
  dlclose(handle);
  return symbol;
}

// OpenBLAS's pthreads build keeps its own pool, whose threads spin for a while after every call
// and then compete with Torch's OpenMP threads (which run oneDNN's convolutions) for the same
// cores: on 2 cores a train step of the bench autoencoder took ~15% longer with 2 OpenBLAS threads
// than with 1. Its OpenMP build shares Torch's pool, so it gets the full count.
int openblas_threads_for(void* get_parallel, int threads) {
  using GetParallel = int (*)();
  constexpr int kOpenMpBuild = 2;  // openblas_get_parallel(): 0 sequential, 1 pthreads, 2 OpenMP
  if (get_parallel == nullptr) return 1;
  return reinterpret_cast<GetParallel>(get_parallel)() == kOpenMpBuild ? threads : 1;
}

void set_openblas_threads(int threads) {
  using SetThreads = void (*)(int);
  // Set every OpenBLAS copy in the process: the one behind sgemm_ and any other one found first
  // in the global scope (LAPACK's), each of which keeps its own pool.
  const BlasProvider provider = find_blas_provider();
  const std::pair<void*, void*> copies[] = {
      {find_in_provider(provider, "openblas_set_num_threads"),
       find_in_provider(provider, "openblas_get_parallel")},
      {dlsym(RTLD_DEFAULT, "openblas_set_num_threads"), dlsym(RTLD_DEFAULT, "openblas_get_parallel")},
  };
  std::set<void*> seen;
  for (const auto& [set_threads, get_parallel] : copies) {
    if (set_threads == nullptr || !seen.insert(set_threads).second) continue;
    reinterpret_cast<SetThreads>(set_threads)(openblas_threads_for(get_parallel, threads));
  }
}

void set_interop_threads_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    try {
      at::set_num_interop_threads(1);
    } catch (const c10::Error& error) {
      // Torch allows this only before its inter-op pool starts; a later call keeps the old size.
      log::debug("inter-op threads left as they are: {}", error.what_without_backtrace());
    }
  });
}

std::string config_value(const std::string& config, std::string_view key, char end) {
  const auto start = config.find(key);
  if (start == std::string::npos) return {};
  const auto from = start + key.size();
  const auto to = config.find(end, from);
  return config.substr(from, to == std::string::npos ? std::string::npos : to - from);
}

std::vector<std::string> mapped_blas_libraries() {
  std::vector<std::string> found;
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    const auto slash = line.find('/');
    if (slash == std::string::npos) continue;
    const std::string path = line.substr(slash);
    const std::string name = std::filesystem::path(path).filename().string();
    const bool is_blas = name.starts_with("libblas") || name.starts_with("libopenblas") ||
                         name.starts_with("libcblas") || name.starts_with("libmkl_") ||
                         name.starts_with("libblis") || name.starts_with("libflexiblas");
    if (is_blas && std::find(found.begin(), found.end(), path) == found.end()) {
      found.push_back(path);
    }
  }
  return found;
}

void describe_blas(RuntimeInfo& info) {
  try {
    // Binds Torch's lazily resolved BLAS symbols and maps any BLAS loaded on first use.
    const at::Tensor ones = at::ones({8, 8});
    (void)at::mm(ones, ones);
  } catch (const c10::Error& error) {
    log::debug("BLAS probe failed: {}", error.what_without_backtrace());
  }
  info.blas_mapped = mapped_blas_libraries();
  const BlasProvider provider = find_blas_provider();
  info.blas_library = provider.file;
  if (provider.file.empty()) {
    info.blas = BlasKind::kUnknown;
    return;
  }
  using GetConfig = char* (*)();
  using GetThreads = int (*)();
  if (void* config = find_in_provider(provider, "openblas_get_config")) {
    info.blas = BlasKind::kOpenBlas;
    info.blas_name = reinterpret_cast<GetConfig>(config)();
    if (void* threads = find_in_provider(provider, "openblas_get_num_threads")) {
      info.blas_threads = reinterpret_cast<GetThreads>(threads)();
    }
  } else if (find_in_provider(provider, "mkl_get_version_string") != nullptr) {
    info.blas = BlasKind::kMkl;
    info.blas_name = "Intel MKL";
  } else if (find_in_provider(provider, "bli_info_get_version_str") != nullptr) {
    info.blas = BlasKind::kBlis;
    info.blas_name = "BLIS";
  } else if (std::filesystem::path(provider.file).filename().string().starts_with("libblas")) {
    // Every optimised libblas.so.3 exports a vendor symbol; netlib's exports only the BLAS API.
    info.blas = BlasKind::kReference;
    info.blas_name = "reference BLAS (netlib)";
  } else {
    info.blas = BlasKind::kOther;
    info.blas_name = std::filesystem::path(provider.file).filename().string();
  }
}

// Names through the CUDA driver API, opened at run time: the C ABI of cuDeviceGetName is stable
// and needs no CUDA headers, so this compiles against CPU-only LibTorch (which has no
// at::cuda headers) and still names devices under a CUDA LibTorch.
std::vector<std::string> cuda_device_names(int count) {
  void* library = dlopen("libcuda.so.1", RTLD_LAZY | RTLD_NOLOAD);
  if (library == nullptr) library = dlopen("libcuda.so.1", RTLD_LAZY);
  if (library == nullptr) return {};
  using Init = int (*)(unsigned);
  using DeviceGet = int (*)(int*, int);
  using DeviceGetName = int (*)(char*, int, int);
  const auto init = reinterpret_cast<Init>(dlsym(library, "cuInit"));
  const auto device_get = reinterpret_cast<DeviceGet>(dlsym(library, "cuDeviceGet"));
  const auto get_name = reinterpret_cast<DeviceGetName>(dlsym(library, "cuDeviceGetName"));
  std::vector<std::string> names;
  if (init != nullptr && device_get != nullptr && get_name != nullptr && init(0) == 0) {
    for (int ordinal = 0; ordinal < count; ++ordinal) {
      int device = 0;
      char name[256] = {};
      const bool named = device_get(&device, ordinal) == 0 &&
                         get_name(name, static_cast<int>(sizeof(name)) - 1, device) == 0;
      names.emplace_back(named ? name : "unknown CUDA device");
    }
  }
  dlclose(library);
  return names;
}

void describe_cuda(RuntimeInfo& info) {
  try {
    info.cuda_available = torch::cuda::is_available();
    if (!info.cuda_available) return;
    const int count = static_cast<int>(torch::cuda::device_count());
    info.cuda_devices = cuda_device_names(count);
    if (info.cuda_devices.empty()) {
      for (int ordinal = 0; ordinal < count; ++ordinal) {
        info.cuda_devices.push_back(format("CUDA device {}", ordinal));
      }
    }
  } catch (const c10::Error& error) {
    info.cuda_available = false;
    log::debug("CUDA query failed: {}", error.what_without_backtrace());
  }
}

std::string slow_setup_warning(const RuntimeInfo& info) {
  std::string warning;
  auto add = [&warning](const std::string& problem) {
    warning += warning.empty() ? "slow CPU set-up: " + problem : "; " + problem;
  };
  if (info.blas == BlasKind::kReference) {
    add("the reference BLAS is in use (apt-get install libopenblas0-pthread)");
  }
  if (info.intra_threads == 1 && info.cores > 1) {
    add(format("Torch uses 1 thread of {} cores (unset {} or pass --threads 0)", info.cores,
               kThreadsVariable));
  }
  return warning;
}

}  // namespace

int available_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0) return CPU_COUNT(&set);
  return std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

Status configure_runtime(int threads) {
  if (threads < 0 || threads > kMaxThreads) {
    return fail(ErrorCode::kInvalidArgument, "thread count must be in [0, {}], got {}", kMaxThreads,
                threads);
  }
  const Result<int> from_environment = threads_from_environment();
  if (!from_environment) return std::unexpected(from_environment.error());
  int chosen = threads;
  if (chosen == 0) chosen = *from_environment;
  if (chosen == 0) chosen = available_cores();
  try {
    at::set_num_threads(chosen);
  } catch (const std::exception& exception) {
    return std::unexpected(detail::torch_error(exception, "setting Torch's thread count"));
  }
  set_interop_threads_once();
  set_openblas_threads(chosen);
  log::debug("runtime: {} threads", chosen);
  return ok();
}

std::string_view to_string(BlasKind kind) {
  switch (kind) {
    case BlasKind::kUnknown: return "unknown";
    case BlasKind::kReference: return "reference";
    case BlasKind::kOpenBlas: return "openblas";
    case BlasKind::kMkl: return "mkl";
    case BlasKind::kBlis: return "blis";
    case BlasKind::kOther: return "other";
  }
  return "unknown";
}

RuntimeInfo runtime_info() {
  RuntimeInfo info;
  const std::string config = at::show_config();
  info.torch_version = config_value(config, "TORCH_VERSION=", ',');
  if (info.torch_version.empty()) info.torch_version = TORCH_VERSION;
  info.torch_cuda_build = config.find("USE_CUDA=ON") != std::string::npos;
  info.cpu_capability = config_value(config, "CPU capability usage: ", '\n');
  info.cores = available_cores();
  info.intra_threads = at::get_num_threads();
  info.interop_threads = at::get_num_interop_threads();
  info.onednn = at::hasMKLDNN() && at::globalContext().userEnabledMkldnn();
  describe_blas(info);
  describe_cuda(info);
  info.warning = slow_setup_warning(info);
  return info;
}

std::string describe(const RuntimeInfo& info) {
  std::string text = format("  torch: {} ({} build", info.torch_version,
                            info.torch_cuda_build ? "CUDA" : "CPU-only");
  if (!info.cpu_capability.empty()) text += format(", {} CPU kernels", info.cpu_capability);
  text += ")\n";
  text += format("  cpu cores: {}\n", info.cores);
  text += format("  threads: {} intra-op, {} inter-op\n", info.intra_threads, info.interop_threads);
  text += format("  blas: {}", info.blas_name.empty() ? "none found" : info.blas_name);
  if (info.blas_threads > 0) {
    text += format(" ({} thread{})", info.blas_threads, info.blas_threads == 1 ? "" : "s");
  }
  text += "\n";
  if (!info.blas_library.empty()) text += format("  blas library: {}\n", info.blas_library);
  if (info.blas_mapped.size() > 1) {
    std::string mapped;
    for (const std::string& path : info.blas_mapped) {
      if (!mapped.empty()) mapped += ", ";
      mapped += path;
    }
    text += format("  blas libraries mapped: {}\n", mapped);
  }
  text += format("  onednn convolutions: {}\n", info.onednn ? "on" : "off");
  if (!info.cuda_available) {
    text += "  cuda: not available\n";
  } else {
    text += format("  cuda: {} device{}\n", info.cuda_devices.size(),
                   info.cuda_devices.size() == 1 ? "" : "s");
    for (std::size_t i = 0; i < info.cuda_devices.size(); ++i) {
      text += format("  cuda:{}: {}\n", i, info.cuda_devices[i]);
    }
  }
  if (!info.warning.empty()) text += format("  warning: {}\n", info.warning);
  return text;
}

void use_one_thread_here() {
  // Looked up at run time: the OpenMP runtime is whichever the LibTorch in use loaded (Debian's
  // libgomp, or the copy a PyTorch wheel bundles); linking one ourselves could load two.
  using SetThreads = void (*)(int);
  static const auto set_threads = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "omp_set_num_threads"));
  if (set_threads != nullptr) set_threads(1);
}

}  // namespace mirage::model
