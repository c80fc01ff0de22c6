// What every compositing pass shares: one descriptor set (the same four bindings in every
// pass) and the maths that two or more passes use. The maths is that of the CPU reference
// compositor (engine/swap/compositor.h), which the GPU passes are tested against.
//
// Buffers are addressed by offsets in their own units (words of the staging and readback
// buffers, floats of the work buffer) that the push constants carry, so one set serves every
// face and frame and is only rewritten when the buffers grow.
#extension GL_GOOGLE_include_directive : require
#include "shared_types.h"

// What the CPU uploads: frame bytes, face pixels, masks, kernels, warp coordinates.
layout(set = 0, binding = 0, std430) readonly buffer Staging { uint staging[]; };
// GPU-only scratch: masks, warped faces, blur rows, statistics.
layout(set = 0, binding = 1, std430) buffer Work { float work[]; };
// The composited frame, RGBA (what the studio samples and convert reads back).
layout(set = 0, binding = 2, rgba8) uniform image2D out_image;
// What the CPU reads back: BGR bytes of the changed region.
layout(set = 0, binding = 3, std430) writeonly buffer Readback { uint readback[]; };

float staging_float(uint word) { return uintBitsToFloat(staging[word]); }
int staging_int(uint word) { return int(staging[word]); }
uint staging_byte(uint byte_offset) {
  return (staging[byte_offset >> 2] >> ((byte_offset & 3u) * 8u)) & 0xffu;
}

// Round to nearest, ties to even (OpenCV's saturate_cast<uchar>), clamped to [0, 255].
float to_byte(float value) { return clamp(roundEven(value), 0.0, 255.0); }

// sRGB (linear-light conversion as OpenCV's COLOR_BGR2Lab for float images) <-> CIE L*a*b*,
// D65 white. rgb in [0, 1] (clipped, as OpenCV does), L in [0, 100].
float srgb_to_linear(float c) {
  return c <= 0.04045 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4);
}
float linear_to_srgb(float c) {
  return c <= 0.0031308 ? 12.92 * c : 1.055 * pow(c, 1.0 / 2.4) - 0.055;
}
float lab_f(float t) { return t > 0.008856 ? pow(t, 1.0 / 3.0) : 7.787 * t + 16.0 / 116.0; }

vec3 rgb_to_lab(vec3 rgb) {
  rgb = clamp(rgb, 0.0, 1.0);
  const vec3 l = vec3(srgb_to_linear(rgb.r), srgb_to_linear(rgb.g), srgb_to_linear(rgb.b));
  const float x = (0.412453 * l.r + 0.357580 * l.g + 0.180423 * l.b) / 0.950456;
  const float y = 0.212671 * l.r + 0.715160 * l.g + 0.072169 * l.b;
  const float z = (0.019334 * l.r + 0.119193 * l.g + 0.950227 * l.b) / 1.088754;
  const float fx = lab_f(x), fy = lab_f(y), fz = lab_f(z);
  const float big_l = y > 0.008856 ? 116.0 * fy - 16.0 : 903.3 * y;
  return vec3(big_l, 500.0 * (fx - fy), 200.0 * (fy - fz));
}

vec3 lab_to_rgb(vec3 lab) {
  const float l_threshold = 0.008856 * 903.3;
  const float f_threshold = 7.787 * 0.008856 + 16.0 / 116.0;
  float y, fy;
  if (lab.x <= l_threshold) {
    y = lab.x / 903.3;
    fy = 7.787 * y + 16.0 / 116.0;
  } else {
    fy = (lab.x + 16.0) / 116.0;
    y = fy * fy * fy;
  }
  float fx = lab.y / 500.0 + fy;
  float fz = fy - lab.z / 200.0;
  const float x = fx <= f_threshold ? (fx - 16.0 / 116.0) / 7.787 : fx * fx * fx;
  const float z = fz <= f_threshold ? (fz - 16.0 / 116.0) / 7.787 : fz * fz * fz;
  const float xw = x * 0.950456, zw = z * 1.088754;
  vec3 l = vec3(3.240479 * xw - 1.53715 * y - 0.498535 * zw,
                -0.969256 * xw + 1.875991 * y + 0.041556 * zw,
                0.055648 * xw - 0.204043 * y + 1.057311 * zw);
  l = clamp(l, 0.0, 1.0);
  return vec3(linear_to_srgb(l.r), linear_to_srgb(l.g), linear_to_srgb(l.b));
}

// The column half of the sharpen and detail Gaussians (SharpenPushConstants): the vertical pass
// over the row pass's sums at frame row y, replicated frame border, rounded to 8 bits as OpenCV's
// blur of an 8-bit image.
vec3 column_blur(SharpenPushConstants pc, uint x, int y) {
  const int last = int(pc.frame_h) - 1;
  vec3 blur = vec3(0.0);
  for (int k = -pc.radius; k <= pc.radius; ++k) {
    const uint row = uint(clamp(y + k, 0, last)) - pc.row0;
    const uint o = pc.rows_buffer + 3u * (row * pc.roi_w + x);
    blur += staging_float(pc.weights + uint(k + pc.radius)) * vec3(work[o], work[o + 1u], work[o + 2u]);
  }
  return floor(blur + 0.5);
}
