// Checkpoints and results files: an interrupted run (simulated by truncating the checkpoint in
// the middle of a line) resumes and skips what it had measured; incompatible checkpoints and
// existing results files are refused unless forced.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "calibration/results_io.h"

namespace ptsim {
namespace {

namespace fs = std::filesystem;

class UnitCheckpoint : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("ptsim_checkpoint_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    provenance_.tool = "test";
    provenance_.device.name = "NVIDIA H100 80GB HBM3";
    provenance_.args = Json{{"seed", 1}, {"iters", 20}, {"warmup", 5}, {"repetitions", 5}};
  }
  void TearDown() override { fs::remove_all(dir_); }

  static MemoryMeasurement point(std::int64_t elements) {
    MemoryMeasurement m;
    m.op = MemoryOp::copy;
    m.elements = elements;
    m.bytes = 4.0 * elements;
    m.timing = {1e-5, 1e-5, 1e-5, 5, 20};
    return m;
  }
  std::string path(const char* name) const { return (dir_ / name).string(); }

  fs::path dir_;
  Provenance provenance_;
};

TEST_F(UnitCheckpoint, AppendedPointsAreThereAfterReopening) {
  const std::string p = path("r.json.partial.jsonl");
  {
    auto cp = Checkpoint::open(p, provenance_, false);
    ASSERT_TRUE(cp.ok()) << cp.error().one_line();
    EXPECT_EQ(cp->resumed(), 0);
    ASSERT_TRUE(cp->append(point(1024)).ok());
    ASSERT_TRUE(cp->append(point(2048)).ok());
  }
  auto again = Checkpoint::open(p, provenance_, false);
  ASSERT_TRUE(again.ok()) << again.error().one_line();
  EXPECT_EQ(again->resumed(), 2);
  EXPECT_TRUE(again->has(measurement_key(point(1024))));
  EXPECT_TRUE(again->has(measurement_key(point(2048))));
  EXPECT_FALSE(again->has(measurement_key(point(4096))));
}

TEST_F(UnitCheckpoint, InterruptedRunResumesWithoutItsTornLastLine) {
  const std::string p = path("r.json.partial.jsonl");
  {
    auto cp = Checkpoint::open(p, provenance_, false);
    ASSERT_TRUE(cp.ok());
    for (std::int64_t e : {1024, 2048, 4096})
      ASSERT_TRUE(cp->append(point(e)).ok());
  }
  // Kill the run while it writes the third line: cut the file in the middle of that line.
  const auto size = fs::file_size(p);
  fs::resize_file(p, size - 25);
  {
    auto cp = Checkpoint::open(p, provenance_, false);
    ASSERT_TRUE(cp.ok()) << cp.error().one_line();
    EXPECT_EQ(cp->resumed(), 2);  // the torn point is measured again
    EXPECT_FALSE(cp->has(measurement_key(point(4096))));
    ASSERT_TRUE(cp->append(point(4096)).ok());
  }
  auto set = load_measurements(p);
  ASSERT_TRUE(set.ok()) << set.error().one_line();
  ASSERT_EQ(set->measurements.size(), 3u);
  EXPECT_EQ(measurement_key(set->measurements[2]), measurement_key(point(4096)));
}

TEST_F(UnitCheckpoint, CheckpointFromOtherSettingsIsRefusedUnlessForced) {
  const std::string p = path("r.json.partial.jsonl");
  {
    auto cp = Checkpoint::open(p, provenance_, false);
    ASSERT_TRUE(cp.ok());
    ASSERT_TRUE(cp->append(point(1024)).ok());
  }
  Provenance other = provenance_;
  other.args["seed"] = 2;
  auto refused = Checkpoint::open(p, other, false);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("--seed"), std::string::npos)
      << refused.error().one_line();
  EXPECT_NE(refused.error().message.find("--force"), std::string::npos);

  Provenance other_gpu = provenance_;
  other_gpu.device.name = "NVIDIA A100-SXM4-80GB";
  EXPECT_FALSE(Checkpoint::open(p, other_gpu, false).ok());

  auto forced = Checkpoint::open(p, other, true);
  ASSERT_TRUE(forced.ok());
  EXPECT_EQ(forced->resumed(), 0);
  EXPECT_FALSE(forced->has(measurement_key(point(1024))));
}

TEST_F(UnitCheckpoint, CorruptLineBeforeTheEndIsAnInputErrorNamingTheLine) {
  const std::string p = path("r.json.partial.jsonl");
  {
    auto cp = Checkpoint::open(p, provenance_, false);
    ASSERT_TRUE(cp.ok());
    ASSERT_TRUE(cp->append(point(1024)).ok());
  }
  {
    std::ofstream out(p, std::ios::app);
    out << "{not json\n" << measurement_to_json(point(2048)).dump() << "\n";
  }
  auto r = Checkpoint::open(p, provenance_, false);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().field, "line 3");
}

TEST_F(UnitCheckpoint, ResultsFileIsNeverOverwrittenWithoutForce) {
  MeasurementSet set;
  set.provenance = provenance_;
  set.measurements = {point(1024)};
  const std::string p = path("r.json");
  ASSERT_TRUE(write_results(p, set, Overwrite::refuse).ok());
  auto again = write_results(p, set, Overwrite::refuse);
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.error().one_line().find("refusing to overwrite"), std::string::npos);
  set.measurements.push_back(point(2048));
  ASSERT_TRUE(write_results(p, set, Overwrite::allow).ok());
  auto loaded = load_measurements(p);
  ASSERT_TRUE(loaded.ok()) << loaded.error().one_line();
  EXPECT_EQ(loaded->measurements.size(), 2u);
  EXPECT_EQ(loaded->provenance.device.name, provenance_.device.name);
}

TEST_F(UnitCheckpoint, ResultsFileWithAnUnknownFormatVersionIsRefused) {
  MeasurementSet set;
  set.provenance = provenance_;
  Json j = Json::parse(results_to_text(set));
  j["format_version"] = 99;
  const std::string p = path("future.json");
  std::ofstream(p) << j.dump();
  auto r = load_measurements(p);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().field, "/format_version");
}

}  // namespace
}  // namespace ptsim
