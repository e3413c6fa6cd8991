// Pipeline bubbles reproduced by simulation, against the closed forms of the literature:
//   GPipe (Huang et al. 2019, arXiv:1811.06965, section 2.3) and 1F1B / PipeDream-Flush
//   (Narayanan et al. 2021, arXiv:2104.04473, section 2.2.1): bubble = (p-1)/(m+p-1) of the step,
//   i.e. step = (m+p-1)(t_f+t_b) for p stages, m micro-batches and per-stage pass times t_f, t_b;
//   interleaved 1F1B with v model chunks per rank (same paper, section 2.2.2): bubble / ideal time
//   = (p-1)/(v m), the ideal time being m (t_f + t_b) of full-stage passes.
// The formulas assume free communication and equal stages, so the tests make communication free
// (zero bytes or bandwidths of 1e30 B/s, zero latencies) and compute constant.
//
// Two routes to the same timeline:
// (a) synthetic graphs built here with the Graph API from sim/workload/pipeline_schedule.h's
//     plans: one compute op per pass running one memory-bound kernel of a fixed time, zero-byte
//     sends and receives between positions. Only the simulator's semantics (in-order streams,
//     dependencies, send/recv matching) stand between the plan and the formula, so the agreement
//     is exact up to floating-point rounding (asserted to 1e-9 relative, far inside a 0.5% bound).
// (b) the workload builder (build_step_graph) on a hand-made uniform model, simulated on a cluster
//     whose communication is free. Stages then differ only by the embedding (first stage) and the
//     LM head and loss (last stage), which the formula does not model; see
//     BuilderStepsShowTheClosedFormBubble for the tolerance.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "sim/simulator.h"
#include "sim/workload/graph_builder.h"
#include "sim/workload/pipeline_schedule.h"
#include "tests/simulator/sim_fixtures.h"

