// Splitting a short list given on a command line or in a record ("layernorm, moe") into its words.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

namespace ptsim {

// The non-empty runs of `text` between any of the `separators` characters, in order.
inline std::vector<std::string> split_words(std::string_view text, std::string_view separators) {
  std::vector<std::string> words;
  std::size_t i = 0;
  while (i <= text.size()) {
    const std::size_t end = std::min(text.find_first_of(separators, i), text.size());
    if (end > i) words.emplace_back(text.substr(i, end - i));
    i = end + 1;
  }
  return words;
}

}  // namespace ptsim
