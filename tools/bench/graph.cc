#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

#include "sim/workload/graph_builder.h"
#include "sim/workload/presets.h"
#include "tools/bench/bench_cases.h"
#include "tools/bench/sections.h"

namespace ptsim::bench {

int graph(bool include_huge_full) {
  using Clock = std::chrono::steady_clock;
  std::printf("# graph build: wall time (median of repetitions) and size\n");
  std::printf("# %-42s %-8s %12s %12s %12s\n", "case", "mode", "build", "ops", "graph ranks");
  std::printf("# %-42s %-8s %12s %12s %12s\n", "", "", "(ms)", "", "");
  for (const Case& c : readme_cases()) {
    auto model = load_model(c.model);
    if (!model) {
      std::fprintf(stderr, "bench: %s\n", model.error().one_line().c_str());
      return 2;
    }
    TrainingConfig t;
    t.seq_len = c.seq_len;
    t.global_batch = c.global_batch;
    for (auto mode : {GraphMode::reduced, GraphMode::full}) {
      const bool full = mode == GraphMode::full;
      if (full && c.gpus > 4096 && !include_huge_full) {
        std::printf("  %-42s %-8s %12s %12s %12s\n", c.label.c_str(), "full", "skipped", "-", "-");
        continue;
      }
      const int reps = full ? 1 : 9;
      std::vector<double> ms;
      std::size_t ops = 0, ranks = 0;
      for (int i = 0; i < reps; ++i) {
        const auto start = Clock::now();
        auto built = build_step_graph(*model, t, c.parallel, c.gpus, mode);
        const auto stop = Clock::now();
        if (!built.verdict.ok) {
          std::fprintf(stderr, "bench: %s: %s\n", c.label.c_str(), built.verdict.reason.c_str());
          return 2;
        }
        ops = built.step->graph.op_count();
        ranks = built.step->graph.rank_count();
        ms.push_back(std::chrono::duration<double, std::milli>(stop - start).count());
      }
      std::sort(ms.begin(), ms.end());
      std::printf("  %-42s %-8s %12.2f %12zu %12zu\n", c.label.c_str(), full ? "full" : "reduced",
                  ms[ms.size() / 2], ops, ranks);
    }
  }
  return 0;
}

}  // namespace ptsim::bench