namespace ptsim {
namespace {

using testing::build_topology;
using testing::free_network_cluster;
using testing::kernel_of_seconds;
using testing::uniform_model;

struct PassTimes {
  double forward_s = 0;
  double backward_s = 0;  // B and W together
};

// The plan's passes as a graph: per rank one compute stream, and separate send and receive streams
// for each direction of travel (activations forward, gradients backward), as Megatron's p2p
// communication does. A pass at position k waits for the receive of its input from position k-1
// (forward) or k+1 (backward); its output is sent on when it ends. Receives are posted in the order
// the rank consumes them and sends in the order it produces them; both follow the plan's order, so
// the in-order streams cannot deadlock.
Graph synthetic_pipeline_graph(const PipelinePlan& plan, const GpuProfile& gpu, PassTimes times) {
  PTSIM_CHECK(plan.directions.size() == 1, "synthetic pipeline: one direction of travel");
  const auto& positions = plan.directions[0];
  const int stages = static_cast<int>(positions.size());
  Graph g =
      testing::full_graph(plan.ranks, {"compute", "fwd_send", "fwd_recv", "bwd_send", "bwd_recv"});
  constexpr std::uint8_t kCompute = 0, kFwdSend = 1, kFwdRecv = 2, kBwdSend = 3, kBwdRecv = 4;
  const std::uint32_t fwd_kernel = g.intern_kernel(kernel_of_seconds(gpu, times.forward_s));
  const std::uint32_t bwd_kernel = g.intern_kernel(kernel_of_seconds(gpu, times.backward_s));
  const std::uint32_t label_f = g.intern_label("F{0} mb{1}");
  const std::uint32_t label_b = g.intern_label("B{0} mb{1}");
  const std::uint32_t label_p2p = g.intern_label("p2p {0} mb{1}");
  auto position_of = [&](int rank, int chunk) {
    for (int k = 0; k < stages; ++k) {
      if (positions[static_cast<std::size_t>(k)].rank == rank &&
          positions[static_cast<std::size_t>(k)].chunk == chunk) {
        return k;
      }
    }
    PTSIM_CHECK(false, "synthetic pipeline: (rank, chunk) holds no position");
    return -1;
  };
  // One match key per (micro-batch, receiving position, direction).
  auto match = [&](int mb, int k, bool backward) {
    return static_cast<std::uint32_t>((mb * stages + k) * 2 + (backward ? 1 : 0));
  };
  auto rank_at = [&](int k) {
    return static_cast<GraphRank>(positions[static_cast<std::size_t>(k)].rank);
  };
  for (int r = 0; r < plan.ranks; ++r) {
    const auto rank = static_cast<GraphRank>(r);
    for (const PipelineWork& w : plan.work[static_cast<std::size_t>(r)]) {
      PTSIM_CHECK(w.pass == Pass::forward || w.pass == Pass::backward,
                  "synthetic pipeline: forward and backward passes only");
      const int k = position_of(r, w.chunk);
      const bool backward = w.pass == Pass::backward;
      const int from = backward ? k + 1 : k - 1;
      const int to = backward ? k - 1 : k + 1;
      std::vector<OpId> deps;
      if (from >= 0 && from < stages) {
        deps.push_back(g.add_recv(rank, backward ? kBwdRecv : kFwdRecv, Category::pp, rank_at(from),
                                  match(w.micro_batch, k, backward), 0.0,
                                  OpLabel{label_p2p, k, w.micro_batch}, {}));
      }
      const OpId pass = g.add_compute_interned(
          rank, kCompute, Category::compute, backward ? bwd_kernel : fwd_kernel,
          OpLabel{backward ? label_b : label_f, k, w.micro_batch}, deps);
      if (to >= 0 && to < stages) {
        const OpId after[] = {pass};
        g.add_send(rank, backward ? kBwdSend : kFwdSend, Category::pp, rank_at(to),
                   match(w.micro_batch, to, backward), 0.0, OpLabel{label_p2p, to, w.micro_batch},
                   after);
      }
    }
  }
  return g;
}

struct BubbleCase {
  Schedule schedule;
  int pp;
  int vpp;
  int micro_batches;
  PassTimes chunk_times;  // per model chunk (a full stage is vpp chunks)
};

std::string case_name(const BubbleCase& c) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "%s p=%d v=%d m=%d tf=%g tb=%g", schedule_name(c.schedule), c.pp,
                c.vpp, c.micro_batches, c.chunk_times.forward_s, c.chunk_times.backward_s);
  return buf;
}

// Runs the plan as a synthetic graph; returns (step time, busiest rank's compute time).
std::pair<double, double> simulate_plan(const BubbleCase& c) {
  const ClusterProfile cluster = free_network_cluster();
  const Topology topology = build_topology(cluster, 8);
  const PipelinePlan plan = make_pipeline_plan(c.schedule, c.pp, c.vpp, c.micro_batches);
  const Graph g = synthetic_pipeline_graph(plan, cluster.gpu, c.chunk_times);
  const SimulationResult sim = simulate_graph(g, cluster, topology);
  EXPECT_TRUE(sim.completed) << case_name(c) << ": " << sim.stuck;
  // Every rank runs m x v forwards and as many backwards of one chunk each.
  const double busy =
      c.micro_batches * c.vpp * (c.chunk_times.forward_s + c.chunk_times.backward_s);
  return {sim.step_time_s, busy};
}

