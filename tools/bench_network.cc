// bench_network: speed figures for the discrete-event engine, the max-min bandwidth sharing and the
// topology (a benchmark that prints figures, not a test). Wall-clock time on one core.
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "common/rng.h"
#include "common/tool_main.h"
#include "hardware_profiles/cluster_profile.h"
#include "sim/engine/engine.h"
#include "sim/network/link_sharing.h"
#include "sim/network/topology.h"

namespace ptsim {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Resident set size in bytes from /proc/self/statm (Linux); 0 where unavailable.
double resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  double pages_total = 0;
  double pages_resident = 0;
  if (!(statm >> pages_total >> pages_resident)) return 0;
  return pages_resident * 4096.0;
}

// DGX H100 SuperPOD-like fabric (CALIBRATION_NOTES 5.2-5.3): 8 GPUs per NVSwitch node at 450 GB/s,
// 50 GB/s NIC per GPU, 32 nodes per scalable unit, non-blocking.
ClusterProfile dgx_h100_like() {
  ClusterProfile c;
  c.name = "bench-dgx-h100";
  c.gpus_per_node = 8;
  c.nvlink_domain_gpus = 8;
  c.nvlink_bandwidth_bytes_per_s = 450e9;
  c.nic_bandwidth_bytes_per_s = 50e9;
  c.nodes_per_scalable_unit = 32;
  c.oversubscription = 1.0;
  c.nvlink_latency_s = 1e-6;
  c.nic_latency_s = 2e-6;
  c.switch_latency_s = 0.5e-6;
  return c;
}

// ---- engine ------------------------------------------------------------------------------------

struct PodContext;
// A small trivially copyable handler (a pointer and an index), stored inline in the heap.
struct PodHandler {
  PodContext* context;
  std::uint64_t index;
  void operator()() const;
};

struct PodContext {
  BasicEngine<PodHandler>* engine;
  Rng rng;
  std::uint64_t budget;
};

void PodHandler::operator()() const {
  if (context->budget == 0) return;
  --context->budget;
  context->engine->schedule_after(context->rng.uniform01() * 1e-3, PodHandler{context, index + 1});
}

struct EngineFigure {
  std::uint64_t events;
  double wall_s;
};

EngineFigure bench_engine_pod(int pending, std::uint64_t events, std::uint64_t seed) {
  BasicEngine<PodHandler> engine;
  engine.reserve(static_cast<std::size_t>(pending) + 1);
  PodContext context{&engine, Rng(seed), events};
  for (int i = 0; i < pending; ++i) {
    engine.schedule_at(context.rng.uniform01() * 1e-3,
                       PodHandler{&context, static_cast<std::uint64_t>(i)});
  }
  const auto start = Clock::now();
  engine.run();
  return {engine.events_processed(), seconds_since(start)};
}

EngineFigure bench_engine_function(int pending, std::uint64_t events, std::uint64_t seed) {
  Engine engine;
  Rng rng(seed);
  std::uint64_t budget = events;
  std::function<void()> handler = [&] {
    if (budget == 0) return;
    --budget;
    engine.schedule_after(rng.uniform01() * 1e-3, handler);
  };
  for (int i = 0; i < pending; ++i)
    engine.schedule_at(rng.uniform01() * 1e-3, handler);
  const auto start = Clock::now();
  engine.run();
  return {engine.events_processed(), seconds_since(start)};
}

void print_engine(std::uint64_t events, std::uint64_t seed) {
  std::printf("#\n# engine: ~1000 pending events, each handler schedules one new event\n");
  std::printf("#%-20s %10s %12s %10s %10s %10s\n", "handler", "pending", "events", "wall", "rate",
              "per_event");
  std::printf("#%-20s %10s %12s %10s %10s %10s\n", "", "(count)", "(count)", "(s)", "(Mev/s)",
              "(ns)");
  const int pending = 1000;
  const auto row = [&](const char* name, const EngineFigure& f) {
    std::printf(" %-20s %10d %12llu %10.3f %10.2f %10.1f\n", name, pending,
                static_cast<unsigned long long>(f.events), f.wall_s, f.events / f.wall_s / 1e6,
                f.wall_s / f.events * 1e9);
  };
  row("pod (16 B, inline)", bench_engine_pod(pending, events, seed));
  row("std::function", bench_engine_function(pending, events / 2, seed));
}

// ---- max-min sharing ---------------------------------------------------------------------------

