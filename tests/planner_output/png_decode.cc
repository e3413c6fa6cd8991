#include "tests/planner_output/png_decode.h"

#include <zlib.h>

#include <cstdlib>
#include <string_view>

namespace ptsim::testing {
namespace {

std::uint32_t be32(std::string_view s, std::size_t at) {
  std::uint32_t v = 0;
  for (std::size_t k = 0; k < 4; ++k)
    v = (v << 8) | static_cast<unsigned char>(s[at + k]);
  return v;
}

// Paeth predictor, PNG specification section 9.4.
int paeth(int a, int b, int c) {
  const int p = a + b - c;
  const int pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
  if (pa <= pb && pa <= pc) return a;
  return pb <= pc ? b : c;
}

}  // namespace

std::string decode_png(const std::string& bytes, RgbImage& image) {
  static constexpr std::string_view kSignature("\x89PNG\r\n\x1a\n", 8);
  const std::string_view s(bytes);
  if (s.substr(0, 8) != kSignature) return "not a PNG signature";
  std::size_t pos = 8;
  std::string idat;
  int width = 0, height = 0, depth = 0, colour = -1, interlace = 0;
  bool ended = false;
  while (!ended) {
    if (pos + 12 > s.size()) return "truncated chunk";
    const std::uint32_t length = be32(s, pos);
    if (length > s.size() - pos - 12) return "chunk longer than the file";
    const std::string_view type = s.substr(pos + 4, 4);
    const std::string_view data = s.substr(pos + 8, length);
    const std::uint32_t crc = be32(s, pos + 8 + length);
    const auto* typed = reinterpret_cast<const Bytef*>(s.data() + pos + 4);
    if (crc32(0L, typed, static_cast<uInt>(length + 4)) != crc) {
      return "CRC mismatch in " + std::string(type);
    }
    if (type == "IHDR") {
      if (length != 13) return "bad IHDR length";
      width = static_cast<int>(be32(data, 0));
      height = static_cast<int>(be32(data, 4));
      depth = static_cast<unsigned char>(data[8]);
      colour = static_cast<unsigned char>(data[9]);
      interlace = static_cast<unsigned char>(data[12]);
    } else if (type == "IDAT") {
      idat.append(data);
    } else if (type == "IEND") {
      ended = true;
    }
    pos += 12 + length;
  }
  const int channels = colour == 0 ? 1 : colour == 2 ? 3 : colour == 4 ? 2 : colour == 6 ? 4 : 0;
  if (depth != 8 || channels == 0 || interlace != 0) {
    return "unsupported PNG (depth " + std::to_string(depth) + ", colour type " +
           std::to_string(colour) + ", interlace " + std::to_string(interlace) + ")";
  }
  if (width <= 0 || height <= 0 || width > 16384 || height > 16384) return "bad image size";
  const std::size_t stride = static_cast<std::size_t>(width) * channels;
  uLongf raw_size = static_cast<uLongf>((stride + 1) * height);
  std::vector<std::uint8_t> raw(raw_size);
  if (uncompress(raw.data(), &raw_size, reinterpret_cast<const Bytef*>(idat.data()),
                 static_cast<uLong>(idat.size())) != Z_OK ||
      raw_size != raw.size()) {
    return "zlib stream does not inflate to the image size";
  }
  // Undo the per-scanline filters in place (section 9.2): a = left, b = up, c = up-left.
  std::vector<std::uint8_t> pixels(stride * height);
  for (int y = 0; y < height; ++y) {
    const std::uint8_t filter = raw[y * (stride + 1)];
    const std::uint8_t* in = &raw[y * (stride + 1) + 1];
    std::uint8_t* out = &pixels[y * stride];
    const std::uint8_t* up = y > 0 ? &pixels[(y - 1) * stride] : nullptr;
    for (std::size_t x = 0; x < stride; ++x) {
      const int a = x >= static_cast<std::size_t>(channels) ? out[x - channels] : 0;
      const int b = up ? up[x] : 0;
      const int c = up && x >= static_cast<std::size_t>(channels) ? up[x - channels] : 0;
      int predicted = 0;
      switch (filter) {
        case 0:
          predicted = 0;
          break;
        case 1:
          predicted = a;
          break;
        case 2:
          predicted = b;
          break;
        case 3:
          predicted = (a + b) / 2;
          break;
        case 4:
          predicted = paeth(a, b, c);
          break;
        default:
          return "bad filter type " + std::to_string(filter);
      }
      out[x] = static_cast<std::uint8_t>(in[x] + predicted);
    }
  }
  image.width = width;
  image.height = height;
  image.rgb.assign(static_cast<std::size_t>(width) * height * 3, 0);
  for (std::size_t p = 0; p < static_cast<std::size_t>(width) * height; ++p) {
    const std::uint8_t* px = &pixels[p * channels];
    const bool grey = channels <= 2;
    for (int k = 0; k < 3; ++k)
      image.rgb[3 * p + k] = grey ? px[0] : px[k];
  }
  return "";
}

}  // namespace ptsim::testing
