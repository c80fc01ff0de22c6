// The checkpoint envelope (first line, JSON header, checksum) as load_checkpoint reads a file:
// one clear error, or a header that encodes back to a file that decodes the same. An input that
// does not start with the magic is taken as "<header JSON>\0<payload>" and wrapped in a first line
// with the right sizes and checksum, so the header reader is reached past the checksum too.
#include <algorithm>
#include <cstdio>
#include <string>

#include "engine/model/checkpoint.h"
#include "tests/fuzz/one_line.h"

namespace {

// FNV-1a 64 over header and payload, as the format defines the checksum (checkpoint.h).
std::uint64_t fnv1a(std::string_view bytes) {
  std::uint64_t hash = 1469598103934665603ULL;
  for (const char c : bytes) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ULL;
  }
  return hash;
}

std::string envelope(std::string_view input) {
  const std::size_t split = std::min(input.find('\0'), input.size());
  const std::string_view header = input.substr(0, split);
  const std::string_view payload = split < input.size() ? input.substr(split + 1) : std::string_view();
  const std::string body = std::string(header) + std::string(payload);
  char line[160];
  std::snprintf(line, sizeof line, "%s 1 %zu %zu %016llx\n", std::string(mirage::model::kCheckpointMagic).c_str(),
                header.size(), payload.size(), static_cast<unsigned long long>(fnv1a(body)));
  return line + body;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mirage;
  const std::string_view input = fuzz::as_text(data, size);
  auto checkpoint = model::decode_checkpoint(
      input.starts_with(model::kCheckpointMagic) ? std::string(input) : envelope(input), "checkpoint.mirage");
  if (!checkpoint) {
    MIRAGE_FUZZ_EXPECT(checkpoint.error().code == ErrorCode::kCorrupt ||
                           checkpoint.error().code == ErrorCode::kUnsupported,
                       "a bad checkpoint is kCorrupt or kUnsupported");
    MIRAGE_FUZZ_EXPECT(fuzz::is_one_line(checkpoint.error().message), "the error is one line");
    return 0;
  }
  const std::string again = model::encode_checkpoint(checkpoint->header, checkpoint->payload);
  auto decoded = model::decode_checkpoint(again, "again");
  MIRAGE_FUZZ_EXPECT(decoded.has_value(), "a checkpoint that decodes encodes to one that decodes");
  MIRAGE_FUZZ_EXPECT(decoded->payload == checkpoint->payload, "the payload survives");
  MIRAGE_FUZZ_EXPECT(decoded->header.preset == checkpoint->header.preset && decoded->header.step == checkpoint->header.step &&
                         decoded->header.resolution == checkpoint->header.resolution &&
                         decoded->header.seed == checkpoint->header.seed && decoded->header.config == checkpoint->header.config,
                     "the header survives");
  return 0;
}
