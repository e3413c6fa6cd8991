// The measuring path of calibrate end to end, on a backend that needs no GPU: an interrupted run
// leaves its checkpoint behind; the next run (after the last line was torn, as a kill during a
// write would leave it) resumes, measures only what is missing, writes the results and the
// profile, and removes the checkpoint; a third run refuses to overwrite them.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <set>
#include <sstream>

#include "calibration/calibrate.h"
#include "calibration/gpu_backend.h"
#include "calibration/results_io.h"
#include "hardware_profiles/catalogue.h"
#include "tests/calibration/synthetic_data.h"

namespace ptsim {
namespace {

namespace fs = std::filesystem;

// Answers the plan's memory-bound points with the synthetic closed form; fails after
// `fail_after` points when asked to (a lost GPU, a killed run).
class FakeBackend : public GpuBackend {
 public:
  explicit FakeBackend(int fail_after = -1) : fail_after_(fail_after) {
    env_.tool = "fake";
    env_.date_utc = "2026-01-01T00:00:00Z";
    env_.device.name = "synthetic H100 (fake backend)";
    env_.device.sm_count = synthetic::kSmCount;
    env_.device.memory_bytes = 80e9;
  }
  const Provenance& environment() const override { return env_; }
  int world_rank() const override { return 0; }
  Status run(const CalibrationPlan& plan, MeasurementSink& sink) override {
    sink.begin_section(Section::memory, {"fake backend"});
    for (MemoryMeasurement m : plan.memory) {
      if (sink.already_measured(m)) {
        ++skipped;
        continue;
      }
      if (fail_after_ >= 0 && static_cast<int>(asked.size()) == fail_after_) {
        return InputError{"GPU", "", "lost"};
      }
      const double t =
          synthetic::kLaunchS + m.bytes / (synthetic::kHbmBandwidth *
                                           synthetic::memory_efficiency(std::max(m.bytes, 1.0)));
      m.timing = {t, t, t, 5, 20};
      asked.push_back(measurement_key(m));
      if (auto s = sink.record(m); !s.ok()) return s;
    }
    sink.end_section();
    return ok_status();
  }
  std::vector<std::string> asked;
  int skipped = 0;

 private:
  int fail_after_;
  Provenance env_;
};

class UnitResume : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("ptsim_resume_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    options_.out = (dir_ / "p.json").string();
    options_.settings.what = {Area::memory};
    options_.settings.quick = true;
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
  CalibrateOptions options_;
  std::ostringstream out_;
};

TEST_F(UnitResume, InterruptedRunResumesAndMeasuresOnlyWhatIsMissing) {
  const std::size_t total = make_plan(options_.settings).memory.size();
  ASSERT_GT(total, 8u);
  const std::string results = (dir_ / "p.results.json").string();
  const std::string checkpoint = checkpoint_path_for(results);

  FakeBackend first(5);
  auto r1 = run_calibrate_on(options_, &first, out_);
  ASSERT_FALSE(r1.ok());
  EXPECT_EQ(r1.error().message, "lost");
  ASSERT_TRUE(fs::exists(checkpoint));
  EXPECT_FALSE(fs::exists(results));
  EXPECT_FALSE(fs::exists(options_.out));

  // Killed while writing its fifth point: cut the file inside the last line.
  fs::resize_file(checkpoint, fs::file_size(checkpoint) - 10);

  FakeBackend second;
  auto r2 = run_calibrate_on(options_, &second, out_);
  ASSERT_TRUE(r2.ok()) << r2.error().one_line();
  EXPECT_EQ(r2->resumed, 4);
  EXPECT_EQ(second.skipped, 4);
  EXPECT_EQ(second.asked.size(), total - 4);
  EXPECT_EQ(second.asked.front(), first.asked[4]);  // the torn point is measured again
  EXPECT_FALSE(fs::exists(checkpoint));

  auto set = load_measurements(results);
  ASSERT_TRUE(set.ok()) << set.error().one_line();
  EXPECT_EQ(set->measurements.size(), total);
  std::set<std::string> keys;
  for (const auto& m : set->measurements)
    keys.insert(measurement_key(m));
  EXPECT_EQ(keys.size(), total);
  EXPECT_EQ(set->provenance.resumed_points, 4);
  EXPECT_EQ(set->provenance.args["what"], Json::array({"memory"}));

  auto profile = load_cluster(options_.out);
  ASSERT_TRUE(profile.ok()) << profile.error().one_line();
  EXPECT_NEAR(profile->gpu.efficiency.kernel_launch_s, synthetic::kLaunchS, 1e-12);

  FakeBackend third;
  auto r3 = run_calibrate_on(options_, &third, out_);
  ASSERT_FALSE(r3.ok());
  EXPECT_EQ(r3.error().source, "--results " + results);
  EXPECT_TRUE(third.asked.empty());  // refused before measuring anything
}

TEST_F(UnitResume, ACheckpointFromAnotherSeedIsRefusedBeforeMeasuring) {
  FakeBackend first(3);
  ASSERT_FALSE(run_calibrate_on(options_, &first, out_).ok());
  options_.settings.seed = 99;
  FakeBackend second;
  auto r = run_calibrate_on(options_, &second, out_);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("--seed"), std::string::npos) << r.error().one_line();
  EXPECT_TRUE(second.asked.empty());
  options_.force = true;  // starts afresh
  FakeBackend third;
  ASSERT_TRUE(run_calibrate_on(options_, &third, out_).ok());
  EXPECT_EQ(third.skipped, 0);
}

TEST_F(UnitResume, TablesHaveAUnitsRowAndEveryPointARow) {
  FakeBackend backend;
  ASSERT_TRUE(run_calibrate_on(options_, &backend, out_).ok());
  const std::string text = out_.str();
  EXPECT_NE(text.find("#           op     elements         size       time    busbw  #wrong"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("(B)       (us)   (GB/s)"), std::string::npos) << text;
  EXPECT_NE(text.find("empty"), std::string::npos);
  EXPECT_NE(text.find("# wrong elements: 0 OK"), std::string::npos);
}

}  // namespace
}  // namespace ptsim
