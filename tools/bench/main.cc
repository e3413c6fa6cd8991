// bench: prints the performance figures the README quotes. Not a test: it measures and reports.
//   bench graph      graph build time and op count
//   bench simulate   one simulated step split into graph build and simulation, events per second
// The engine's raw event rate and the bandwidth-sharing solver are in bench_network.
#include <CLI/CLI.hpp>
#include <string>

#include "common/tool_main.h"
#include "tools/bench/sections.h"

namespace {

int tool_main(int argc, char** argv) {
  CLI::App app{
      "bench: performance figures of ptsim: graph build (bench graph) and one simulated step "
      "(bench simulate) of llama3-70b on 512 GPUs and llama3-405b on 16,384 GPUs, on one core."};
  app.require_subcommand(1);
  app.footer(
      "Examples:\n"
      "  bench graph\n"
      "  bench simulate\n"
      "  bench simulate --reduced-only --repetitions 31\n"
      "  bench simulate --reduced-only --only 70b --repetitions 101\n"
      "  bench simulate --full-16k --repetitions 3");
  auto* graph = app.add_subcommand("graph", "graph build time and op count");
  bool graph_huge = false;
  graph->add_flag("--full-16k", graph_huge, "also build the full (every GPU) 16,384-GPU graphs");
  auto* sim = app.add_subcommand("simulate", "one step: build and simulation wall time, events");
  bool sim_huge = false;
  bool reduced_only = false;
  int repetitions = 9;
  std::string only;
  sim->add_flag("--full-16k", sim_huge, "also simulate the full (every GPU) 16,384-GPU graphs");
  sim->add_flag("--reduced-only", reduced_only, "skip every full graph (reduced cases only)");
  sim->add_option("--repetitions", repetitions, "repetitions of the reduced cases (median)")
      ->check(CLI::Range(1, 1000));
  sim->add_option("--only", only, "only the cases whose label contains this text (e.g. 70b)");
  CLI11_PARSE(app, argc, argv);
  if (*graph) return ptsim::bench::graph(graph_huge);
  if (*sim) return ptsim::bench::simulate(sim_huge, reduced_only, repetitions, only);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return ptsim::run_guarded("bench", [&] { return tool_main(argc, argv); });
}
