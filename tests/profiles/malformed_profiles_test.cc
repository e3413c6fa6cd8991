// A table of malformed profiles, one test each: every case takes a real shipped file, breaks one
// thing, and asserts the exact one-line error (file, JSON pointer, message).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include "hardware_profiles/catalogue.h"
#include "hardware_profiles/profile_loader.h"
#include "tests/profiles/shipped_files.h"

namespace ptsim {
namespace {

enum class Base { h100_gpu, dgx_h100 };

struct MalformedCase {
  const char* name;  // the test's name
  Base base;
  std::function<void(Json&)> mutate;
  std::string expected;  // InputError::one_line()
};

void set(Json& j, const char* pointer, Json value) {
  j[Json::json_pointer(pointer)] = std::move(value);
}

void erase(Json& j, const std::string& pointer) {
  const auto slash = pointer.rfind('/');
  Json& parent = slash == 0 ? j : j[Json::json_pointer(pointer.substr(0, slash))];
  parent.erase(pointer.substr(slash + 1));
}

std::string error_of(const MalformedCase& c) {
  if (c.base == Base::h100_gpu) {
    Json j = testing::shipped_json("gpus", "h100-sxm");
    c.mutate(j);
    auto r = parse_gpu_profile(j, "h100.json");
    return r.ok() ? "loaded without error" : r.error().one_line();
  }
  Json j = testing::shipped_json("clusters", "dgx-h100");
  c.mutate(j);
  auto r = parse_cluster_profile(j, "dgx-h100.json");
  return r.ok() ? "loaded without error" : r.error().one_line();
}

const std::string kGpus = "a100-40g, a100-80g, b200, h100-sxm, h200, h800";

const std::vector<MalformedCase>& cases() {
  static const std::vector<MalformedCase> table = {
      {"UnknownTopLevelKey", Base::h100_gpu, [](Json& j) { set(j, "/hbm_bandwith", "3 TB/s"); },
       "h100.json: /hbm_bandwith: unknown key"},
      {"UnknownNestedKey", Base::h100_gpu, [](Json& j) { set(j, "/efficiency/tiling/tile_k", 64); },
       "h100.json: /efficiency/tiling/tile_k: unknown key"},
      {"MissingTopLevelKey", Base::h100_gpu, [](Json& j) { erase(j, "/hbm_bandwidth"); },
       "h100.json: /hbm_bandwidth: missing required key"},
      {"MissingDtypePeak", Base::h100_gpu, [](Json& j) { erase(j, "/peak_flops/fp8"); },
       "h100.json: /peak_flops/fp8: missing required key"},
      {"ZeroBandwidthString", Base::h100_gpu,
       [](Json& j) { set(j, "/hbm_bandwidth/value", "0 TB/s"); },
       "h100.json: /hbm_bandwidth/value: must be greater than zero, got '0 TB/s'"},
      {"NegativeBandwidthString", Base::h100_gpu,
       [](Json& j) { set(j, "/nvlink_bandwidth/value", "-5 GB/s"); },
       "h100.json: /nvlink_bandwidth/value: must not be negative, got '-5 GB/s'"},
      {"NegativeBandwidthNumber", Base::h100_gpu,
       [](Json& j) { set(j, "/nvlink_bandwidth", -450e9); },
       "h100.json: /nvlink_bandwidth: must not be negative, got -450000000000.0"},
      {"NanBandwidth", Base::h100_gpu, [](Json& j) { set(j, "/hbm_bandwidth/value", "NaN"); },
       "h100.json: /hbm_bandwidth/value: 'NaN' is not a finite number"},
      {"ZeroSizeNumber", Base::h100_gpu, [](Json& j) { set(j, "/hbm_capacity", 0); },
       "h100.json: /hbm_capacity: must be greater than zero, got 0"},
      {"ZeroPeak", Base::h100_gpu, [](Json& j) { set(j, "/peak_flops/bf16", "0 TFLOP/s"); },
       "h100.json: /peak_flops/bf16: must be greater than zero (or null if not supported), got "
       "'0 TFLOP/s'"},
      {"BandwidthWhereSizeExpected", Base::h100_gpu,
       [](Json& j) { set(j, "/hbm_capacity/value", "400 Gb/s"); },
       "h100.json: /hbm_capacity/value: '400 Gb/s' is a bandwidth in bytes per second, expected a "
       "size in bytes (e.g. '80 GiB')"},
      {"SizeWhereTimeExpected", Base::h100_gpu,
       [](Json& j) { set(j, "/efficiency/kernel_launch", "3 MB"); },
       "h100.json: /efficiency/kernel_launch: '3 MB' is a size in bytes, expected a time in "
       "seconds (e.g. '2.5 us')"},
      {"UnknownUnit", Base::h100_gpu, [](Json& j) { set(j, "/hbm_bandwidth", "3.35 TB/h"); },
       "h100.json: /hbm_bandwidth: unknown unit 'TB/h' in '3.35 TB/h'; a bandwidth in bytes per "
       "second takes one of: B/s, kB/s, MB/s, GB/s, TB/s, KiB/s, MiB/s, GiB/s, TiB/s, b/s, kb/s, "
       "Mb/s, Gb/s, Tb/s, bps, kbps, Mbps, Gbps, Tbps"},
      {"StringWithoutUnit", Base::h100_gpu, [](Json& j) { set(j, "/nvlink_bandwidth", "450"); },
       "h100.json: /nvlink_bandwidth: '450' has no unit; expected a bandwidth in bytes per second, "
       "e.g. '400 Gb/s'"},
      {"EfficiencyAboveOne", Base::h100_gpu,
       [](Json& j) { set(j, "/efficiency/gemm/points/6/1", 1.2); },
       "h100.json: /efficiency/gemm/points/6/1: efficiency must be in (0, 1], got 1.2"},
      {"EfficiencyZero", Base::h100_gpu,
       [](Json& j) { set(j, "/efficiency/memory/points/0/1", 0); },
       "h100.json: /efficiency/memory/points/0/1: efficiency must be in (0, 1], got 0"},
      {"NonMonotoneCurve", Base::h100_gpu,
       [](Json& j) { set(j, "/efficiency/gemm/points/2/0", 5e7); },
       "h100.json: /efficiency/gemm/points/2/0: x must be strictly increasing, got 50000000.0 "
       "after 100000000.0"},
      {"RepeatedCurveX", Base::h100_gpu,
       [](Json& j) { set(j, "/efficiency/gemm/points/1/0", 1e7); },
       "h100.json: /efficiency/gemm/points/1/0: x must be strictly increasing, got 10000000.0 "
       "after 10000000.0"},
      {"NonPositiveCurveX", Base::h100_gpu,
       [](Json& j) { set(j, "/efficiency/attention_forward/points/0/0", 0); },
       "h100.json: /efficiency/attention_forward/points/0/0: x must be greater than zero, got 0"},
      {"EmptyCurve", Base::h100_gpu,
       [](Json& j) { set(j, "/efficiency/gemm/points", Json::array()); },
       "h100.json: /efficiency/gemm/points: must hold at least one [x, efficiency] point"},
      {"CurvePointNotAPair", Base::h100_gpu,
       [](Json& j) { set(j, "/efficiency/gemm/points/3", Json::array({1e10})); },
       "h100.json: /efficiency/gemm/points/3: expected [x, efficiency] (two numbers), found "
       "[10000000000.0]"},
      {"UnsupportedSchemaVersion", Base::h100_gpu, [](Json& j) { set(j, "/schema_version", 2); },
       "h100.json: /schema_version: unsupported schema_version 2; this build reads version 1"},
      {"UnknownProvenanceKind", Base::h100_gpu, [](Json& j) { set(j, "/source/kind", "guess"); },
       "h100.json: /source/kind: unknown kind 'guess'; known: datasheet, published, calibrated"},
      {"SourcedValueWithoutSource", Base::h100_gpu,
       [](Json& j) { erase(j, "/hbm_bandwidth/source"); },
       "h100.json: /hbm_bandwidth/source: missing required key"},
      {"ZeroSmCount", Base::h100_gpu, [](Json& j) { set(j, "/sm_count/value", 0); },
       "h100.json: /sm_count/value: must be at least 1, got 0"},
      {"FractionalSmCount", Base::h100_gpu, [](Json& j) { set(j, "/sm_count", 131.5); },
       "h100.json: /sm_count: expected an integer, found 131.5"},
      {"OverlapSlowdownGivenInPercentPoints", Base::h100_gpu,
       [](Json& j) { set(j, "/efficiency/comm_overlap_slowdown/value", 5); },
       "h100.json: /efficiency/comm_overlap_slowdown: must be below 1 (a fraction: 0.05 = 5 % "
       "slower), got 5"},
      {"TopLevelNotAnObject", Base::h100_gpu, [](Json& j) { j = Json::array(); },
       "h100.json: /: expected a JSON object, found array"},
      {"UnknownGpuNameInCluster", Base::dgx_h100, [](Json& j) { set(j, "/gpu", "h300"); },
       "dgx-h100.json: /gpu: unknown GPU 'h300'; known: " + kGpus},
      {"ZeroNicBandwidth", Base::dgx_h100,
       [](Json& j) { set(j, "/topology/nic_bandwidth/value", "0 Gb/s"); },
       "dgx-h100.json: /topology/nic_bandwidth/value: must be greater than zero, got '0 Gb/s'"},
      {"OversubscriptionBelowOne", Base::dgx_h100,
       [](Json& j) { set(j, "/topology/oversubscription/value", 0.5); },
       "dgx-h100.json: /topology/oversubscription: must be at least 1 (1 = non-blocking), got "
       "0.5"},
      {"DomainNotAMultipleOfTheNode", Base::dgx_h100,
       [](Json& j) { set(j, "/topology/nvlink_domain_gpus/value", 12); },
       "dgx-h100.json: /topology/nvlink_domain_gpus: must be a multiple of gpus_per_node (8), got "
       "12"},
      {"NvlsTuningMissing", Base::dgx_h100, [](Json& j) { erase(j, "/collectives/nvls"); },
       "dgx-h100.json: /collectives/nvls: missing required key (topology.nvls is true)"},
      {"NvlsTuningGivenButNvlsOff", Base::dgx_h100,
       [](Json& j) { set(j, "/topology/nvls/value", false); },
       "dgx-h100.json: /collectives/nvls: given but topology.nvls is false"},
      {"NvlsNotABoolean", Base::dgx_h100, [](Json& j) { set(j, "/topology/nvls", "yes"); },
       "dgx-h100.json: /topology/nvls: expected true or false, found string"},
      {"InlineGpuErrorNamesTheNestedPointer", Base::dgx_h100,
       [](Json& j) {
         Json gpu = testing::shipped_json("gpus", "h100-sxm");
         set(gpu, "/hbm_bandwidth/value", "-1 TB/s");
         set(j, "/gpu", gpu);
       },
       "dgx-h100.json: /gpu/hbm_bandwidth/value: must not be negative, got '-1 TB/s'"},
      {"NegativeLatency", Base::dgx_h100, [](Json& j) { set(j, "/latency/nic/value", "-1 us"); },
       "dgx-h100.json: /latency/nic/value: must not be negative, got '-1 us'"},
      {"NetworkCurveAboveOne", Base::dgx_h100,
       [](Json& j) { set(j, "/collectives/network/bus_bandwidth_efficiency/points/3/1", 1.03); },
       "dgx-h100.json: /collectives/network/bus_bandwidth_efficiency/points/3/1: efficiency must "
       "be in (0, 1], got 1.03"},
      {"FragmentationOfOne", Base::dgx_h100,
       [](Json& j) { set(j, "/memory_overheads/allocator_fragmentation/value", 1); },
       "dgx-h100.json: /memory_overheads/allocator_fragmentation: must be below 1 (a fraction: "
       "0.08 = 8 %), got 1"},
      {"ClusterSchemaVersionUnsupported", Base::dgx_h100,
       [](Json& j) { set(j, "/schema_version", "1"); },
       "dgx-h100.json: /schema_version: unsupported schema_version \"1\"; this build reads "
       "version 1"},
  };
  return table;
}

class MalformedProfile : public ::testing::TestWithParam<MalformedCase> {};

TEST_P(MalformedProfile, YieldsTheExpectedOneLineError) {
  EXPECT_EQ(error_of(GetParam()), GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(UnitProfiles, MalformedProfile, ::testing::ValuesIn(cases()),
                         [](const auto& info) { return std::string(info.param.name); });

// Inputs that are not a shipped file with one thing broken: JSON syntax and catalogue names.

std::string write_temp(const std::string& name, const std::string& text) {
  const auto dir = std::filesystem::temp_directory_path() / "ptsim_malformed_test";
  std::filesystem::create_directories(dir);
  const auto path = dir / name;
  std::ofstream(path) << text;
  return path.string();
}

TEST(UnitProfiles, MalformedJsonNamesFileLineAndColumn) {
  const std::string path =
      write_temp("bad.json", "{\n  \"schema_version\": 1,\n  \"name\": ,\n}\n");
  auto r = load_gpu(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().one_line(), path +
                                      ": line 3, column 11: malformed JSON: syntax error while "
                                      "parsing value - unexpected ','; expected '[', '{', or a "
                                      "literal");
}

TEST(UnitProfiles, UnknownClusterNameListsTheKnownNames) {
  auto r = load_cluster("dgx-h300");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().one_line(),
            "--cluster: unknown cluster 'dgx-h300'; known: dgx-a100, dgx-b200, dgx-h100, "
            "dgx-h200, gb200-nvl72");
}

TEST(UnitProfiles, UnknownGpuNameListsTheKnownNames) {
  auto r = load_gpu("h300");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().one_line(), "--gpu: unknown GPU 'h300'; known: " + kGpus);
}

TEST(UnitProfiles, MissingProfileFileIsNamed) {
  auto r = load_cluster("/nonexistent/cluster.json");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().one_line(), "/nonexistent/cluster.json: cannot open file");
}

TEST(UnitProfiles, ACatalogueGpuFileCannotBeReferencedByPathFromACluster) {
  // A cluster's "gpu" string is a catalogue name only: a path would resolve against whatever
  // directory the tool runs in. Custom GPUs are inlined instead.
  Json j = testing::shipped_json("clusters", "dgx-h100");
  set(j, "/gpu", "hardware_profiles/gpus/h100-sxm.json");
  auto r = parse_cluster_profile(j, "c.json");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().one_line(),
            "c.json: /gpu: unknown GPU 'hardware_profiles/gpus/h100-sxm.json'; known: " + kGpus);
}

}  // namespace
}  // namespace ptsim
