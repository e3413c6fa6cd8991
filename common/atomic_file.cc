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

Status check_output_path(const std::string& path, std::string_view flag) {
  if (path.empty() || path == "-") return ok_status();
  const std::string source = flag.empty() ? path : std::string(flag) + " " + path;
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return InputError{source, "", "is a directory, not a file"};
  }
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  const std::string dir = parent.empty() ? "." : parent.string();
  if (!std::filesystem::is_directory(dir, ec)) {
    return InputError{source, "", "directory '" + dir + "' does not exist"};
  }
  if (::access(dir.c_str(), W_OK) != 0) {
    return InputError{source, "", "directory '" + dir + "' is not writable"};
  }
  return ok_status();
}

}  // namespace ptsim
