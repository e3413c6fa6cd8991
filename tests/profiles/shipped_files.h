// The shipped profile files as they are on disk (independently of the embedded copies the
// catalogue serves), for tests that compare the two or mutate a real file.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "common/json_reader.h"

namespace ptsim::testing {

inline std::filesystem::path profiles_dir() {
  return std::filesystem::path(PTSIM_SOURCE_DIR) / "hardware_profiles";
}

// Sorted stems of hardware_profiles/<folder>/*.json.
inline std::vector<std::string> shipped_stems(const std::string& folder) {
  std::vector<std::string> stems;
  for (const auto& entry : std::filesystem::directory_iterator(profiles_dir() / folder)) {
    if (entry.path().extension() == ".json") stems.push_back(entry.path().stem().string());
  }
  std::sort(stems.begin(), stems.end());
  return stems;
}

inline std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// hardware_profiles/<folder>/<stem>.json parsed; fails the test if it is not valid JSON.
inline Json shipped_json(const std::string& folder, const std::string& stem) {
  const auto path = profiles_dir() / folder / (stem + ".json");
  auto j = parse_json(read_text(path), path.string());
  EXPECT_TRUE(j.ok()) << path;
  return j.ok() ? *j : Json();
}

}  // namespace ptsim::testing
