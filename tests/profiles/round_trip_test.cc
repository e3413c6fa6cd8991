// parse(to_json(profile)) == profile for every shipped profile, through JSON text (so doubles
// survive printing and reading back), field by field via the structs' defaulted ==.
#include <gtest/gtest.h>

#include "hardware_profiles/catalogue.h"
#include "hardware_profiles/profile_loader.h"

namespace ptsim {
namespace {

TEST(UnitRoundTrip, EveryShippedGpuSurvivesToJsonAndBack) {
  for (const auto& name : gpu_names()) {
    const GpuProfile original = load_gpu(name).value();
    const std::string text = gpu_profile_to_json(original).dump(2);
    auto json = parse_json(text, "round-trip");
    ASSERT_TRUE(json.ok()) << json.error().one_line();
    auto back = parse_gpu_profile(*json, "round-trip");
    ASSERT_TRUE(back.ok()) << back.error().one_line();
    EXPECT_TRUE(*back == original) << name << "\nwritten:\n"
                                   << text << "\nread back:\n"
                                   << gpu_profile_to_json(*back).dump(2);
  }
}

TEST(UnitRoundTrip, EveryShippedClusterSurvivesToJsonAndBack) {
  for (const auto& name : cluster_names()) {
    const ClusterProfile original = load_cluster(name).value();
    const std::string text = cluster_profile_to_json(original).dump(2);
    auto json = parse_json(text, "round-trip");
    ASSERT_TRUE(json.ok()) << json.error().one_line();
    auto back = parse_cluster_profile(*json, "round-trip");
    ASSERT_TRUE(back.ok()) << back.error().one_line();
    EXPECT_TRUE(*back == original) << name << "\nwritten:\n"
                                   << text << "\nread back:\n"
                                   << cluster_profile_to_json(*back).dump(2);
  }
}

TEST(UnitRoundTrip, EqualityNoticesAChangeInAnyField) {
  // The round-trip tests rely on ==; it must compare fields deep inside the structs.
  const ClusterProfile original = load_cluster("dgx-h100").value();
  ClusterProfile changed = original;
  changed.gpu.efficiency.gemm.points[2][1] += 1e-12;
  EXPECT_FALSE(changed == original);
  changed = original;
  changed.network_collectives.step_latency_s *= 2;
  EXPECT_FALSE(changed == original);
  changed = original;
  changed.memory.nccl_buffer_bytes += 1;
  EXPECT_FALSE(changed == original);
}

TEST(UnitRoundTrip, UnsupportedDtypeIsWrittenAsNull) {
  const GpuProfile a100 = load_gpu("a100-80g").value();
  EXPECT_FALSE(a100.supports(Dtype::fp8));
  EXPECT_TRUE(gpu_profile_to_json(a100)["peak_flops"]["fp8"].is_null());
}

TEST(UnitRoundTrip, ClusterWithoutNvlsOmitsTheNvlsTuning) {
  const ClusterProfile a100 = load_cluster("dgx-a100").value();
  EXPECT_FALSE(cluster_profile_to_json(a100)["collectives"].contains("nvls"));
}

TEST(UnitRoundTrip, ASourceWithoutAKindIsWrittenAsCalibrated) {
  // Profiles built in code (calibration) may carry a free-form source; it survives as the detail
  // of a "calibrated" provenance.
  GpuProfile gpu = load_gpu("h100-sxm").value();
  gpu.source = "fitted on node x01";
  auto back = parse_gpu_profile(gpu_profile_to_json(gpu), "round-trip");
  ASSERT_TRUE(back.ok()) << back.error().one_line();
  EXPECT_EQ(back->source, "calibrated: fitted on node x01");
}

}  // namespace
}  // namespace ptsim
