// bench: prints the performance figures the README quotes. Not a test: it measures and reports.
//   bench graph   graph build time and op count (llama3-70b on 512 GPUs, llama3-405b on 16,384)
#include <chrono>
#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>

#include "sim/workload/graph_builder.h"
#include "sim/workload/presets.h"

namespace {

using Clock = std::chrono::steady_clock;

struct GraphCase {
  const char* label;
  const char* model;
  int gpus;
  int seq_len;
  int global_batch;
  ptsim::ParallelConfig p;
};

ptsim::ParallelConfig layout(int tp, int pp, int dp, int cp, int vpp = 1) {
  ptsim::ParallelConfig p;
  p.tp = tp;
  p.pp = pp;
  p.dp = dp;
  p.cp = cp;
  p.vpp = vpp;
  p.sequence_parallel = tp > 1;
  p.zero_stage = 1;
  p.recompute = ptsim::Recompute::none;
  p.schedule = vpp > 1 ? ptsim::Schedule::interleaved : ptsim::Schedule::one_f_one_b;
  return p;
}

int bench_graph(bool include_huge_full) {
  const GraphCase cases[] = {
      {"llama3-70b   512 GPUs  tp8 pp4 dp16", "llama3-70b", 512, 8192, 2048, layout(8, 4, 16, 1)},
      {"llama3-405b 16384 GPUs tp8 pp16 dp128", "llama3-405b", 16384, 8192, 2048,
       layout(8, 16, 128, 1)},
      {"llama3-405b 16384 GPUs tp8 pp16 cp16 dp8", "llama3-405b", 16384, 131072, 128,
       layout(8, 16, 8, 16)},
  };
  std::printf("# graph build: wall time (median of repetitions) and size\n");
  std::printf("# %-42s %-8s %12s %12s %12s\n", "case", "mode", "build", "ops", "graph ranks");
  std::printf("# %-42s %-8s %12s %12s %12s\n", "", "", "(ms)", "", "");
  for (const auto& c : cases) {
    auto model = ptsim::load_model(c.model);
    if (!model) {
      std::fprintf(stderr, "bench: %s\n", model.error().one_line().c_str());
      return 2;
    }
    ptsim::TrainingConfig t;
    t.seq_len = c.seq_len;
    t.global_batch = c.global_batch;
    for (auto mode : {ptsim::GraphMode::reduced, ptsim::GraphMode::full}) {
      const bool full = mode == ptsim::GraphMode::full;
      if (full && c.gpus > 4096 && !include_huge_full) {
        std::printf("  %-42s %-8s %12s %12s %12s\n", c.label, "full", "skipped", "-", "-");
        continue;
      }
      const int reps = full ? 1 : 9;
      std::vector<double> ms;
      std::size_t ops = 0, ranks = 0;
      for (int i = 0; i < reps; ++i) {
        const auto start = Clock::now();
        auto built = ptsim::build_step_graph(*model, t, c.p, c.gpus, mode);
        const auto stop = Clock::now();
        if (!built.verdict.ok) {
          std::fprintf(stderr, "bench: %s: %s\n", c.label, built.verdict.reason.c_str());
          return 2;
        }
        ops = built.step->graph.op_count();
        ranks = built.step->graph.rank_count();
        ms.push_back(std::chrono::duration<double, std::milli>(stop - start).count());
      }
      std::sort(ms.begin(), ms.end());
      std::printf("  %-42s %-8s %12.2f %12zu %12zu\n", c.label, full ? "full" : "reduced",
                  ms[ms.size() / 2], ops, ranks);
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"bench: performance figures of ptsim (graph build, engine, simulate, planner)."};
  app.require_subcommand(1);
  auto* graph = app.add_subcommand("graph", "graph build time and op count");
  bool huge = false;
  graph->add_flag("--full-16k", huge, "also build the full (every GPU) 16,384-GPU graphs");
  CLI11_PARSE(app, argc, argv);
  if (*graph) return bench_graph(huge);
  return 0;
}