TEST(UnitPipelineBubble, GpipeAndOneFOneBBubbleIsPMinusOneOverMPlusPMinusOneOfTheStep) {
  // Huang et al. 2019 section 2.3; Narayanan et al. 2021 section 2.2.1: (p-1)/(m+p-1).
  // Backward twice the forward (the usual GEMM ratio) and equal to it: the form holds for both.
  std::vector<BubbleCase> cases;
  for (Schedule s : {Schedule::gpipe, Schedule::one_f_one_b}) {
    for (int p : {2, 4, 8}) {
      for (int m : {1, 2, p, 2 * p + 1, 4 * p}) {
        for (PassTimes t : {PassTimes{1e-3, 2e-3}, PassTimes{1.5e-3, 1.5e-3}}) {
          cases.push_back({s, p, 1, m, t});
        }
      }
    }
  }
  for (const BubbleCase& c : cases) {
    const auto [step, busy] = simulate_plan(c);
    const double expected = static_cast<double>(c.pp - 1) / (c.micro_batches + c.pp - 1);
    const double measured = (step - busy) / step;
    // Exact schedule arithmetic; 1e-9 relative covers rounding in the sums of pass times.
    EXPECT_NEAR(measured, expected, 1e-9 * std::max(expected, 1e-3)) << case_name(c);
    EXPECT_NEAR(step,
                (c.micro_batches + c.pp - 1) * (c.chunk_times.forward_s + c.chunk_times.backward_s),
                1e-9 * step)
        << case_name(c);
  }
}

TEST(UnitPipelineBubble, InterleavedBubbleIsPMinusOneOverVMOfTheIdealTime) {
  // Narayanan et al. 2021 section 2.2.2: bubble / ideal = (1/v)(p-1)/m, m a multiple of p (the
  // schedule's requirement, config_rules "interleaved_microbatches").
  for (int p : {2, 4}) {
    for (int v : {2, 3, 4}) {
      for (int m : {p, 2 * p, 4 * p}) {
        for (PassTimes t : {PassTimes{0.5e-3, 1e-3}, PassTimes{0.8e-3, 0.8e-3}}) {
          const BubbleCase c{Schedule::interleaved, p, v, m, t};
          const auto [step, ideal] = simulate_plan(c);
          const double expected = static_cast<double>(p - 1) / (v * m);
          const double measured = (step - ideal) / ideal;
          EXPECT_NEAR(measured, expected, 1e-9 * expected) << case_name(c);
        }
      }
    }
  }
}

TEST(UnitPipelineBubble, InterleavingShrinksTheBubbleByV) {
  // Same p, m and full-stage times: the interleaved bubble is the 1F1B bubble divided by v
  // (Narayanan et al. 2021, section 2.2.2).
  const int p = 4;
  const int m = 8;
  const PassTimes stage{2e-3, 4e-3};
  const auto [step_1f1b, busy_1f1b] = simulate_plan({Schedule::one_f_one_b, p, 1, m, stage});
  for (int v : {2, 4}) {
    const PassTimes chunk{stage.forward_s / v, stage.backward_s / v};
    const auto [step_int, busy_int] = simulate_plan({Schedule::interleaved, p, v, m, chunk});
    EXPECT_NEAR(busy_int, busy_1f1b, 1e-12);
    EXPECT_NEAR((step_int - busy_int) * v, step_1f1b - busy_1f1b, 1e-9 * step_1f1b) << "v=" << v;
  }
}

// ---------------------------------------------------------------------------------------------
// (b) Through the workload builder.

struct BuilderRun {
  double pipeline_s = 0;       // end of the last forward/backward compute op over all ranks
  std::vector<double> busy_s;  // per pipeline rank: compute-category op time (no optimizer)
};

