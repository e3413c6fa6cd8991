// A minimal PNG decoder for checking screenshots: 8-bit greyscale, RGB, grey+alpha and RGBA,
// non-interlaced (what Chromium's --screenshot writes), all five scanline filters (PNG
// specification, ISO/IEC 15948:2003, sections 9.2-9.4). Chunk CRCs are verified. Needs zlib.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace ptsim::testing {

struct RgbImage {
  int width = 0, height = 0;
  std::vector<std::uint8_t> rgb;  // 3 bytes per pixel, rows top to bottom; alpha dropped

  std::array<int, 3> at(int x, int y) const {
    const std::size_t i = 3 * (static_cast<std::size_t>(y) * width + x);
    return {rgb[i], rgb[i + 1], rgb[i + 2]};
  }
};

// Decodes `bytes` (a whole PNG file) into `image`; returns "" or what was wrong.
std::string decode_png(const std::string& bytes, RgbImage& image);

}  // namespace ptsim::testing
