// Mirage's tensor archive (a checkpoint's payload since format 2), as every checkpoint load reads
// it first: one clear error for anything that is not a whole archive, or entries that write back
// to the same bytes and stay within the input (sizes, counts and names all checked).
#include <string>

#include "engine/model/tensor_archive.h"
#include "tests/fuzz/one_line.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mirage;
  const std::string_view input = fuzz::as_text(data, size);
  auto archive = model::TensorArchive::parse(input, "fuzz.mirage");
  if (!archive) {
    MIRAGE_FUZZ_EXPECT(archive.error().code == ErrorCode::kCorrupt, "a bad archive is kCorrupt");
    MIRAGE_FUZZ_EXPECT(fuzz::is_one_line(archive.error().message), "the error is one line");
    return 0;
  }
  model::TensorArchiveWriter out;
  for (const model::TensorEntry& e : archive->entries()) {
    MIRAGE_FUZZ_EXPECT(e.bytes.data() >= input.data() && e.bytes.data() + e.bytes.size() <= input.data() + input.size(),
                       "a tensor's bytes lie inside the input");
    MIRAGE_FUZZ_EXPECT(static_cast<std::size_t>(e.elements()) * model::element_size(e.type) == e.bytes.size(),
                       "a tensor holds exactly its elements");
    MIRAGE_FUZZ_EXPECT(archive->find(e.name) == &e, "names find their tensor");
    out.add(e.name, e.type, e.shape, e.bytes.data(), e.bytes.size());
  }
  MIRAGE_FUZZ_EXPECT(std::move(out).finish() == input, "an archive writes back to the same bytes");
  return 0;
}
