// The committed synthetic measurement files are exactly what synthetic_data.cc generates: a
// change to the closed forms must come with regenerated files (data/README.md says how).
// Compared field by field with a relative tolerance of 1e-12, so a last-bit difference in a
// libm function does not fail the test, but any change of a formula or parameter does.
#include "tests/calibration/synthetic_data.h"

#include <gtest/gtest.h>

#include <cmath>

#include "calibration/results_io.h"

namespace ptsim {
namespace {

void expect_json_near(const Json& a, const Json& b, const std::string& where) {
  if (a.is_number_float() || b.is_number_float()) {
    ASSERT_TRUE(a.is_number() && b.is_number()) << where;
    const double x = a.get<double>(), y = b.get<double>();
    EXPECT_LE(std::abs(x - y), 1e-12 * std::max(std::abs(x), std::abs(y))) << where;
    return;
  }
  if (a.is_object()) {
    ASSERT_TRUE(b.is_object()) << where;
    ASSERT_EQ(a.size(), b.size()) << where;
    for (auto it = a.begin(); it != a.end(); ++it) {
      ASSERT_TRUE(b.contains(it.key())) << where << "/" << it.key();
      expect_json_near(it.value(), b.at(it.key()), where + "/" + it.key());
    }
    return;
  }
  if (a.is_array()) {
    ASSERT_TRUE(b.is_array() && a.size() == b.size()) << where;
    for (std::size_t i = 0; i < a.size(); ++i) {
      expect_json_near(a[i], b[i], where + "/" + std::to_string(i));
    }
    return;
  }
  EXPECT_EQ(a, b) << where;
}

void expect_file_matches(const char* file, const MeasurementSet& generated) {
  auto committed =
      load_measurements(std::string(PTSIM_SOURCE_DIR) + "/tests/calibration/data/" + file);
  ASSERT_TRUE(committed.ok()) << committed.error().one_line();
  expect_json_near(provenance_to_json(committed->provenance),
                   provenance_to_json(generated.provenance), std::string(file) + " provenance");
  ASSERT_EQ(committed->measurements.size(), generated.measurements.size()) << file;
  for (std::size_t i = 0; i < generated.measurements.size(); ++i) {
    expect_json_near(measurement_to_json(committed->measurements[i]),
                     measurement_to_json(generated.measurements[i]),
                     std::string(file) + " line " + std::to_string(i + 2));
  }
}

TEST(GoldenSyntheticData, CommittedFilesAreWhatTheGeneratorWrites) {
  expect_file_matches("synthetic_compute.jsonl", synthetic::compute_set());
  expect_file_matches("synthetic_collectives.jsonl", synthetic::collective_set());
  expect_file_matches("synthetic_interference.jsonl", synthetic::interference_set());
}

TEST(GoldenSyntheticData, GeneratorIsDeterministic) {
  EXPECT_EQ(results_to_text(synthetic::compute_set()), results_to_text(synthetic::compute_set()));
}

}  // namespace
}  // namespace ptsim