// A random GPU pair on the topology, mixing traffic the way training does: 40% inside an NVLink
// domain (TP), 40% rail-aligned across nodes (DP/PP rings), 20% anywhere (PXN, all-to-all).
std::pair<int, int> random_pair(const Topology& t, Rng& rng) {
  const int src = static_cast<int>(rng.uniform_int(0, t.gpu_count() - 1));
  const double kind = rng.uniform01();
  int dst;
  if (kind < 0.4) {
    const int base = t.domain_of(src) * t.gpus_per_node();
    dst = base + static_cast<int>(rng.uniform_int(0, t.gpus_per_node() - 1));
  } else if (kind < 0.8) {
    dst = static_cast<int>(rng.uniform_int(0, t.node_count() - 1)) * t.gpus_per_node() +
          t.rail_of(src);
  } else {
    dst = static_cast<int>(rng.uniform_int(0, t.gpu_count() - 1));
  }
  if (dst == src) dst = (src + t.gpus_per_node()) % t.gpu_count();
  return {src, dst};
}

// Ring traffic as a training step makes it, on the first `gpus` GPUs: a DP ring on every rail
// (node i -> node i + 1, same rail) and a TP ring inside every node (GPU j -> GPU j + 1 on NVLink).
std::vector<std::pair<int, int>> ring_pairs(const Topology& t, int gpus) {
  std::vector<std::pair<int, int>> pairs;
  const int per_node = t.gpus_per_node();
  const int nodes = gpus / per_node;
  for (int node = 0; node < nodes; ++node) {
    for (int rail = 0; rail < per_node; ++rail) {
      const int gpu = node * per_node + rail;
      pairs.emplace_back(gpu, ((node + 1) % nodes) * per_node + rail);
      pairs.emplace_back(gpu, node * per_node + (rail + 1) % per_node);
    }
  }
  return pairs;
}

struct SharingFigure {
  std::uint64_t solves;
  double wall_s;
  double uses_per_flow;
  double flows_per_solve;
};

// Churn: N flows in flight; each event finishes the earliest flow(s) and starts as many new ones,
// so every event costs one solve with about N flows. With `pairs` empty the flows join random
// pairs; otherwise flow k runs on pairs[k] and a finished flow restarts on its own pair.
SharingFigure bench_sharing_churn(const Topology& t, LinkSharing::Recompute recompute, int flows,
                                  const std::vector<std::pair<int, int>>& pairs, int events,
                                  std::uint64_t seed) {
  Rng rng(seed);
  LinkSharing sharing(recompute);
  t.add_links_to(sharing);
  std::vector<LinkUse> uses;
  std::vector<std::size_t> pair_of_slot;
  std::uint64_t total_uses = 0;
  std::uint64_t started = 0;
  const auto start_one = [&](double now_s, std::size_t pair_index) {
    const auto [src, dst] = pairs.empty() ? random_pair(t, rng) : pairs[pair_index];
    uses.clear();
    append_link_uses(t.route(src, dst), 1.0, uses);
    total_uses += uses.size();
    ++started;
    const FlowId id = sharing.start_flow(now_s, uses, rng.uniform(1e6, 1e9));
    if (pair_of_slot.size() <= id.index) pair_of_slot.resize(id.index + 1);
    pair_of_slot[id.index] = pair_index;
  };
  for (int i = 0; i < flows; ++i)
    start_one(0, static_cast<std::size_t>(i));
  sharing.next_completion_s();  // solve the initial burst outside the timed loop
  const std::uint64_t solves_before = sharing.solves();
  const std::uint64_t solved_before = sharing.solved_flows();
  const auto start = Clock::now();
  for (int e = 0; e < events; ++e) {
    const double now_s = sharing.next_completion_s();
    for (const FlowId done : sharing.finish_due(now_s))
      start_one(now_s, pair_of_slot[done.index]);
  }
  sharing.next_completion_s();
  const std::uint64_t solves = sharing.solves() - solves_before;
  return {
      solves, seconds_since(start), static_cast<double>(total_uses) / static_cast<double>(started),
      static_cast<double>(sharing.solved_flows() - solved_before) / static_cast<double>(solves)};
}

