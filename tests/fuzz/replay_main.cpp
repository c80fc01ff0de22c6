// Replays a fuzz target's corpus: every file under the folders (or the files) given runs through
// LLVMFuzzerTestOneInput once, as libFuzzer would run it. This is how the committed seed corpora
// are unit tests in every build, without clang. Exit 0 when all ran; 1 when no input was found
// (an empty corpus tests nothing); a broken promise aborts (see fuzz_target.h).
//
//   fuzz_faceset_replay tests/fuzz/corpus/faceset
//   fuzz_checkpoint_archive_replay --mutate 600 [--seed 1] tests/fuzz/corpus/checkpoint_archive
//
// --mutate SECONDS fuzzes without coverage guidance, for targets that clang cannot build (see
// tests/fuzz/CMakeLists.txt): for that long it takes a random seed, applies 1-8 random edits
// (bit flips, bytes set to 0/0xff/0x7f/0x80, inserted, deleted or duplicated runs, a splice
// with another seed, truncation) and runs the result; the input that fails is written to
// mutate-crash.bin in the working folder when the process aborts (run it under ASan/UBSan with
// abort_on_error=1, as tools/fuzz does, so that crashes end in an abort after their report).
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include "tests/fuzz/fuzz_target.h"

namespace {

namespace fs = std::filesystem;

const std::string* g_current = nullptr;  // the input being run, for the crash handler

void save_current(int signal) {
  if (g_current != nullptr) {
    const int fd = ::open("mutate-crash.bin", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      (void)!::write(fd, g_current->data(), g_current->size());
      ::close(fd);
    }
  }
  std::signal(signal, SIG_DFL);
  std::raise(signal);
}

struct Random {
  std::uint64_t state;
  std::uint64_t next() {  // xorshift64*
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    return state * 2685821657736338717ULL;
  }
  std::size_t below(std::size_t n) { return n == 0 ? 0 : next() % n; }
};

std::string mutate(std::string input, const std::vector<std::string>& seeds, Random& random) {
  const int edits = 1 + static_cast<int>(random.below(8));
  for (int e = 0; e < edits; ++e) {
    const std::size_t at = random.below(input.size() + 1);
    switch (random.below(7)) {
      case 0:
        if (!input.empty()) input[std::min(at, input.size() - 1)] ^= static_cast<char>(1u << random.below(8));
        break;
      case 1: {
        static constexpr char kValues[] = {0, '\xff', '\x7f', '\x80', '9', '"', '-'};
        if (!input.empty()) input[std::min(at, input.size() - 1)] = kValues[random.below(sizeof kValues)];
        break;
      }
      case 2: {
        std::string bytes(1 + random.below(16), '\0');
        for (char& c : bytes) c = static_cast<char>(random.next());
        input.insert(at, bytes);
        break;
      }
      case 3: input.erase(at, random.below(64)); break;
      case 4:
        if (at < input.size()) input.insert(at, input.substr(at, 1 + random.below(64)));
        break;
      case 5: {
        const std::string& other = seeds[random.below(seeds.size())];
        const std::size_t from = random.below(other.size() + 1);
        input = input.substr(0, at) + other.substr(from, random.below(other.size() - from + 1));
        break;
      }
      default: input.resize(at); break;
    }
  }
  return input;
}

int run_mutations(const std::vector<std::string>& seeds, double seconds, std::uint64_t seed) {
  // SIGABRT only: under ASan (abort_on_error=1) a crash is reported by ASan's own SEGV handler,
  // which then aborts; taking SIGSEGV here would lose that report.
  std::signal(SIGABRT, save_current);
  Random random{seed * 0x9E3779B97F4A7C15ULL + 1};
  const auto start = std::chrono::steady_clock::now();
  std::uint64_t runs = 0;
  std::string input;
  g_current = &input;
  for (;;) {
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (elapsed >= seconds) {
      std::cout << "mutate: " << runs << " runs in " << static_cast<int>(elapsed) << " s ("
                << static_cast<int>(runs / std::max(elapsed, 1e-9)) << " exec/s), no failure\n";
      return 0;
    }
    input = mutate(seeds[random.below(seeds.size())], seeds, random);
    LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(input.data()), input.size());
    ++runs;
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<fs::path> inputs;
  double mutate_seconds = -1;
  std::uint64_t seed = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if ((arg == "--mutate" || arg == "--seed") && i + 1 < argc) {
      (arg == "--mutate" ? mutate_seconds = std::stod(argv[++i]) : seed = std::stoull(argv[++i]));
      continue;
    }
    const fs::path path = arg;
    if (fs::is_directory(path)) {
      for (const auto& entry : fs::recursive_directory_iterator(path)) {
        if (entry.is_regular_file()) inputs.push_back(entry.path());
      }
    } else if (fs::is_regular_file(path)) {
      inputs.push_back(path);
    } else {
      std::cerr << "replay: no such corpus: " << path.string() << "\n";
      return 1;
    }
  }
  std::sort(inputs.begin(), inputs.end());
  if (inputs.empty()) {
    std::cerr << "replay: no inputs (usage: " << argv[0] << " [--mutate SECONDS [--seed N]] CORPUS_DIR_OR_FILE...)\n";
    return 1;
  }
  std::vector<std::string> seeds;
  for (const fs::path& input : inputs) {
    std::ifstream in(input, std::ios::binary);
    std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    if (in.bad()) {
      std::cerr << "replay: cannot read " << input.string() << "\n";
      return 1;
    }
    if (mutate_seconds < 0) {
      std::cout << "replay: " << input.filename().string() << " (" << bytes.size() << " bytes)\n";
      LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
    }
    seeds.push_back(std::move(bytes));
  }
  if (mutate_seconds >= 0) return run_mutations(seeds, mutate_seconds, seed);
  std::cout << "replay: " << inputs.size() << " inputs, no failure\n";
  return 0;
}
