// Outputs are written to a temporary file beside the target and renamed over it, so a reader never
// sees a half-written result and a failure leaves nothing behind.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"

namespace ptsim {

enum class Overwrite { allow, refuse };

// Writes `content` to `path` atomically. With Overwrite::refuse an existing file is an input error
// (results files never overwrite each other silently). Path "-" writes to stdout.
Status write_file_atomically(const std::string& path, std::string_view content,
                             Overwrite overwrite = Overwrite::allow, std::string_view flag = "");

// Whether `path` could be written: its directory exists and is writable ("-", stdout, always can).
// Tools check every output path before their work starts, so that a typo in a directory fails
// at once rather than after a long search or a GPU run, with nothing half-done.
Status check_output_path(const std::string& path, std::string_view flag);

}  // namespace ptsim
