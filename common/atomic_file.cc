#include "common/atomic_file.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace ptsim {

Status write_file_atomically(const std::string& path, std::string_view content, Overwrite overwrite,
                             std::string_view flag) {
  const std::string source = flag.empty() ? path : std::string(flag) + " " + path;
  if (path == "-") {
    std::fwrite(content.data(), 1, content.size(), stdout);
    std::fflush(stdout);
    return ok_status();
  }
  std::error_code ec;
  if (overwrite == Overwrite::refuse && std::filesystem::exists(path, ec)) {
    return InputError{source, "", "file exists; refusing to overwrite it"};
  }
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return InputError{source, "", "cannot create file"};
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    out.flush();
    if (!out) {
      std::filesystem::remove(tmp, ec);
      return InputError{source, "", "cannot write file"};
    }
  }
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    return InputError{source, "", "cannot rename temporary file into place"};
  }
  return ok_status();
}

}  // namespace ptsim
