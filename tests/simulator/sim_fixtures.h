// Hand-made hardware for simulator tests, independent of the shipped catalogue: profiles whose
// cost models reduce to closed forms (flat efficiency tables at 1.0, zero launch time, no overlap
// slowdown, chosen latencies), so a test can compute the expected time by hand.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "hardware_profiles/cluster_profile.h"
#include "hardware_profiles/gpu_profile.h"
#include "sim/graph/graph.h"
#include "sim/network/topology.h"
#include "sim/workload/model_spec.h"

namespace ptsim::testing {

// An efficiency table that is 1.0 at every size: the cost model's time becomes the roofline /
// alpha-beta form exactly.
inline EfficiencyCurve flat_curve(double efficiency = 1.0) {
  EfficiencyCurve c;
  c.points = {{1.0, efficiency}};
  c.source = "test: flat";
  return c;
}

// A GPU whose memory-bound kernels take exactly bytes / hbm_bandwidth and whose GEMMs take
// flops / (peak x tile-and-wave quantisation) or the HBM time, whichever is longer.
inline GpuProfile ideal_gpu() {
  GpuProfile g;
  g.name = "ideal-gpu";
  g.source = "test";
  g.peak_flops_per_s[static_cast<std::size_t>(Dtype::fp32)] = 60e12;
  g.peak_flops_per_s[static_cast<std::size_t>(Dtype::tf32)] = 500e12;
  g.peak_flops_per_s[static_cast<std::size_t>(Dtype::bf16)] = 1000e12;
  g.peak_flops_per_s[static_cast<std::size_t>(Dtype::fp16)] = 1000e12;
  g.peak_flops_per_s[static_cast<std::size_t>(Dtype::fp8)] = 2000e12;
  g.hbm_capacity_bytes = 80e9;
  g.hbm_bandwidth_bytes_per_s = 1e12;
  g.nvlink_bandwidth_bytes_per_s = 450e9;
  g.sm_count = 132;
  g.efficiency.gemm = flat_curve();
  g.efficiency.attention_forward = flat_curve();
  g.efficiency.attention_backward = flat_curve();
  g.efficiency.memory = flat_curve();
  g.efficiency.kernel_launch_s = 0;
  g.efficiency.comm_overlap_slowdown = 0;
  return g;
}

struct FabricSpec {
  int gpus_per_node = 8;
  int nvlink_domain_gpus = 8;
  double nvlink_bytes_per_s = 450e9;
  double nic_bytes_per_s = 50e9;
  int nodes_per_scalable_unit = 32;
  double oversubscription = 1.0;
  double nvlink_step_latency_s = 0;   // alpha of a ring step on NVLink
  double network_step_latency_s = 0;  // alpha of a ring step that crosses the fabric
  double nvlink_base_latency_s = 0;
  double network_base_latency_s = 0;
  double route_latency_s = 0;  // NVLink hop, NIC and switch latencies of the topology
};

// A cluster of ideal GPUs with flat bus-bandwidth efficiency 1.0 (so the collective cost model's
// bandwidth B is the link bandwidth itself), no NVLS, and no framework memory overheads.
inline ClusterProfile ideal_cluster(const FabricSpec& f = {}) {
  ClusterProfile c;
  c.name = "ideal-cluster";
  c.source = "test";
  c.gpu = ideal_gpu();
  c.gpu.nvlink_bandwidth_bytes_per_s = f.nvlink_bytes_per_s;
  c.gpus_per_node = f.gpus_per_node;
  c.nvlink_domain_gpus = f.nvlink_domain_gpus;
  c.nvlink_bandwidth_bytes_per_s = f.nvlink_bytes_per_s;
  c.nvls = false;
  c.nic_bandwidth_bytes_per_s = f.nic_bytes_per_s;
  c.nodes_per_scalable_unit = f.nodes_per_scalable_unit;
  c.oversubscription = f.oversubscription;
  c.nvlink_latency_s = f.route_latency_s;
  c.nic_latency_s = f.route_latency_s;
  c.switch_latency_s = f.route_latency_s;
  c.nvlink_collectives = {flat_curve(), f.nvlink_base_latency_s, f.nvlink_step_latency_s};
  c.nvls_collectives = {flat_curve(), 0.0, 0.0};
  c.network_collectives = {flat_curve(), f.network_base_latency_s, f.network_step_latency_s};
  return c;
}

// Communication that costs nothing measurable: bandwidths so large that any byte count of a test
// moves in under 1e-18 s, and every latency zero.
inline ClusterProfile free_network_cluster(int gpus_per_node = 8) {
  FabricSpec f;
  f.gpus_per_node = gpus_per_node;
  f.nvlink_domain_gpus = gpus_per_node;
  f.nvlink_bytes_per_s = 1e30;
  f.nic_bytes_per_s = 1e30;
  return ideal_cluster(f);
}

inline Topology build_topology(const ClusterProfile& cluster, int gpus) {
  auto t = Topology::build(cluster, gpus);
  PTSIM_CHECK(t.ok(), t.ok() ? "" : t.error().one_line());
  return std::move(t).value();
}

// A memory-bound kernel that takes exactly `seconds` on ideal_gpu() (bytes / HBM bandwidth at
// efficiency 1.0, no launch time).
inline MemoryBoundKernel kernel_of_seconds(const GpuProfile& gpu, double seconds) {
  MemoryBoundKernel k;
  k.kind = MemoryBoundKind::elementwise;
  k.bytes = seconds * gpu.hbm_bandwidth_bytes_per_s;
  k.flops = 0;
  return k;
}

// A Llama-style model of identical layers for pipeline tests; a small vocabulary keeps the
// embedding and LM head (the only stage-specific work) small next to a stage's layers.
inline ModelSpec uniform_model(int layers) {
  ModelSpec m;
  m.name = "uniform-test";
  m.architecture = Architecture::llama;
  m.hidden = 4096;
  m.layers = layers;
  m.heads = 32;
  m.kv_heads = 32;
  m.head_dim = 128;
  m.ffn_hidden = 16384;
  m.vocab = 512;
  return m;
}

// A graph of `ranks` GPUs (global ranks 0..ranks-1, one graph rank each) with the given streams.
inline Graph full_graph(int ranks, const std::vector<std::string>& streams) {
  Graph g(ranks);
  for (int r = 0; r < ranks; ++r)
    g.add_rank(r, 1, "rank");
  for (const auto& s : streams)
    g.add_stream(s);
  return g;
}

}  // namespace ptsim::testing
