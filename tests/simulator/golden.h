// Golden files of the simulator tests (tests/data/golden/): where they live, how they are
// regenerated, and a structured comparison of JSON documents with per-field tolerances (STYLE
// rule 14: compare fields, not text).
//
// Regenerate on purpose only, and review the diff in the commit:
//   UPDATE_GOLDEN=1 build/bin/test_simulator --gtest_filter='Golden*'
// (or UPDATE_GOLDEN=1 ctest --test-dir build -R test_simulator). Without UPDATE_GOLDEN a missing
// or different golden file is a test failure, never a silent rewrite.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/json_reader.h"

namespace ptsim::testing {

// PTSIM_SOURCE_DIR/tests/data/golden/<name>.
std::string golden_path(std::string_view name);

// True when the environment asks to rewrite golden files (UPDATE_GOLDEN=1).
bool update_golden_requested();

// Writes `content` to the golden file atomically; returns an empty string or the error line.
std::string write_golden(std::string_view name, const std::string& content);

// How close a number must be to its golden value: |actual - golden| <= absolute + relative x
// |golden|. `pointer_prefix` selects the fields (JSON pointer; the longest matching prefix wins).
struct FieldTolerance {
  std::string pointer_prefix;
  double relative = 0;
  double absolute = 0;
  std::string why;
};

// Compares `actual` with `golden` field by field: the same keys (missing and extra keys are
// differences), the same array lengths, equal strings, booleans and nulls, and numbers within the
// tolerance of the longest matching prefix (exact when none matches). Returns one line per
// difference, naming its JSON pointer.
std::vector<std::string> compare_json(const Json& golden, const Json& actual,
                                      const std::vector<FieldTolerance>& tolerances);

}  // namespace ptsim::testing
