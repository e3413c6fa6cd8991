// Determinism (DESIGN.md "Simulation": the same inputs give byte-identical outputs) and the
// timeline fingerprint (OMNeT++/INET fingerprint tests, STYLE rule 14).
//
// Fingerprint: an FNV-1a 64-bit hash of the exact bits of every op's start and end time, the step
// time, the event and flow counts and every rank's peak memory, for two fixed scenarios: a mix of
// kernels, collectives, transfers and memory events built with the Graph API on a hand-made
// cluster (it moves when the simulator, the network or the cost models change), and one training
// step from the workload builder on the same cluster (it also moves when the builder changes).
// Two runs in one process must agree, and both must match the baseline stored in
// tests/data/golden/timeline_fingerprints.json. A deliberate change regenerates the baseline:
//   UPDATE_GOLDEN=1 build/bin/test_simulator --gtest_filter='Golden*'
// Exact bits are only comparable on one platform and compiler (libm's log10 in the efficiency
// tables); the baseline records the one CI uses.
#include <gtest/gtest.h>

#include <bit>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "hardware_profiles/catalogue.h"
#include "planner/evaluate.h"
#include "planner/result_json.h"
#include "sim/simulator.h"
#include "sim/trace.h"
#include "sim/workload/graph_builder.h"
#include "tests/simulator/golden.h"
#include "tests/simulator/random_configs.h"
#include "tests/simulator/sim_fixtures.h"

namespace ptsim {
namespace {

using testing::FabricSpec;

constexpr const char* kFingerprintFile = "timeline_fingerprints.json";

class Fnv1a {
 public:
  void add(std::uint64_t v) {
    for (int i = 0; i < 8; ++i) {
      hash_ ^= (v >> (8 * i)) & 0xff;
      hash_ *= 0x100000001b3ULL;
    }
  }
  void add(double v) { add(std::bit_cast<std::uint64_t>(v)); }
  std::uint64_t value() const { return hash_; }

