// Every step the builder emits must run to the end: a step graph that deadlocks (an op that never
// becomes ready) is a bug in the builder, which simulate_graph reports as completed = false and
// evaluate() turns into a failed PTSIM_CHECK. These tests sweep the schedules and the framework
// overlap options on a small mixture-of-experts model, where every option has something to do.
#include <gtest/gtest.h>

#include <string>

#include "hardware_profiles/catalogue.h"
#include "sim/simulator.h"
#include "sim/workload/config_rules.h"
#include "sim/workload/graph_builder.h"
#include "sim/workload/rank_layout.h"
#include "tests/simulator/sim_fixtures.h"

namespace ptsim {
namespace {

// Mixtral style: every layer MoE, top-2 of 4 experts.
ModelSpec small_moe(int layers = 8) {
  ModelSpec m;
  m.name = "moe-completion";
  m.architecture = Architecture::mixtral;
  m.layers = layers;
  m.hidden = 256;
  m.heads = 8;
  m.kv_heads = 4;
  m.head_dim = 32;
  m.ffn_hidden = 512;
  m.vocab = 1000;
  m.moe.num_experts = 4;
  m.moe.top_k = 2;
  m.moe.expert_ffn_hidden = 512;
  return m;
}

struct Completion {
  bool ran = false;  // the configuration is valid and was simulated
  bool completed = false;
  std::string stuck;
};

Completion run_step(Schedule schedule, int pp, int micro_batches, bool ep_a2a_overlap,
                    bool tp_comm_overlap, bool overlap_grad_reduce, int layers = 8,
                    std::uint8_t recompute_modules = 0) {
  const ModelSpec model = small_moe(layers);
  TrainingConfig training;
  training.seq_len = 512;
  training.global_batch = micro_batches * 2;
  ParallelConfig p;
  p.tp = 2;
  p.pp = pp;
  p.dp = 2;
  p.ep = 2;
  p.sequence_parallel = true;
  p.schedule = schedule;
  p.vpp = schedule == Schedule::interleaved ? 2 : 1;
  p.ep_a2a_overlap = ep_a2a_overlap;
  p.tp_comm_overlap = tp_comm_overlap;
  p.overlap_grad_reduce = overlap_grad_reduce;
  if (recompute_modules != 0) {
    p.recompute = Recompute::selective;
    p.recompute_modules = recompute_modules;
  }
  const int gpus = p.world_size();
  Completion out;
  if (!check_config(model, training, p, gpus).ok) return out;
  const ClusterProfile cluster = testing::ideal_cluster();
  const Topology topology = testing::build_topology(cluster, gpus);
  const BuildResult built = build_step_graph(model, training, p, gpus, GraphMode::reduced);
  if (!built.step) return out;
  const SimulationResult sim = simulate_graph(built.step->graph, cluster, topology);
  out.ran = true;
  out.completed = sim.completed;
  out.stuck = sim.stuck;
  return out;
}

std::string describe(Schedule s, int pp, int m, bool a2a, bool tp, bool grad) {
  return std::string(schedule_name(s)) + " pp " + std::to_string(pp) + " m " + std::to_string(m) +
         " ep-a2a-overlap " + (a2a ? "on" : "off") + " tp-comm-overlap " + (tp ? "on" : "off") +
         " overlap-grad-reduce " + (grad ? "on" : "off");
}

TEST(UnitStepCompletion, EveryScheduleCompletesWithEveryOverlapOption) {
  int ran = 0;
  for (Schedule s : {Schedule::gpipe, Schedule::one_f_one_b, Schedule::interleaved, Schedule::zb_h1,
                     Schedule::dualpipe}) {
    for (int pp : {2, 4}) {
      for (int m : {1, 2, 4, 8, 16}) {
        for (bool a2a : {false, true}) {
          for (bool tp : {false, true}) {
            for (bool grad : {false, true}) {
              const Completion c = run_step(s, pp, m, a2a, tp, grad);
              if (!c.ran) continue;
              ++ran;
              EXPECT_TRUE(c.completed) << describe(s, pp, m, a2a, tp, grad) << ": " << c.stuck;
            }
          }
        }
      }
    }
  }
  EXPECT_GT(ran, 150);  // most combinations are valid configurations
}

// Selective recomputation of the MoE block re-runs its dispatch and combine inside the backward,
// beside the backward's own all-to-alls (and, with ep-a2a-overlap, another micro-batch's forward).
TEST(UnitStepCompletion, EveryScheduleCompletesWhenTheMoeBlockIsRecomputed) {
  int ran = 0;
  for (std::uint8_t modules :
       {std::uint8_t{kRecomputeLayernorm | kRecomputeMoe | kRecomputeCoreAttn},
        std::uint8_t{kRecomputeMoeAct}}) {
    for (Schedule s : {Schedule::gpipe, Schedule::one_f_one_b, Schedule::interleaved,
                       Schedule::zb_h1, Schedule::dualpipe}) {
      for (int pp : {2, 4}) {
        for (int m : {1, 4, 8}) {
          for (bool a2a : {false, true}) {
            const Completion c = run_step(s, pp, m, a2a, true, true, 8, modules);
            if (!c.ran) continue;
            ++ran;
            EXPECT_TRUE(c.completed) << describe(s, pp, m, a2a, true, true) << " recompute "
                                     << recompute_modules_name(modules) << ": " << c.stuck;
          }
        }
      }
    }
  }
  EXPECT_GT(ran, 40);
}

// DualPipe's two directions send to opposite neighbours. With one send and one receive stream per
// pass kind, a rank's sends to its two peers queue behind each other in its own pass order, which
// its peers' receive order does not follow once the steady state interleaves the directions: 16
// stages with 64 micro-batches deadlocked (Qwen3-235B tp4 pp16 dp4 ep8 in the planner). Each
// direction now has its own streams.
TEST(UnitStepCompletion, LongDualPipeSchedulesComplete) {
  for (int pp : {8, 16}) {
    for (int m : {2 * pp, 64, 128}) {
      for (bool a2a : {false, true}) {
        const Completion c = run_step(Schedule::dualpipe, pp, m, a2a, false, true, 2 * pp);
        ASSERT_TRUE(c.ran) << describe(Schedule::dualpipe, pp, m, a2a, false, true);
        EXPECT_TRUE(c.completed) << describe(Schedule::dualpipe, pp, m, a2a, false, true) << ": "
                                 << c.stuck.substr(0, 300);
      }
    }
  }
}

// With --ep-a2a-overlap on, GPipe's turn-around (forward and backward of micro-batch m-1, the
// backward waiting for a gradient that needs this very forward to reach the last stage) must run
// unpaired; pairing it deadlocked every m (sim/workload/overlap_pairing.h).
TEST(UnitStepCompletion, EpA2aOverlapWithGpipeCompletes) {
  for (int pp : {2, 4}) {
    for (int m : {1, 4, 8}) {
      const Completion c = run_step(Schedule::gpipe, pp, m, true, false, true);
      ASSERT_TRUE(c.ran);
      EXPECT_TRUE(c.completed) << describe(Schedule::gpipe, pp, m, true, false, true) << ": "
                               << c.stuck;
    }
  }
}

// The same when the warm-up is clipped to the whole step on adjacent ranks: 1F1B with fewer
// micro-batches than stages (m < pp), and the interleaved schedule with m = pp. Pairing adjacent
// ranks' last forward with their first backward would make rank r's backward wait for rank r+1's,
// which sits behind rank r+1's forward, which waits for rank r's forward, which sits behind rank
// r's backward.
TEST(UnitStepCompletion, EpA2aOverlapWithAClippedWarmUpCompletes) {
  struct Case {
    Schedule schedule;
    int pp, m;
  };
  for (const Case& c : {Case{Schedule::one_f_one_b, 2, 1}, Case{Schedule::one_f_one_b, 4, 1},
                        Case{Schedule::one_f_one_b, 4, 2}, Case{Schedule::one_f_one_b, 4, 3},
                        Case{Schedule::interleaved, 4, 4}}) {
    const Completion r = run_step(c.schedule, c.pp, c.m, true, false, true);
    ASSERT_TRUE(r.ran);
    EXPECT_TRUE(r.completed) << describe(c.schedule, c.pp, c.m, true, false, true) << ": "
                             << r.stuck;
  }
}

// A mixture-of-experts rank order with pp inside another dimension gives the expert layout other
// pipeline groups than the decoder's (8 GPUs, tp 4, pp 2, order "tp-pp-cp-ep-dp": pp groups
// {0,4} {1,5} {2,6} {3,7}, expert-data-parallel groups {0,2,4,6} {1,3,5,7}), so expert groups
// would span stages. Megatron-Core asserts the two layouts' pipeline groups agree; check_config
// rejects the order, and every MoE order it accepts keeps expert groups inside one stage and
// completes.
TEST(UnitStepCompletion, MoeRankOrdersKeepExpertGroupsInOneStageOrAreRejected) {
  const ModelSpec model = small_moe();
  TrainingConfig training;
  training.seq_len = 512;
  training.global_batch = 4;
  int accepted = 0, rejected = 0;
  for (const char* order :
       {"tp-pp-cp-ep-dp", "tp-cp-ep-dp-pp", "pp-tp-cp-ep-dp", "tp-cp-pp-ep-dp", "tp-ep-cp-dp-pp"}) {
    ParallelConfig p;
    p.tp = 4;
    p.pp = 2;
    p.dp = 1;
    p.sequence_parallel = true;
    p.zero_stage = 3;
    p.rank_order = order;
    SCOPED_TRACE(order);
    const Verdict v = check_config(model, training, p, 8);
    auto layout = RankLayout::make(p);
    ASSERT_TRUE(layout.ok()) << layout.error().one_line();
    std::vector<int> stage(8, -1);
    for (const auto& group : layout->pp_groups()) {
      for (std::size_t i = 0; i < group.size(); ++i)
        stage[static_cast<std::size_t>(group[i])] = static_cast<int>(i);
    }
    bool spans = false;
    for (const auto& group : layout->edp_groups()) {
      for (int r : group)
        spans |= stage[static_cast<std::size_t>(r)] != stage[static_cast<std::size_t>(group[0])];
    }
    if (!v.ok) {
      EXPECT_EQ(v.rule, "expert_pipeline_groups") << v.reason;
      EXPECT_TRUE(spans) << "rejected an order whose expert groups stay in one stage";
      ++rejected;
      continue;
    }
    EXPECT_FALSE(spans);
    ++accepted;
    const BuildResult built = build_step_graph(model, training, p, 8, GraphMode::reduced);
    ASSERT_TRUE(built.step.has_value()) << built.verdict.reason;
    const ClusterProfile cluster = testing::ideal_cluster();
    const Topology topology = testing::build_topology(cluster, 8);
    const SimulationResult sim = simulate_graph(built.step->graph, cluster, topology);
    EXPECT_TRUE(sim.completed) << sim.stuck;
  }
  EXPECT_GE(accepted, 2);
  EXPECT_GE(rejected, 1);
}

// A network-level regression: when a flow finished and its instance's next phase started a flow
// that took over the finished flow's index, the next finished flow in the same batch was credited
// to the wrong collective, completing one op twice and skipping another; the step then stalled.
// Seen on this DualPipe step on dgx-a100 (the shipped profile's timing), with full recompute.
TEST(UnitStepCompletion, FlowsFinishingTogetherCompleteTheirOwnCollectives) {
  ModelSpec m;
  m.name = "gpt-regression";
  m.architecture = Architecture::gpt2;
  m.layers = 5;
  m.hidden = 512;
  m.heads = 8;
  m.kv_heads = 8;
  m.head_dim = 64;
  m.ffn_hidden = 2048;
  m.vocab = 32000;
  m.max_positions = 1024;
  m.mlp = MlpKind::gelu;
  m.norm = NormKind::layernorm;
  m.position = PositionKind::learned;
  m.tied_embeddings = true;
  m.dropout = true;
  TrainingConfig training;
  training.seq_len = 1024;
  training.global_batch = 64;
  ParallelConfig p;
  p.tp = 4;
  p.pp = 2;
  p.dp = 4;
  p.micro_batch = 2;
  p.sequence_parallel = true;
  p.recompute = Recompute::full;
  p.schedule = Schedule::dualpipe;
  ASSERT_TRUE(check_config(m, training, p, 32).ok);
  auto cluster = load_cluster("dgx-a100");
  ASSERT_TRUE(cluster.ok());
  const Topology topology = testing::build_topology(*cluster, 32);
  const BuildResult built = build_step_graph(m, training, p, 32, GraphMode::reduced);
  ASSERT_TRUE(built.step.has_value()) << built.verdict.reason;
  const SimulationResult sim = simulate_graph(built.step->graph, *cluster, topology);
  EXPECT_TRUE(sim.completed) << sim.stuck;
}

}  // namespace
}  // namespace ptsim
