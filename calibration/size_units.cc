#include "calibration/size_units.h"

#include <cctype>
#include <cmath>

#include <fmt/format.h>

namespace ptsim {

Result<std::int64_t> parse_byte_size(const std::string& text, const std::string& flag) {
  const auto bad = [&](const std::string& why) {
    return InputError{flag, "", "'" + text + "' " + why + " (examples: 8, 64K, 128M, 8G)"};
  };
  if (text.empty()) return bad("is empty");
  std::size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) {
    ++digits;
  }
  if (digits == 0) return bad("does not start with a number");
  if (digits > 12) return bad("is too large");
  std::int64_t value = std::stoll(text.substr(0, digits));
  const std::string suffix = text.substr(digits);
  std::int64_t scale = 1;
  if (suffix.empty()) {
    scale = 1;
  } else if (suffix.size() == 1) {
    switch (std::toupper(static_cast<unsigned char>(suffix[0]))) {
      case 'K':
        scale = std::int64_t{1} << 10;
        break;
      case 'M':
        scale = std::int64_t{1} << 20;
        break;
      case 'G':
        scale = std::int64_t{1} << 30;
        break;
      default:
        return bad("has an unknown suffix");
    }
  } else {
    return bad("has an unknown suffix");
  }
  if (value > (std::int64_t{1} << 50) / scale) return bad("is too large");
  return value * scale;
}

std::string format_byte_size(double bytes) {
  const double kib = 1024.0;
  if (bytes >= kib * kib * kib && std::fmod(bytes, kib * kib * kib) == 0) {
    return fmt::format("{}G", bytes / (kib * kib * kib));
  }
  if (bytes >= kib * kib && std::fmod(bytes, kib * kib) == 0) {
    return fmt::format("{}M", bytes / (kib * kib));
  }
  if (bytes >= kib && std::fmod(bytes, kib) == 0) return fmt::format("{}K", bytes / kib);
  return fmt::format("{}", bytes);
}

}  // namespace ptsim