BuilderRun run_builder(Schedule schedule, int pp, int vpp, int micro_batches, int layers) {
  const ModelSpec model = uniform_model(layers);
  TrainingConfig training;
  training.seq_len = 1024;
  training.global_batch = micro_batches;
  ParallelConfig parallel;
  parallel.pp = pp;
  parallel.vpp = vpp;
  parallel.schedule = schedule;
  parallel.micro_batch = 1;
  const ClusterProfile cluster = free_network_cluster();
  const Topology topology = build_topology(cluster, 8);
  BuildResult built = build_step_graph(model, training, parallel, pp, GraphMode::full);
  EXPECT_TRUE(built.verdict.ok) << built.verdict.rule << ": " << built.verdict.reason;
  BuilderRun out;
  if (!built.step) return out;
  const Graph& g = built.step->graph;
  const SimulationResult sim = simulate_graph(g, cluster, topology);
  EXPECT_TRUE(sim.completed) << sim.stuck;
  out.busy_s.assign(static_cast<std::size_t>(pp), 0.0);
  for (OpId i = 0; i < g.op_count(); ++i) {
    const Op& op = g.op(i);
    if (op.kind != OpKind::compute || op.category != Category::compute) continue;
    out.pipeline_s = std::max(out.pipeline_s, sim.op_end_s[i]);
    out.busy_s[static_cast<std::size_t>(built.step->pipeline_rank[op.rank])] +=
        sim.op_end_s[i] - sim.op_start_s[i];
  }
  return out;
}

TEST(UnitPipelineBubble, BuilderStepsShowTheClosedFormBubble) {
  // The same closed forms through build_step_graph + simulate_graph, with communication free.
  // The pipeline part of the step is measured up to the end of the last forward/backward compute
  // op (the optimizer step after it is not pipelined). The ideal time is the least loaded rank's
  // compute, which is m (t_f + t_b) of a stage of identical layers.
  //
  // Tolerance: the first stage also runs the embedding and the last the LM head and loss. With
  // extra work e per micro-batch on an end stage (imbalance delta = e / (t_f + t_b) of a stage),
  // the pipeline time grows by at most about (m + p - 1) e (the slowest stage paces the whole
  // pipeline in the worst case), so the bubble fraction moves by at most about delta. The test
  // measures delta from the timeline (busiest rank's compute over the least loaded one's, minus 1)
  // and allows delta + 0.5%.
  struct Case {
    Schedule schedule;
    int pp, vpp, m, layers;
  };
  const std::vector<Case> cases = {
      {Schedule::gpipe, 4, 1, 8, 16},        {Schedule::gpipe, 4, 1, 16, 16},
      {Schedule::one_f_one_b, 4, 1, 8, 16},  {Schedule::one_f_one_b, 4, 1, 16, 16},
      {Schedule::one_f_one_b, 8, 1, 16, 32}, {Schedule::interleaved, 4, 2, 8, 16},
      {Schedule::interleaved, 4, 2, 16, 32}, {Schedule::interleaved, 2, 4, 8, 16},
  };
  for (const Case& c : cases) {
    const BuilderRun run = run_builder(c.schedule, c.pp, c.vpp, c.m, c.layers);
    ASSERT_EQ(run.busy_s.size(), static_cast<std::size_t>(c.pp));
    // The least loaded rank: a middle rank (layers only) when p > 2.
    const double ideal = *std::min_element(run.busy_s.begin(), run.busy_s.end());
    const double heaviest = *std::max_element(run.busy_s.begin(), run.busy_s.end());
    const double delta = heaviest / ideal - 1;
    const std::string name = std::string(schedule_name(c.schedule)) + " p=" + std::to_string(c.pp) +
                             " v=" + std::to_string(c.vpp) + " m=" + std::to_string(c.m);
    if (c.schedule == Schedule::interleaved) {
      const double expected = static_cast<double>(c.pp - 1) / (c.vpp * c.m);
      const double measured = (run.pipeline_s - ideal) / ideal;
      EXPECT_NEAR(measured, expected, delta + 0.005) << name << " delta=" << delta;
    } else {
      const double expected = static_cast<double>(c.pp - 1) / (c.m + c.pp - 1);
      const double measured = (run.pipeline_s - ideal) / run.pipeline_s;
      EXPECT_NEAR(measured, expected, delta + 0.005) << name << " delta=" << delta;
    }
    // The imbalance the tolerance allows for must stay small, or the test proves nothing.
    EXPECT_LT(delta, 0.02) << name;
  }
}

}  // namespace
}  // namespace ptsim