void print_sharing(std::uint64_t seed) {
  const Topology t = Topology::build(dgx_h100_like(), 4096).value();
  std::printf("#\n# max-min sharing: churn on a %d-GPU rail-optimised fat tree (%zu links);\n",
              t.gpu_count(), t.link_count());
  std::printf("# each event ends the earliest flow and starts a new one (one solve per event).\n");
  std::printf("# random: 40%% NVLink pairs, 40%% same-rail pairs, 20%% any pair (PXN);\n");
  std::printf(
      "# rings: DP rings on every rail plus TP rings in every node of the first N/2 GPUs.\n");
  std::printf("# solved = flows a solve visits on average (all active ones when full)\n");
  std::printf("#%-8s %-12s %8s %10s %10s %10s %10s %12s %10s\n", "traffic", "recompute", "flows",
              "uses/flow", "solved", "solves", "wall", "rate", "per_solve");
  std::printf("#%-8s %-12s %8s %10s %10s %10s %10s %12s %10s\n", "", "", "(count)", "(count)",
              "(flows)", "(count)", "(s)", "(solves/s)", "(us)");
  struct Case {
    const char* traffic;
    int flows;
    int events;
  };
  for (const Case& c : std::vector<Case>{{"random", 10, 20000},
                                         {"random", 100, 20000},
                                         {"random", 1000, 2000},
                                         {"random", 10000, 200},
                                         {"rings", 128, 20000},
                                         {"rings", 1024, 20000},
                                         {"rings", 8192, 2000}}) {
    const bool rings = std::string(c.traffic) == "rings";
    const auto pairs = rings ? ring_pairs(t, c.flows / 2) : std::vector<std::pair<int, int>>{};
    for (const auto recompute :
         {LinkSharing::Recompute::full, LinkSharing::Recompute::incremental}) {
      const SharingFigure f = bench_sharing_churn(t, recompute, c.flows, pairs, c.events, seed);
      std::printf(" %-8s %-12s %8d %10.2f %10.1f %10llu %10.3f %12.0f %10.2f\n", c.traffic,
                  recompute == LinkSharing::Recompute::full ? "full" : "incremental", c.flows,
                  f.uses_per_flow, f.flows_per_solve, static_cast<unsigned long long>(f.solves),
                  f.wall_s, f.solves / f.wall_s, f.wall_s / f.solves * 1e6);
    }
  }
}

// ---- topology ----------------------------------------------------------------------------------

void print_topology(std::uint64_t seed) {
  std::printf("#\n# topology: build (Boost adjacency_list + link blocks) and routing\n");
  std::printf("#%-10s %10s %10s %10s %10s %12s %10s\n", "gpus", "vertices", "links", "build",
              "memory", "routes", "per_route");
  std::printf("#%-10s %10s %10s %10s %10s %12s %10s\n", "(count)", "(count)", "(count)", "(ms)",
              "(MiB)", "(count)", "(ns)");
  for (int gpus : {16384, 100000}) {
    const double rss_before = resident_bytes();
    const auto start = Clock::now();
    const Topology t = Topology::build(dgx_h100_like(), gpus).value();
    const double build_s = seconds_since(start);
    const double rss_after = resident_bytes();

    Rng rng(seed);
    const int routes = 1000000;
    std::vector<std::pair<int, int>> pairs;
    pairs.reserve(routes);
    for (int i = 0; i < routes; ++i) {
      pairs.emplace_back(static_cast<int>(rng.uniform_int(0, gpus - 1)),
                         static_cast<int>(rng.uniform_int(0, gpus - 1)));
    }
    std::size_t checksum = 0;
    const auto route_start = Clock::now();
    for (const auto& [src, dst] : pairs)
      checksum += t.route(src, dst).links().size();
    const double route_s = seconds_since(route_start);
    std::printf(" %-10d %10zu %10zu %10.1f %10.1f %12d %10.1f\n", gpus, t.vertex_count(),
                t.link_count(), build_s * 1e3, (rss_after - rss_before) / (1024.0 * 1024.0), routes,
                route_s / routes * 1e9);
    if (checksum == 0) std::printf("# (no links routed)\n");
  }
}

}  // namespace
}  // namespace ptsim

namespace {

int tool_main(int argc, char** argv) {
  constexpr std::uint64_t kDefaultEvents = 20000000;
  CLI::App app{
      "Prints speed figures for ptsim's discrete-event engine (events per second), max-min "
      "bandwidth sharing (solves per second with N concurrent flows on a 4096-GPU fat tree, full "
      "and incremental) and topology (build time and memory for 16,384 and 100,000 GPUs, route "
      "time). Figures are wall-clock on one core and vary with the machine; nothing is checked."};
  app.footer("Examples:\n  bench_network\n  bench_network --events 5000000 --only engine");
  std::uint64_t events = kDefaultEvents;
  std::uint64_t seed = ptsim::Rng::kDefaultSeed;
  std::string only = "all";
  app.add_option("--events", events,
                 "engine events to process (count; the std::function row runs half)")
      ->capture_default_str();
  app.add_option("--seed", seed, "seed of the random workloads")->capture_default_str();
  app.add_option("--only", only, "run one part: engine, sharing, topology or all")
      ->check(CLI::IsMember({"all", "engine", "sharing", "topology"}))
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  std::printf("# bench_network: ptsim engine, max-min sharing and topology (wall clock, 1 core)\n");
  if (only == "all" || only == "engine") ptsim::print_engine(events, seed);
  // Topology first: its memory column is the growth of the resident set, which is clearest before
  // other parts have left freed memory for the allocator to reuse.
  if (only == "all" || only == "topology") ptsim::print_topology(seed);
  if (only == "all" || only == "sharing") ptsim::print_sharing(seed);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return ptsim::run_guarded("bench_network", [&] { return tool_main(argc, argv); });
}
