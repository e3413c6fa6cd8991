// The collective fits (calibration/fit/collective_fit.h) on synthetic NCCL-like measurements
// (synthetic_data.h): every group is the faster of two alpha-beta protocols, so the fit must find
// two regimes with the true latencies and bus bandwidths, and the link-class latency must resolve
// into the true base and per-step latencies.
#include "calibration/fit/collective_fit.h"

#include <gtest/gtest.h>

#include <cmath>

#include "calibration/results_io.h"
#include "cost_models/collective_cost.h"
#include "hardware_profiles/catalogue.h"
#include "tests/calibration/synthetic_data.h"

namespace ptsim {
namespace {

namespace syn = synthetic;

const MeasurementSet& data() {
  static const MeasurementSet set = [] {
    auto r =
        load_measurements(PTSIM_SOURCE_DIR "/tests/calibration/data/synthetic_collectives.jsonl");
    EXPECT_TRUE(r.ok()) << r.error().one_line();
    return r.ok() ? r.value() : MeasurementSet{};
  }();
  return set;
}

// The catalogue's DGX H100 (450 GB/s NVLink per GPU and direction, as the synthetic data), with
// or without NVLink SHARP.
ClusterProfile dgx_h100(bool nvls) {
  auto c = load_cluster("dgx-h100");
  EXPECT_TRUE(c.ok());
  ClusterProfile out = c.ok() ? c.value() : ClusterProfile{};
  out.nvls = nvls;
  return out;
}

const CollectiveFit& fitted() {
  static const CollectiveFit fit = fit_collectives(data(), dgx_h100(false), {});
  return fit;
}

TEST(UnitCollectiveFit, OneLineFitsExactAlphaBetaDataInOneRegime) {
  // t = 5 us + S / (100 GB/s) exactly: one regime, alpha and B recovered to rounding.
  std::vector<double> s, t;
  for (double b = 1024; b <= 1 << 30; b *= 4) {
    s.push_back(b);
    t.push_back(5e-6 + b / 100e9);
  }
  const auto regimes = fit_regimes(s, t, 1.0, {});
  ASSERT_EQ(regimes.size(), 1u);
  EXPECT_NEAR(regimes[0].latency_s, 5e-6, 1e-12);
  EXPECT_NEAR(regimes[0].bus_bandwidth_bytes_per_s, 100e9, 1e-3 * 100e9);
}

TEST(ValidationCollectiveFit, FindsTheTwoProtocolRegimesOfEveryGroup) {
  ASSERT_EQ(fitted().groups.size(), 15u);  // 5 collectives x 3 group sizes
  EXPECT_DOUBLE_EQ(dgx_h100(false).nvlink_bandwidth_bytes_per_s, syn::kNvlinkBandwidth);
  for (const auto& g : fitted().groups) {
    EXPECT_EQ(g.link_class, "nvlink");
    SCOPED_TRACE(std::string(collective_name(g.collective)) + " ranks " + std::to_string(g.ranks));
    ASSERT_EQ(g.regimes.size(), 2u);
    const double alpha =
        syn::kBaseLatencyS + collective_steps(g.collective, g.ranks) * syn::kStepLatencyS;
    // 1 % noise. Latencies rest on many latency-bound points: within 3 %. The low-latency
    // protocol's bandwidth rests on its few largest sizes, where the transfer is 30-50 % of the
    // time, so 1 % noise on the time is 2-3 % on the bandwidth: within 6 %.
    EXPECT_NEAR(g.regimes[0].latency_s, alpha, 0.03 * alpha);
    EXPECT_NEAR(g.regimes[0].bus_bandwidth_bytes_per_s, syn::kLowLatencyBusbw,
                0.06 * syn::kLowLatencyBusbw);
    EXPECT_NEAR(g.regimes[1].latency_s, alpha + syn::kBulkExtraLatencyS,
                0.05 * (alpha + syn::kBulkExtraLatencyS));
    EXPECT_NEAR(g.regimes[1].bus_bandwidth_bytes_per_s, syn::kBulkBusbw, 0.03 * syn::kBulkBusbw);
    // The break lies within a factor of two (one sweep step) of the true protocol crossover.
    const double cross = syn::protocol_crossover_bytes(g.collective, g.ranks);
    EXPECT_LE(g.regimes[0].max_bytes, 2 * cross);
    EXPECT_GE(g.regimes[1].min_bytes, cross / 2);
    EXPECT_LT(g.rms_relative_error, 0.015);
  }
}

TEST(ValidationCollectiveFit, SplitsGroupLatencyIntoBaseAndPerStepLatency) {
  const LinkClassFit& nv = fitted().nvlink;
  ASSERT_TRUE(nv.measured);
  EXPECT_FALSE(fitted().network.measured);
  EXPECT_FALSE(fitted().nvls.measured);
  // The profile states the bulk (Simple) protocol's latencies, which the cost model scales by
  // NCCL's ratios for LL and LL128: the bulk regime's base includes its extra latency.
  const double bulk_base = syn::kBaseLatencyS + syn::kBulkExtraLatencyS;
  EXPECT_NEAR(nv.tuning.base_latency_s, bulk_base, 0.05 * bulk_base);
  EXPECT_NEAR(nv.tuning.step_latency_s, syn::kStepLatencyS, 0.05 * syn::kStepLatencyS);
  EXPECT_EQ(nv.groups, 15);
}

TEST(ValidationCollectiveFit, LinkEfficiencyTableApproachesBulkBusbwOverLinkBandwidth) {
  // At 8 GiB the bulk protocol's latency is negligible: efficiency = 370 / 450 GB/s.
  const auto& curve = fitted().nvlink.tuning.bus_bandwidth_efficiency;
  EXPECT_NEAR(curve.at(8e9), syn::kBulkBusbw / syn::kNvlinkBandwidth, 0.02);
  // The table is the bulk protocol's residual efficiency at every size: small messages are the
  // low-latency protocols' business, which the cost model derives by NCCL's ratios.
  EXPECT_NEAR(curve.at(4096), syn::kBulkBusbw / syn::kNvlinkBandwidth, 0.03);
  // The synthetic low-latency protocol (60 GB/s bus bandwidth) is slower than NCCL's LL at half
  // the bulk bandwidth (185 GB/s), which the cost model applies, so mid-size points miss by more
  // than the noise; the structural error stays below 20 %.
  EXPECT_LT(fitted().nvlink.rms_relative_error, 0.20);
  EXPECT_LT(fitted().simulated_rms_relative_error, 0.20);
}

TEST(ValidationCollectiveFit, WithNvlsAllReduceOverMoreThanTwoGpusFitsTheNvlsTable) {
  // The cost model runs all-reduce over 4 and 8 GPUs of an NVLS domain as NVLS: those groups
  // tune the NVLS class; 2-GPU all-reduce and the other collectives stay on the NVLink ring.
  const CollectiveFit fit = fit_collectives(data(), dgx_h100(true), {});
  ASSERT_TRUE(fit.nvls.measured);
  EXPECT_EQ(fit.nvls.groups, 2);
  EXPECT_EQ(fit.nvlink.groups, 13);
  // NVLS latency: the median of the 4- and 8-GPU all-reduce latencies, 8 + 6 and 8 + 14 us.
  EXPECT_NEAR(fit.nvls.tuning.base_latency_s,
              syn::kBaseLatencyS + syn::kBulkExtraLatencyS + 10 * syn::kStepLatencyS,
              0.05 * (syn::kBaseLatencyS + syn::kBulkExtraLatencyS + 10 * syn::kStepLatencyS));
  // At 8 GiB, S / (t - latency) is the bulk protocol's busbw over the busbw factor: 370 / 1.5
  // GB/s for 4 GPUs, 370 / 1.75 for 8; the table's bin holds both, so its median is their mean,
  // over 450 GB/s of NVLink.
  const double expected =
      (syn::kBulkBusbw / 1.5 + syn::kBulkBusbw / 1.75) / 2 / syn::kNvlinkBandwidth;
  EXPECT_NEAR(fit.nvls.tuning.bus_bandwidth_efficiency.at(8e9), expected, 0.03);
  for (const auto& g : fit.groups) {
    const bool nvls = g.collective == Collective::all_reduce && g.ranks > 2;
    EXPECT_EQ(g.link_class, nvls ? "nvls" : "nvlink");
  }
}

TEST(ValidationCollectiveFit, ReportsTheSingleRankLaunchOverheadSeparately) {
  MeasurementSet set = data();
  CollectiveMeasurement one;
  one.collective = Collective::all_reduce;
  one.ranks = 1;
  one.bytes = 1024;
  one.count = 256;
  one.timing = {4e-6, 4e-6, 4e-6, 5, 20};
  set.measurements.push_back(one);
  const CollectiveFit fit = fit_collectives(set, dgx_h100(false), {});
  EXPECT_EQ(fit.single_rank_points, 1);
  EXPECT_DOUBLE_EQ(fit.single_rank_launch_s, 4e-6);
  EXPECT_EQ(fit.groups.size(), 15u);  // the 1-rank point forms no group
}

}  // namespace
}  // namespace ptsim
