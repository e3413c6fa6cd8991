// From measurements to a profile the simulator loads: every table the measurements cover is
// replaced by its fit, the rest is kept from the base profile and listed, the source cites the
// run and the residuals, and the written JSON loads back through the strict loader.
#include "calibration/profile_assembly.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "calibration/calibrate.h"
#include "calibration/gpu_backend.h"
#include "hardware_profiles/catalogue.h"
#include "hardware_profiles/profile_loader.h"
#include "tests/calibration/synthetic_data.h"

namespace ptsim {
namespace {

namespace fs = std::filesystem;
namespace syn = synthetic;

std::string data_path(const char* file) {
  return std::string(PTSIM_SOURCE_DIR) + "/tests/calibration/data/" + file;
}

// The three synthetic files as one run.
MeasurementSet everything() {
  MeasurementSet all;
  for (const char* f :
       {"synthetic_compute.jsonl", "synthetic_collectives.jsonl", "synthetic_interference.jsonl"}) {
    auto s = load_measurements(data_path(f));
    EXPECT_TRUE(s.ok()) << s.error().one_line();
    if (!s.ok()) continue;
    if (all.measurements.empty()) all.provenance = s->provenance;
    all.measurements.insert(all.measurements.end(), s->measurements.begin(), s->measurements.end());
  }
  return all;
}

ClusterProfile dgx_h100() {
  auto c = load_cluster("dgx-h100");
  EXPECT_TRUE(c.ok());
  return c.ok() ? c.value() : ClusterProfile{};
}

TEST(ValidationProfileAssembly, ReplacesEveryMeasuredTableAndKeepsTheRest) {
  const ClusterProfile base = dgx_h100();
  auto fitted = fit_profile(everything(), base, {});
  ASSERT_TRUE(fitted.ok()) << fitted.error().one_line();
  const ClusterProfile& p = fitted->profile;
  EXPECT_EQ(p.name, "dgx-h100-calibrated");
  EXPECT_EQ(p.gpu.sm_count, syn::kSmCount);
  EXPECT_NEAR(p.gpu.efficiency.kernel_launch_s, syn::kLaunchS, 0.02 * syn::kLaunchS);
  EXPECT_EQ(std::max(p.gpu.efficiency.tiling.tile_m, p.gpu.efficiency.tiling.tile_n), 256);
  // The catalogue's tables were estimates; the fitted ones follow the synthetic truth.
  EXPECT_NE(p.gpu.efficiency.gemm, base.gpu.efficiency.gemm);
  EXPECT_NEAR(p.gpu.efficiency.gemm.at(1e12), syn::gemm_efficiency(Dtype::bf16, 1e12), 0.03);
  // The other measured dtypes get tables of their own; bf16's is the general one.
  for (Dtype d : {Dtype::fp8, Dtype::tf32}) {
    EXPECT_NEAR(p.gpu.efficiency.gemm_curve(d).at(1e12), syn::gemm_efficiency(d, 1e12), 0.03)
        << dtype_name(d);
  }
  EXPECT_TRUE(p.gpu.efficiency.gemm_by_dtype[static_cast<std::size_t>(Dtype::bf16)].empty());
  for (const char* d : {"bf16", "fp8", "tf32"}) {
    EXPECT_LT(fitted->report["gemm"]["profile_rms_relative_error_by_dtype"][d].get<double>(), 0.03)
        << d;
  }
  EXPECT_GT(fitted->report["gemm"]["one_table_rms_relative_error_by_dtype"]["fp8"].get<double>(),
            0.1);
  EXPECT_NEAR(p.gpu.efficiency.memory.at(1e9), syn::memory_efficiency(1e9), 0.03);
  EXPECT_NEAR(p.gpu.efficiency.comm_overlap_slowdown, syn::interference_slowdown(16), 0.02);
  EXPECT_NEAR(p.nvlink_collectives.step_latency_s, syn::kStepLatencyS, 0.05 * syn::kStepLatencyS);
  EXPECT_NE(p.nvls_collectives, base.nvls_collectives);  // DGX H100 has NVLS: 4- and 8-GPU AR
  // Not measured here: the network tuning, NIC and topology stay the catalogue's.
  EXPECT_EQ(p.network_collectives, base.network_collectives);
  EXPECT_EQ(p.nic_bandwidth_bytes_per_s, base.nic_bandwidth_bytes_per_s);
  EXPECT_EQ(p.gpu.peak(Dtype::bf16), base.gpu.peak(Dtype::bf16));
  EXPECT_EQ(fitted->report["kept_from_base"], Json::array({"collectives.network"}));
  // The source cites the run and every table's residual.
  EXPECT_EQ(p.source.rfind("calibrated: 2026-01-01T00:00:00Z on synthetic H100", 0), 0u)
      << p.source;
  for (const char* part : {"gemm 1.", "memory", "nvlink collectives", "'dgx-h100'"}) {
    EXPECT_NE(p.source.find(part), std::string::npos) << part << " in " << p.source;
  }
}

TEST(ValidationProfileAssembly, WrittenProfileLoadsBackThroughTheStrictLoader) {
  auto fitted = fit_profile(everything(), dgx_h100(), {});
  ASSERT_TRUE(fitted.ok());
  const Json j = cluster_profile_to_json(fitted->profile);
  auto back = parse_cluster_profile(j, "calibrated.json");
  ASSERT_TRUE(back.ok()) << back.error().one_line();
  EXPECT_EQ(back->gpu.efficiency.gemm.points, fitted->profile.gpu.efficiency.gemm.points);
  EXPECT_EQ(back->nvlink_collectives.bus_bandwidth_efficiency.points,
            fitted->profile.nvlink_collectives.bus_bandwidth_efficiency.points);
  EXPECT_EQ(j["source"]["kind"], "calibrated");
}

TEST(UnitProfileAssembly, EmptyMeasurementsAndIncompleteBasesAreInputErrors) {
  EXPECT_FALSE(fit_profile(MeasurementSet{}, dgx_h100(), {}).ok());
  ClusterProfile bare = dgx_h100();
  bare.gpu.hbm_bandwidth_bytes_per_s = 0;
  auto r = fit_profile(everything(), bare, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().source, "--base");
}

class UnitCalibrateRun : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("ptsim_calibrate_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(UnitCalibrateRun, OutputPathsDeriveFromTheProfilePath) {
  EXPECT_EQ(default_results_path("out/h100.json"), "out/h100.results.json");
  EXPECT_EQ(report_path_for("out/h100.json"), "out/h100.report.json");
  EXPECT_EQ(checkpoint_path_for("out/h100.results.json"), "out/h100.results.json.partial.jsonl");
}

TEST_F(UnitCalibrateRun, MeasuringWithoutAGpuIsAOneLineInputErrorAndWritesNothing) {
  CalibrateOptions o;
  o.out = (dir_ / "p.json").string();
  o.settings.quick = true;
  // Asked first: on a machine with a GPU, run_calibrate would measure for minutes.
  if (make_gpu_backend().ok()) {
    GTEST_SKIP() << "this machine has a GPU: the measuring path is exercised by Gpu*";
  }
  std::ostringstream out;
  auto r = run_calibrate(o, out);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().source, "GPU");
  const std::string why = r.error().message;
  EXPECT_TRUE(why.find("no GPU found") != std::string::npos ||
              why.find("no CUDA support") != std::string::npos)
      << why;
  EXPECT_TRUE(fs::is_empty(dir_));
}

TEST_F(UnitCalibrateRun, FitsFromAResultsFileAndNeverOverwritesWithoutForce) {
  CalibrateOptions o;
  o.out = (dir_ / "p.json").string();
  o.from_results = data_path("synthetic_collectives.jsonl");
  std::ostringstream out;
  auto r = run_calibrate(o, out);
  ASSERT_TRUE(r.ok()) << r.error().one_line();
  auto loaded = load_cluster(o.out);
  ASSERT_TRUE(loaded.ok()) << loaded.error().one_line();
  EXPECT_EQ(loaded->name, "dgx-h100-calibrated");
  EXPECT_NEAR(loaded->nvlink_collectives.base_latency_s,
              syn::kBaseLatencyS + syn::kBulkExtraLatencyS,
              0.05 * (syn::kBaseLatencyS + syn::kBulkExtraLatencyS));
  EXPECT_TRUE(fs::exists(dir_ / "p.report.json"));

  auto again = run_calibrate(o, out);
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.error().message.find("--force"), std::string::npos) << again.error().one_line();
  o.force = true;
  o.name = "my-h100";
  ASSERT_TRUE(run_calibrate(o, out).ok());
  EXPECT_EQ(load_cluster(o.out)->name, "my-h100");
}

TEST_F(UnitCalibrateRun, UnknownBaseClusterIsAnInputErrorNamingTheFlag) {
  CalibrateOptions o;
  o.out = (dir_ / "p.json").string();
  o.from_results = data_path("synthetic_interference.jsonl");
  o.base = "dgx-z9000";
  std::ostringstream out;
  auto r = run_calibrate(o, out);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().one_line().find("dgx-z9000"), std::string::npos) << r.error().one_line();
  EXPECT_FALSE(fs::exists(dir_ / "p.json"));
}

}  // namespace
}  // namespace ptsim
