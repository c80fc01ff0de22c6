#include "editor/screenshot.h"

// The one translation unit that compiles stb_image_write.
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb/stb_image_write.h>

namespace mirage::studio {

Status write_png(ConstImageView image, const std::filesystem::path& path) {
  if (image.empty() ||
      (image.format != PixelFormat::kRgba8 && image.format != PixelFormat::kRgb8)) {
    return fail(ErrorCode::kInvalidArgument, "write_png: needs a non-empty RGBA8 or RGB8 image");
  }
  const int written = stbi_write_png(path.c_str(), image.width, image.height, image.channels(),
                                     image.data, static_cast<int>(image.stride));
  if (!written) return fail(ErrorCode::kIo, "cannot write {}", path.string());
  return ok();
}

}  // namespace mirage::studio
