// Byte sizes on the command line, as nccl-tests takes them (-b 8 -e 128M): an integer with an
// optional K, M or G suffix, binary (K = 1024), case-insensitive. Converted here and nowhere else.
#pragma once

#include <cstdint>
#include <string>

#include "common/result.h"

namespace ptsim {

// "8" -> 8, "128M" -> 134217728, "8G" -> 8589934592. Errors name `flag`.
Result<std::int64_t> parse_byte_size(const std::string& text, const std::string& flag);

// Human form for tables: "8", "64K", "128M", "8G" when exact, else bytes.
std::string format_byte_size(double bytes);

}  // namespace ptsim