 private:
  std::uint64_t hash_ = 0xcbf29ce484222325ULL;
};

std::string hex(std::uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%016llx", static_cast<unsigned long long>(v));
  return buf;
}

std::uint64_t fingerprint(const SimulationResult& sim) {
  Fnv1a h;
  h.add(static_cast<std::uint64_t>(sim.op_start_s.size()));
  for (std::size_t i = 0; i < sim.op_start_s.size(); ++i) {
    h.add(sim.op_start_s[i]);
    h.add(sim.op_end_s[i]);
  }
  h.add(sim.step_time_s);
  h.add(sim.events);
  h.add(sim.flows);
  for (const RankMemoryUse& m : sim.memory)
    h.add(m.peak_bytes);
  return h.value();
}

// A cluster whose cost models use every term: efficiency tables that vary with size, launch
// time, overlap slowdown, NVLS, base and step latencies, and route latencies.
ClusterProfile fingerprint_cluster() {
  FabricSpec f;
  f.nvlink_step_latency_s = 0.6e-6;
  f.network_step_latency_s = 2.7e-6;
  f.nvlink_base_latency_s = 6.6e-6;
  f.network_base_latency_s = 6.6e-6;
  f.route_latency_s = 0.5e-6;
  ClusterProfile c = testing::ideal_cluster(f);
  c.name = "fingerprint-cluster";
  c.gpu.efficiency.gemm.points = {{1e8, 0.3}, {1e10, 0.6}, {1e12, 0.8}};
  c.gpu.efficiency.attention_forward.points = {{1e8, 0.3}, {1e11, 0.6}};
  c.gpu.efficiency.attention_backward.points = {{1e8, 0.25}, {1e11, 0.5}};
  c.gpu.efficiency.memory.points = {{1e4, 0.2}, {1e7, 0.7}, {1e9, 0.9}};
  c.gpu.efficiency.kernel_launch_s = 3e-6;
  c.gpu.efficiency.comm_overlap_slowdown = 0.1;
  c.nvls = true;
  c.nvlink_collectives.bus_bandwidth_efficiency.points = {
      {65536, 0.07}, {1.6e7, 0.68}, {1e9, 0.82}};
  c.nvls_collectives = {testing::flat_curve(0.6), 0.0, 25e-6};
  c.network_collectives.bus_bandwidth_efficiency.points = {{1.6e7, 0.13}, {1e9, 0.87}};
  return c;
}

// 16 GPUs on two nodes: per rank three rounds of GEMM, tensor-parallel all-reduce (groups of 4),
// attention, expert all-to-all (per node), a norm kernel, a pipeline transfer from node 0 to node
// 1, data-parallel reduce-scatter and all-gather across the nodes; then a world all-reduce and an
// optimizer step. Rank-dependent GEMM sizes make the ranks wait for each other.
Graph mixed_graph() {
  constexpr int kRanks = 16;
  Graph g = testing::full_graph(kRanks, {"compute", "tp", "ep", "dp", "pp_send", "pp_recv"});
  constexpr std::uint8_t kCompute = 0, kTp = 1, kEp = 2, kDp = 3, kSend = 4, kRecv = 5;
  std::vector<GroupId> tp(4), ep(2), dp(8);
  for (int i = 0; i < 4; ++i)
    tp[i] = g.add_group(Group{Category::tp, {4 * i, 4 * i + 1, 4 * i + 2, 4 * i + 3}, {}});
  for (int i = 0; i < 2; ++i) {
    std::vector<int> node;
    for (int k = 0; k < 8; ++k)
      node.push_back(8 * i + k);
    ep[i] = g.add_group(Group{Category::ep, node, {}});
  }
  for (int i = 0; i < 8; ++i)
    dp[i] = g.add_group(Group{Category::dp, {i, i + 8}, {}});
  std::vector<int> everyone;
  for (int r = 0; r < kRanks; ++r)
    everyone.push_back(r);
  const GroupId world = g.add_group(Group{Category::dp, everyone, {}});
  const std::uint32_t label = g.intern_label("op{0} round{1}");
  for (int r = 0; r < kRanks; ++r) {
    const auto rank = static_cast<GraphRank>(r);
    std::vector<OpId> last;
    OpId frontier = 0;
    bool has_frontier = false;
    auto deps = [&]() -> std::vector<OpId> {
      return has_frontier ? std::vector<OpId>{frontier} : std::vector<OpId>{};
    };
    for (int round = 0; round < 3; ++round) {
      const GemmKernel gemm{4096L * (1 + r % 3), 4096, 4096, 1, Dtype::bf16};
      frontier =
          g.add_compute(rank, kCompute, Category::compute, gemm, OpLabel{label, 0, round}, deps());
      has_frontier = true;
      g.add_memory(rank, kCompute, true, MemoryTag::activations, 1e8 * (1 + round), OpLabel{label},
                   {});
      frontier = g.add_collective(rank, kTp, Category::tp, CollectiveKind::all_reduce, tp[r / 4],
                                  32.0 * (1 << 20), OpLabel{label, 1, round}, deps());
      AttentionKernel attn;
      attn.batch = 2;
      attn.heads = 16;
      attn.kv_heads = 4;
      attn.q_len = attn.kv_len = 2048;
      attn.head_dim_qk = attn.head_dim_v = 128;
      attn.causal = true;
      attn.backward = round == 2;
      frontier =
          g.add_compute(rank, kCompute, Category::compute, attn, OpLabel{label, 2, round}, deps());
      frontier = g.add_collective(rank, kEp, Category::ep, CollectiveKind::all_to_all, ep[r / 8],
                                  64.0 * (1 << 20), OpLabel{label, 3, round}, deps());
      if (r >= 8) {
        const OpId recv = g.add_recv(rank, kRecv, Category::pp, static_cast<GraphRank>(r - 8),
                                     static_cast<std::uint32_t>(round), 16.0 * (1 << 20),
                                     OpLabel{label, 4, round}, {});
        frontier = g.add_compute(rank, kCompute, Category::compute,
                                 MemoryBoundKernel{MemoryBoundKind::norm, 2e8, 1e8},
                                 OpLabel{label, 5, round}, std::vector<OpId>{frontier, recv});
      } else {
        frontier = g.add_compute(rank, kCompute, Category::compute,
                                 MemoryBoundKernel{MemoryBoundKind::norm, 2e8, 1e8},
                                 OpLabel{label, 5, round}, deps());
        g.add_send(rank, kSend, Category::pp, static_cast<GraphRank>(r + 8),
                   static_cast<std::uint32_t>(round), 16.0 * (1 << 20), OpLabel{label, 4, round},
                   deps());
      }
      const OpId rs =
          g.add_collective(rank, kDp, Category::dp, CollectiveKind::reduce_scatter, dp[r % 8],
                           128.0 * (1 << 20), OpLabel{label, 6, round}, deps());
      last.push_back(g.add_collective(rank, kDp, Category::dp, CollectiveKind::all_gather,
                                      dp[r % 8], 128.0 * (1 << 20), OpLabel{label, 7, round},
                                      std::vector<OpId>{rs}));
      g.add_memory(rank, kCompute, false, MemoryTag::activations, 1e8 * (1 + round), OpLabel{label},
                   deps());
    }
    last.push_back(frontier);
    const OpId ar = g.add_collective(rank, kDp, Category::dp, CollectiveKind::all_reduce, world,
                                     8.0 * (1 << 20), OpLabel{label, 8, 0}, last);
    g.add_compute(rank, kCompute, Category::optimizer,
                  MemoryBoundKernel{MemoryBoundKind::optimizer, 3e9, 1e9}, OpLabel{label, 9, 0},
                  std::vector<OpId>{ar});
  }
  return g;
}

SimulationResult simulate_mixed() {
  const ClusterProfile cluster = fingerprint_cluster();
  const Topology topology = testing::build_topology(cluster, 16);
  const Graph g = mixed_graph();
  return simulate_graph(g, cluster, topology);
}

// A Llama-style step: tp 2 (sequence parallel), pp 2 interleaved with 2 chunks, dp 2, ZeRO-1,
// selective recompute, 8 micro-batches, full graph.
SimulationResult simulate_llama_step() {
  ModelSpec m;
  m.name = "fingerprint-llama";
  m.architecture = Architecture::llama;
  m.layers = 4;
  m.hidden = 1024;
  m.heads = 16;
  m.kv_heads = 4;
  m.head_dim = 64;
  m.ffn_hidden = 2816;
  m.vocab = 32000;
  TrainingConfig t;
  t.seq_len = 1024;
  t.global_batch = 16;
  ParallelConfig p;
  p.tp = 2;
  p.pp = 2;
  p.dp = 2;
  p.vpp = 2;
  p.schedule = Schedule::interleaved;
  p.sequence_parallel = true;
  p.zero_stage = 1;
  p.recompute = Recompute::selective;
  const ClusterProfile cluster = fingerprint_cluster();
  const Topology topology = testing::build_topology(cluster, 8);
  BuildResult built = build_step_graph(m, t, p, 8, GraphMode::full);
  PTSIM_CHECK(built.verdict.ok, built.verdict.reason);
  return simulate_graph(built.step->graph, cluster, topology);
}

TEST(GoldenSimulator, TimelineFingerprintMatchesTwoRunsAndTheStoredBaseline) {
  struct Scenario {
    const char* name;
    SimulationResult (*run)();
  };
  const Scenario scenarios[] = {{"graph_api_mix", simulate_mixed},
                                {"llama_step_tp2_pp2v2_dp2", simulate_llama_step}};
  Json now = Json::object();
  for (const Scenario& s : scenarios) {
    const SimulationResult first = s.run();
    const SimulationResult second = s.run();
    ASSERT_TRUE(first.completed) << s.name << ": " << first.stuck;
    EXPECT_EQ(fingerprint(first), fingerprint(second)) << s.name << ": two runs in one process";
    now[s.name] = {{"hash", hex(fingerprint(first))},
                   {"ops", first.op_start_s.size()},
                   {"step_time_s", first.step_time_s},
                   {"events", first.events}};
  }
  Json doc = {{"what",
               "FNV-1a 64 of every op's start and end time bits, step time, events, "
               "flows and peak memory (tests/simulator/determinism_test.cc)"},
              {"regenerate", "UPDATE_GOLDEN=1 build/bin/test_simulator --gtest_filter='Golden*'"},
              {"fingerprints", now}};
  if (testing::update_golden_requested()) {
    const std::string error = testing::write_golden(kFingerprintFile, doc.dump(2) + "\n");
    ASSERT_EQ(error, "");
    GTEST_SKIP() << "regenerated " << testing::golden_path(kFingerprintFile);
  }
  auto stored = read_json_file(testing::golden_path(kFingerprintFile));
  ASSERT_TRUE(stored.ok()) << stored.error().one_line()
                           << " (create it with UPDATE_GOLDEN=1, see the file comment)";
  for (const Scenario& s : scenarios) {
    const Json& want = stored->at("fingerprints").at(s.name);
    const Json& got = now[s.name];
    EXPECT_EQ(want.at("hash"), got.at("hash"))
        << s.name << ": the timeline changed (stored step " << want.at("step_time_s") << " s, ops "
        << want.at("ops") << "; now " << got.at("step_time_s") << " s, ops " << got.at("ops")
        << "). If the change is intended, regenerate with UPDATE_GOLDEN=1.";
  }
}

TEST(PropertySimulator, SameInputsGiveByteIdenticalResultJsonAndTrace) {
  // Two evaluations of each configuration, with other configurations evaluated in between (any
  // state leaking from one simulation into the next would show), must give the same bytes.
  Rng rng(505);
  auto cluster = load_cluster("dgx-h100");
  ASSERT_TRUE(cluster.ok());
  std::vector<testing::RandomConfig> configs;
  for (int i = 0; i < 40; ++i)
    configs.push_back(testing::random_config(rng));
  auto render = [&](const testing::RandomConfig& c) -> std::pair<std::string, std::string> {
    const Topology topology = testing::build_topology(*cluster, c.gpus);
    EvaluationOptions options;
    options.keep_graph = true;
    options.mode = c.gpus <= 16 ? GraphMode::full : GraphMode::reduced;
    const Evaluation e =
        evaluate(c.model, c.training, c.parallel, *cluster, topology, c.gpus, options);
    EXPECT_TRUE(e.result.has_value()) << c.describe();
    if (!e.result) return {};
    const ConfigDescription desc{c.model, c.training, c.parallel, *cluster, c.gpus};
    return {step_result_json(*e.result, desc).dump(2),
            chrome_trace_json(e.graph->graph, *e.timeline)};
  };
  std::vector<std::pair<std::string, std::string>> first;
  for (const auto& c : configs)
    first.push_back(render(c));
  for (std::size_t i = configs.size(); i-- > 0;) {  // reverse order the second time
    const auto again = render(configs[i]);
    EXPECT_EQ(again.first, first[i].first) << "result JSON differs: " << configs[i].describe();
    EXPECT_TRUE(again.second == first[i].second)
        << "trace differs (" << again.second.size() << " vs " << first[i].second.size()
        << " bytes): " << configs[i].describe();
    EXPECT_GT(again.second.size(), 100u);
  }
}

TEST(PropertySimulator, DroppingDominatedLinksChangesNoTimeBitForBit) {
  // The solver leaves out links another link implies (sim/network/link_dominance.h); the claim is
  // that no rate moves by one bit. Random configurations on the DGX H100 fabric, reduced graphs
  // (where one rank's ring spans many idle replicas' links) and full ones, plus the Graph API mix.
  Rng rng(606);
  auto cluster = load_cluster("dgx-h100");
  ASSERT_TRUE(cluster.ok());
  SimulationOptions keep_all;
  keep_all.drop_dominated_links = false;
  for (int i = 0; i < 30; ++i) {
    const testing::RandomConfig c = testing::random_config(rng);
    const Topology topology = testing::build_topology(*cluster, c.gpus);
    for (GraphMode mode : {GraphMode::reduced, GraphMode::full}) {
      BuildResult built = build_step_graph(c.model, c.training, c.parallel, c.gpus, mode);
      ASSERT_TRUE(built.verdict.ok) << built.verdict.reason << ": " << c.describe();
      const SimulationResult dropped = simulate_graph(built.step->graph, *cluster, topology);
      const SimulationResult kept = simulate_graph(built.step->graph, *cluster, topology, keep_all);
      ASSERT_TRUE(dropped.completed) << dropped.stuck;
      EXPECT_EQ(fingerprint(dropped), fingerprint(kept)) << c.describe();
    }
  }
  const ClusterProfile mix_cluster = fingerprint_cluster();
  const Topology mix_topology = testing::build_topology(mix_cluster, 16);
  const Graph g = mixed_graph();
  EXPECT_EQ(fingerprint(simulate_graph(g, mix_cluster, mix_topology)),
            fingerprint(simulate_graph(g, mix_cluster, mix_topology, keep_all)));
}

}  // namespace
}  // namespace ptsim
