// Always-on invariant checks for bugs (never for bad input, see result.h). Active in every build
// type, unlike assert(): a broken invariant prints file:line and the message, then aborts.
#pragma once

#include <string_view>

namespace ptsim::detail {
[[noreturn]] void check_failed(const char* file, int line, const char* condition,
                               std::string_view message);
}  // namespace ptsim::detail

#define PTSIM_CHECK(condition, message)                                         \
  do {                                                                          \
    if (!(condition)) [[unlikely]] {                                            \
      ::ptsim::detail::check_failed(__FILE__, __LINE__, #condition, (message)); \
    }                                                                           \
  } while (false)
