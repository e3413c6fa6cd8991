// The shipped catalogue: every file loads, the name lists match the files on disk, every number
// carries its source, and files can also be loaded by path.
#include "hardware_profiles/catalogue.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "hardware_profiles/profile_loader.h"
#include "tests/profiles/shipped_files.h"

namespace ptsim {
namespace {

using testing::shipped_json;
using testing::shipped_stems;

TEST(UnitCatalogue, GpuNamesListExactlyTheShippedFiles) {
  EXPECT_EQ(gpu_names(), shipped_stems("gpus"));
  // The GPU set DESIGN.md promises for --gpu.
  const std::vector<std::string> promised = {"a100-40g", "a100-80g", "b200",
                                             "h100-sxm", "h200",     "h800"};
  EXPECT_EQ(gpu_names(), promised);
}

TEST(UnitCatalogue, ClusterNamesListExactlyTheShippedFiles) {
  EXPECT_EQ(cluster_names(), shipped_stems("clusters"));
  const std::vector<std::string> promised = {"dgx-a100", "dgx-b200", "dgx-h100", "dgx-h200",
                                             "gb200-nvl72"};
  EXPECT_EQ(cluster_names(), promised);
}

void expect_sane_gpu(const GpuProfile& gpu) {
  EXPECT_TRUE(gpu.supports(Dtype::bf16)) << gpu.name;
  EXPECT_TRUE(gpu.supports(Dtype::fp32)) << gpu.name;
  // Tensor-core bf16 is well above vector fp32 on every GPU in the catalogue.
  EXPECT_GT(gpu.peak(Dtype::bf16), 10 * gpu.peak(Dtype::fp32)) << gpu.name;
  EXPECT_EQ(gpu.peak(Dtype::bf16), gpu.peak(Dtype::fp16)) << gpu.name;
  EXPECT_EQ(gpu.peak(Dtype::tf32) * 2, gpu.peak(Dtype::bf16)) << gpu.name;
  EXPECT_GT(gpu.hbm_capacity_bytes, 32e9) << gpu.name;
  EXPECT_GT(gpu.hbm_bandwidth_bytes_per_s, 1e12) << gpu.name;
  EXPECT_GT(gpu.nvlink_bandwidth_bytes_per_s, 100e9) << gpu.name;
  EXPECT_GE(gpu.sm_count, 100) << gpu.name;
  EXPECT_GT(gpu.efficiency.kernel_launch_s, 0) << gpu.name;
  EXPECT_LT(gpu.efficiency.kernel_launch_s, 20e-6) << gpu.name;
  for (const auto* curve : {&gpu.efficiency.gemm, &gpu.efficiency.attention_forward,
                            &gpu.efficiency.attention_backward, &gpu.efficiency.memory}) {
    EXPECT_FALSE(curve->empty()) << gpu.name;
    EXPECT_FALSE(curve->source.empty()) << gpu.name;
  }
  EXPECT_NE(gpu.source.find(": "), std::string::npos) << gpu.name;
}

TEST(UnitCatalogue, EveryShippedGpuLoadsAndIsNamedAfterItsFile) {
  for (const auto& name : gpu_names()) {
    auto gpu = load_gpu(name);
    ASSERT_TRUE(gpu.ok()) << gpu.error().one_line();
    EXPECT_EQ(gpu->name, name);
    expect_sane_gpu(*gpu);
  }
}

TEST(UnitCatalogue, EveryShippedClusterLoadsAndIsNamedAfterItsFile) {
  for (const auto& name : cluster_names()) {
    auto c = load_cluster(name);
    ASSERT_TRUE(c.ok()) << c.error().one_line();
    EXPECT_EQ(c->name, name);
    expect_sane_gpu(c->gpu);
    EXPECT_EQ(c->nvlink_domain_gpus % c->gpus_per_node, 0) << name;
    EXPECT_EQ(c->nvlink_bandwidth_bytes_per_s, c->gpu.nvlink_bandwidth_bytes_per_s) << name;
    EXPECT_GE(c->oversubscription, 1) << name;
    EXPECT_EQ(c->nvls, !c->nvls_collectives.bus_bandwidth_efficiency.empty()) << name;
    EXPECT_FALSE(c->nvlink_collectives.bus_bandwidth_efficiency.empty()) << name;
    EXPECT_FALSE(c->network_collectives.bus_bandwidth_efficiency.empty()) << name;
  }
}

TEST(UnitCatalogue, ClustersHaveTheTopologiesTheirSystemsAreSoldWith) {
  // DGX A100: HDR 200 Gb/s per GPU, no NVLS (second-generation NVSwitch).
  const ClusterProfile a100 = load_cluster("dgx-a100").value();
  EXPECT_EQ(a100.gpus_per_node, 8);
  EXPECT_EQ(a100.nic_bandwidth_bytes_per_s, 200e9 / 8);
  EXPECT_FALSE(a100.nvls);
  // DGX H100: NDR 400 Gb/s per GPU, NVLS, scalable units of 32 nodes (DGX SuperPOD RA).
  const ClusterProfile h100 = load_cluster("dgx-h100").value();
  EXPECT_EQ(h100.gpu.name, "h100-sxm");
  EXPECT_EQ(h100.nic_bandwidth_bytes_per_s, 400e9 / 8);
  EXPECT_EQ(h100.nodes_per_scalable_unit, 32);
  EXPECT_TRUE(h100.nvls);
  EXPECT_EQ(h100.oversubscription, 1.0);
  // GB200 NVL72: 72 GPUs in one NVLink domain, compute trays of 4 GPUs, SU of 8 racks.
  const ClusterProfile nvl72 = load_cluster("gb200-nvl72").value();
  EXPECT_EQ(nvl72.nvlink_domain_gpus, 72);
  EXPECT_EQ(nvl72.gpus_per_node, 4);
  EXPECT_EQ(nvl72.nodes_per_scalable_unit * nvl72.gpus_per_node, 8 * 72);
  EXPECT_EQ(nvl72.gpu.name, "gb200");
}

// Walks a shipped file and reports every number, string or boolean that stands bare where a
// quantity is expected, i.e. outside a {"value", "source"} pair. Keys that are not quantities:
// identifiers and provenance text.
void expect_every_number_sourced(const Json& j, const std::string& file, const std::string& ptr) {
  static const std::set<std::string> not_quantities = {"schema_version", "name",  "source", "gpu",
                                                       "kind",           "detail"};
  if (!j.is_object()) return;
  if (j.contains("value")) {
    EXPECT_TRUE(j.contains("source") && j["source"].is_string() &&
                !j["source"].get<std::string>().empty())
        << file << ptr << ": value without a source";
    return;
  }
  if (j.contains("points")) {
    EXPECT_TRUE(j.contains("source")) << file << ptr << ": table without a source";
    return;
  }
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string child = json_pointer_child(ptr, it.key());
    if (it->is_object()) {
      expect_every_number_sourced(*it, file, child);
    } else if (!not_quantities.contains(it.key())) {
      ADD_FAILURE() << file << child << ": bare value " << it->dump() << " has no source";
    }
  }
}

TEST(UnitCatalogue, EveryShippedNumberCarriesItsSource) {
  for (const auto& name : gpu_names()) {
    expect_every_number_sourced(shipped_json("gpus", name), name, "");
  }
  for (const auto& name : cluster_names()) {
    expect_every_number_sourced(shipped_json("clusters", name), name, "");
  }
}

TEST(UnitCatalogue, EmbeddedProfilesEqualTheFilesOnDisk) {
  for (const auto& name : gpu_names()) {
    const auto path = (testing::profiles_dir() / "gpus" / (name + ".json")).string();
    auto from_disk = load_gpu(path);
    ASSERT_TRUE(from_disk.ok()) << from_disk.error().one_line();
    EXPECT_TRUE(*from_disk == load_gpu(name).value()) << name << ": rebuild to re-embed";
  }
  for (const auto& name : cluster_names()) {
    const auto path = (testing::profiles_dir() / "clusters" / (name + ".json")).string();
    auto from_disk = load_cluster(path);
    ASSERT_TRUE(from_disk.ok()) << from_disk.error().one_line();
    EXPECT_TRUE(*from_disk == load_cluster(name).value()) << name << ": rebuild to re-embed";
  }
}

TEST(UnitCatalogue, AProfileFileLoadsByPathEvenWithoutJsonSuffix) {
  const auto dir = std::filesystem::temp_directory_path() / "ptsim_catalogue_test";
  std::filesystem::create_directories(dir);
  const auto path = dir / "my_gpu";
  GpuProfile custom = load_gpu("h100-sxm").value();
  custom.name = "my-gpu";
  custom.hbm_capacity_bytes = 96e9;
  std::ofstream(path) << gpu_profile_to_json(custom).dump(2);
  auto loaded = load_gpu(path.string());
  ASSERT_TRUE(loaded.ok()) << loaded.error().one_line();
  EXPECT_EQ(loaded->name, "my-gpu");
  EXPECT_EQ(loaded->hbm_capacity_bytes, 96e9);
  std::filesystem::remove_all(dir);
}

TEST(UnitCatalogue, AClusterProfileFileGivenForAGpuLendsItsGpu) {
  // calibrate writes cluster profiles with the measured GPU inline; --gpu and validate's
  // --gpu-profile take that GPU from them.
  const auto dir = std::filesystem::temp_directory_path() / "ptsim_catalogue_cluster_gpu";
  std::filesystem::create_directories(dir);
  const auto path = dir / "calibrated.json";
  ClusterProfile cluster = load_cluster("dgx-h100").value();
  cluster.gpu.name = "h100-measured";
  cluster.gpu.efficiency.kernel_launch_s = 7e-6;
  std::ofstream(path) << cluster_profile_to_json(cluster).dump(2);
  auto gpu = load_gpu(path.string());
  ASSERT_TRUE(gpu.ok()) << gpu.error().one_line();
  EXPECT_TRUE(*gpu == cluster.gpu);
  // A malformed cluster file is reported as such, naming the file.
  Json broken = cluster_profile_to_json(cluster);
  broken["topology"]["gpus_per_node"] = -8;
  std::ofstream(path) << broken.dump(2);
  auto bad = load_gpu(path.string());
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().one_line().find("calibrated.json"), std::string::npos)
      << bad.error().one_line();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace ptsim
