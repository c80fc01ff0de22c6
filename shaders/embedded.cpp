#include "shaders/embedded.h"

namespace mirage::shaders {
namespace {

// Each .spv.inc is glslc -mfmt=num output (comma-separated words) written into the build tree.
constexpr std::uint32_t kFrameUnpack[] = {
#include "composite_frame_unpack.comp.spv.inc"
};
constexpr std::uint32_t kFramePack[] = {
#include "composite_frame_pack.comp.spv.inc"
};
constexpr std::uint32_t kMaskInit[] = {
#include "composite_mask_init.comp.spv.inc"
};
constexpr std::uint32_t kMaskLine[] = {
#include "composite_mask_line.comp.spv.inc"
};
constexpr std::uint32_t kMaskTable[] = {
#include "composite_mask_table.comp.spv.inc"
};
constexpr std::uint32_t kMaskMorph[] = {
#include "composite_mask_morph.comp.spv.inc"
};
constexpr std::uint32_t kWarp[] = {
#include "composite_warp.comp.spv.inc"
};
constexpr std::uint32_t kStats[] = {
#include "composite_stats.comp.spv.inc"
};
constexpr std::uint32_t kStatsFinish[] = {
#include "composite_stats_finish.comp.spv.inc"
};
constexpr std::uint32_t kBlend[] = {
#include "composite_blend.comp.spv.inc"
};
constexpr std::uint32_t kSharpenRows[] = {
#include "composite_sharpen_rows.comp.spv.inc"
};
constexpr std::uint32_t kSharpen[] = {
#include "composite_sharpen.comp.spv.inc"
};
constexpr std::uint32_t kDetail[] = {
#include "composite_detail.comp.spv.inc"
};

struct Shader {
  std::span<const std::uint32_t> words;
  std::string_view name;
};

constexpr Shader kShaders[] = {
    {kFrameUnpack, "composite_frame_unpack.comp"},
    {kFramePack, "composite_frame_pack.comp"},
    {kMaskInit, "composite_mask_init.comp"},
    {kMaskLine, "composite_mask_line.comp"},
    {kMaskTable, "composite_mask_table.comp"},
    {kMaskMorph, "composite_mask_morph.comp"},
    {kWarp, "composite_warp.comp"},
    {kStats, "composite_stats.comp"},
    {kStatsFinish, "composite_stats_finish.comp"},
    {kBlend, "composite_blend.comp"},
    {kSharpenRows, "composite_sharpen_rows.comp"},
    {kSharpen, "composite_sharpen.comp"},
    {kDetail, "composite_detail.comp"},
};
static_assert(std::size(kShaders) == static_cast<std::size_t>(ShaderId::kCount));

}  // namespace

std::span<const std::uint32_t> spirv(ShaderId id) { return kShaders[static_cast<std::size_t>(id)].words; }

std::string_view name(ShaderId id) { return kShaders[static_cast<std::size_t>(id)].name; }

}  // namespace mirage::shaders
