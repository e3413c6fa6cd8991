#include "common/result.h"

#include <cstdio>
#include <cstdlib>

namespace ptsim {

std::string InputError::one_line() const {
  std::string line = source;
  if (!field.empty()) line += (line.empty() ? "" : ": ") + field;
  if (!message.empty()) line += (line.empty() ? "" : ": ") + message;
  for (char& c : line) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return line;
}

namespace detail {
void check_failed(const char* file, int line, const char* condition, std::string_view message) {
  std::fprintf(stderr, "%s:%d: internal check failed: %s: %.*s\n", file, line, condition,
               static_cast<int>(message.size()), message.data());
  std::fflush(stderr);
  std::abort();
}
}  // namespace detail

}  // namespace ptsim
