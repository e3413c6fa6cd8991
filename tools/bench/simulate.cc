#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "hardware_profiles/catalogue.h"
#include "sim/network/topology.h"
#include "sim/simulator.h"
#include "sim/workload/graph_builder.h"
#include "sim/workload/presets.h"
#include "tools/bench/bench_cases.h"
#include "tools/bench/sections.h"

namespace ptsim::bench {

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int simulate(bool include_huge_full, bool reduced_only, int repetitions, const std::string& only) {
  auto cluster = load_cluster("dgx-h100");
  if (!cluster) {
    std::fprintf(stderr, "bench: %s\n", cluster.error().one_line().c_str());
    return 2;
  }
  std::printf("# simulate: one step on dgx-h100, wall time per phase (median of %d; full: 1)\n",
              repetitions);
  std::printf("# %-42s %-8s %10s %10s %10s %10s %10s %10s %10s\n", "case", "mode", "topology",
              "build", "simulate", "total", "ops", "events", "rate");
  std::printf("# %-42s %-8s %10s %10s %10s %10s %10s %10s %10s\n", "", "", "(ms)", "(ms)", "(ms)",
              "(ms)", "(count)", "(count)", "(Mev/s)");
  for (const Case& c : readme_cases()) {
    if (!only.empty() && c.label.find(only) == std::string::npos) continue;
    auto model = load_model(c.model);
    if (!model) {
      std::fprintf(stderr, "bench: %s\n", model.error().one_line().c_str());
      return 2;
    }
    TrainingConfig t;
    t.seq_len = c.seq_len;
    t.global_batch = c.global_batch;
    const auto topo_start = Clock::now();
    auto topology = Topology::build(*cluster, c.gpus);
    const double topology_ms = ms_since(topo_start);
    if (!topology) {
      std::fprintf(stderr, "bench: %s\n", topology.error().one_line().c_str());
      return 2;
    }
    for (auto mode : {GraphMode::reduced, GraphMode::full}) {
      const bool full = mode == GraphMode::full;
      if (full && (reduced_only || (c.gpus > 4096 && !include_huge_full))) {
        std::printf("  %-42s %-8s %10s %10s %10s %10s %10s %10s %10s\n", c.label.c_str(), "full",
                    "-", "skipped", "-", "-", "-", "-", "-");
        continue;
      }
      const int reps = full ? 1 : repetitions;
      std::vector<double> build_ms, sim_ms, total_ms;
      std::size_t ops = 0;
      std::uint64_t events = 0;
      double step_s = 0;
      for (int i = 0; i < reps; ++i) {
        const auto start = Clock::now();
        auto built = build_step_graph(*model, t, c.parallel, c.gpus, mode);
        const double b = ms_since(start);
        if (!built.verdict.ok) {
          std::fprintf(stderr, "bench: %s: %s\n", c.label.c_str(), built.verdict.reason.c_str());
          return 2;
        }
        const auto sim_start = Clock::now();
        const SimulationResult sim = simulate_graph(built.step->graph, *cluster, *topology);
        const double s = ms_since(sim_start);
        if (!sim.completed) {
          std::fprintf(stderr, "bench: %s: simulation did not complete: %s\n", c.label.c_str(),
                       sim.stuck.c_str());
          return 1;
        }
        build_ms.push_back(b);
        sim_ms.push_back(s);
        total_ms.push_back(b + s);
        ops = built.step->graph.op_count();
        events = sim.events;
        step_s = sim.step_time_s;
      }
      const double s = median(sim_ms);
      std::printf("  %-42s %-8s %10.1f %10.1f %10.1f %10.1f %10zu %10llu %10.2f   step %.3f s\n",
                  c.label.c_str(), full ? "full" : "reduced", topology_ms, median(build_ms), s,
                  median(total_ms), ops, static_cast<unsigned long long>(events),
                  s > 0 ? static_cast<double>(events) / s / 1e3 : 0.0, step_s);
    }
  }
  return 0;
}

}  // namespace ptsim::bench
