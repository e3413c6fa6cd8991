// What-if overrides change exactly the fields their flags name (checked by comparing the whole
// struct with a copy edited by hand), and their errors name the flag.
#include "hardware_profiles/whatif.h"

#include <gtest/gtest.h>

#include "hardware_profiles/catalogue.h"

namespace ptsim {
namespace {

ClusterProfile cluster(const char* name) {
  return load_cluster(name).value();
}

std::string error_of(const ClusterProfile& c, const ClusterOverrides& o) {
  auto r = apply_overrides(c, o);
  return r.ok() ? "applied without error" : r.error().one_line();
}

TEST(UnitWhatIf, NoOverridesChangeNothing) {
  const ClusterProfile base = cluster("dgx-h100");
  auto r = apply_overrides(base, {});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(*r == base);
}

TEST(UnitWhatIf, GpuOverrideSwapsTheGpuAndItsNvlinkBandwidthOnly) {
  const ClusterProfile base = cluster("dgx-h100");
  ClusterOverrides o;
  o.gpu = "h800";
  auto r = apply_overrides(base, o);
  ASSERT_TRUE(r.ok()) << r.error().one_line();
  ClusterProfile expected = base;
  expected.gpu = load_gpu("h800").value();
  expected.nvlink_bandwidth_bytes_per_s = 200e9;  // H800: 400 GB/s bidirectional
  expected.source = base.source + "; what-if: --gpu h800";
  EXPECT_TRUE(*r == expected);
}

TEST(UnitWhatIf, ExplicitNvlinkBandwidthWinsOverTheNewGpus) {
  ClusterOverrides o;
  o.gpu = "h800";
  o.nvlink_bandwidth_bytes_per_s = 300e9;
  auto r = apply_overrides(cluster("dgx-h100"), o);
  ASSERT_TRUE(r.ok()) << r.error().one_line();
  EXPECT_EQ(r->gpu.name, "h800");
  EXPECT_EQ(r->nvlink_bandwidth_bytes_per_s, 300e9);
}

TEST(UnitWhatIf, GpusPerNodeMovesAnNvlinkDomainThatWasTheNode) {
  const ClusterProfile base = cluster("dgx-h100");
  ClusterOverrides o;
  o.gpus_per_node = 4;
  auto r = apply_overrides(base, o);
  ASSERT_TRUE(r.ok()) << r.error().one_line();
  ClusterProfile expected = base;
  expected.gpus_per_node = 4;
  expected.nvlink_domain_gpus = 4;
  expected.source = base.source + "; what-if: --gpus-per-node 4";
  EXPECT_TRUE(*r == expected);
}

TEST(UnitWhatIf, GpusPerNodeKeepsAnNvlinkDomainLargerThanTheNode) {
  ClusterOverrides o;
  o.gpus_per_node = 8;
  auto r = apply_overrides(cluster("gb200-nvl72"), o);
  ASSERT_TRUE(r.ok()) << r.error().one_line();
  EXPECT_EQ(r->gpus_per_node, 8);
  EXPECT_EQ(r->nvlink_domain_gpus, 72);
}

TEST(UnitWhatIf, GpusPerNodeMustDivideALargerDomain) {
  ClusterOverrides o;
  o.gpus_per_node = 16;
  EXPECT_EQ(error_of(cluster("gb200-nvl72"), o),
            "--gpus-per-node: 16 does not divide the 72-GPU NVLink domain of cluster gb200-nvl72");
}

TEST(UnitWhatIf, NicBandwidthAndOversubscriptionChangeOnlyThemselves) {
  const ClusterProfile base = cluster("dgx-h100");
  ClusterOverrides o;
  o.nic_bandwidth_bytes_per_s = parse_bandwidth_flag("200Gb/s", "--nic-bandwidth").value();
  o.oversubscription = 2;
  auto r = apply_overrides(base, o);
  ASSERT_TRUE(r.ok()) << r.error().one_line();
  ClusterProfile expected = base;
  expected.nic_bandwidth_bytes_per_s = 25e9;  // 200e9 bits / 8
  expected.oversubscription = 2;
  expected.source =
      base.source + "; what-if: --nic-bandwidth 25000000000 B/s, --oversubscription 2";
  EXPECT_TRUE(*r == expected) << r->source;
}

TEST(UnitWhatIf, OverridesAreAppliedToACopy) {
  const ClusterProfile base = cluster("dgx-h100");
  const ClusterProfile before = base;
  ClusterOverrides o;
  o.gpu = "b200";
  ASSERT_TRUE(apply_overrides(base, o).ok());
  EXPECT_TRUE(base == before);
}

TEST(UnitWhatIf, ErrorsNameTheFlag) {
  const ClusterProfile base = cluster("dgx-h100");
  ClusterOverrides o;
  o.oversubscription = 0.5;
  EXPECT_EQ(error_of(base, o), "--oversubscription: must be >= 1, got 0.5");
  o = {};
  o.gpus_per_node = 0;
  EXPECT_EQ(error_of(base, o), "--gpus-per-node: must be >= 1, got 0");
  o = {};
  o.nic_bandwidth_bytes_per_s = 0;
  EXPECT_EQ(error_of(base, o), "--nic-bandwidth: must be > 0, got 0 B/s");
  o = {};
  o.nvlink_bandwidth_bytes_per_s = -1;
  EXPECT_EQ(error_of(base, o), "--nvlink-bandwidth: must be > 0, got -1 B/s");
  o = {};
  o.gpu = "h300";
  EXPECT_EQ(error_of(base, o),
            "--gpu: unknown GPU 'h300'; known: a100-40g, a100-80g, b200, h100-sxm, h200, h800");
}

TEST(UnitWhatIf, BandwidthFlagsTakeBitsOrBytesWithoutASpace) {
  EXPECT_EQ(parse_bandwidth_flag("400Gb/s", "--nic-bandwidth").value(), 50e9);
  EXPECT_EQ(parse_bandwidth_flag("450GB/s", "--nvlink-bandwidth").value(), 450e9);
  EXPECT_EQ(parse_bandwidth_flag("0.9 TB/s", "--nvlink-bandwidth").value(), 0.9e12);
}

TEST(UnitWhatIf, BandwidthFlagErrorsNameTheFlag) {
  auto error = [](const char* text) {
    auto r = parse_bandwidth_flag(text, "--nic-bandwidth");
    return r.ok() ? "parsed" : r.error().one_line();
  };
  EXPECT_EQ(error("400"),
            "--nic-bandwidth: '400' has no unit; expected a bandwidth in bytes per second, e.g. "
            "'400 Gb/s'");
  EXPECT_EQ(error("0Gb/s"), "--nic-bandwidth: must be greater than zero, got '0Gb/s'");
  EXPECT_EQ(error("80GiB"),
            "--nic-bandwidth: '80GiB' is a size in bytes, expected a bandwidth in bytes per second "
            "(e.g. '400 Gb/s')");
  EXPECT_EQ(error("-1Gb/s"), "--nic-bandwidth: must not be negative, got '-1Gb/s'");
}

}  // namespace
}  // namespace ptsim
