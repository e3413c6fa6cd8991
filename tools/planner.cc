// planner: the fastest parallel layout that fits, by branch and bound over the configuration
// space with every surviving candidate simulated. Thin main: flags -> search() -> report.
#include <unistd.h>

#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>

#include "common/atomic_file.h"
#include "common/tool_main.h"
#include "planner/launch_flags.h"
#include "planner/planner_json.h"
#include "planner/report.h"
#include "planner/search.h"
#include "planner/search_pins.h"
#include "sim/trace.h"
#include "tools/config_flags.h"
#include "tools/pin_flags.h"

namespace {

using namespace ptsim;
using namespace ptsim::cli;

constexpr int kDefaultTop = 10;

int fail(const InputError& e) {
  std::fprintf(stderr, "planner: %s\n", e.one_line().c_str());
  return 2;
}

// One line on stderr, redrawn in place (only when stderr is a terminal).
void show_progress(const SearchProgress& p) {
  constexpr int kWidth = 24;
  const int filled =
      p.candidates > 0
          ? static_cast<int>(kWidth *
                             std::min<double>(1.0, static_cast<double>(p.finished) /
                                                       std::max<std::int64_t>(1, p.candidates)))
          : 0;
  std::string bar(static_cast<std::size_t>(filled), '#');
  bar.resize(kWidth, '.');
  std::fprintf(stderr, "\r[%s] %lld simulated of %lld candidates, best %.3f s, next bound %.3f s ",
               bar.c_str(), static_cast<long long>(p.finished),
               static_cast<long long>(p.candidates), p.best_s, p.next_bound_s);
  std::fflush(stderr);
}

}  // namespace

namespace {

int tool_main(int argc, char** argv) {
  CLI::App app{
      "planner: finds the fastest 5D-parallel layout (data parallelism with ZeRO/FSDP, tensor, "
      "pipeline with its schedule, context and expert parallelism, micro-batch, recomputation) "
      "that fits in GPU memory, for a model on a number of GPUs. Every configuration flag given "
      "pins that dimension; the rest are searched. Configurations are pruned by the "
      "divisibility rules and a memory lower bound, then simulated in order of an optimistic "
      "step time until that bound proves no other can enter the top K (branch and bound: "
      "nothing is sampled). Prints the ranked table, what the search did, and the launch "
      "arguments of the best plan for Megatron-LM, torchtitan and DeepSpeed."};
  ConfigFlags flags;
  add_config_flags(app, flags, false, false);
  int top = kDefaultTop;
  int threads = 0;
  bool exhaustive = false;
  bool quiet = false;
  std::string json_path, trace_path;
  app.add_option("--top", top, "rows of the ranked table (and the k of branch and bound)")
      ->capture_default_str();
  app.add_option("--threads", threads, "simulation threads [default: one per hardware thread]");
  app.add_flag("--exhaustive", exhaustive, "simulate every candidate (no bounding)");
  app.add_flag("--quiet", quiet, "no progress line on stderr");
  app.add_option("--json", json_path, "write the planner JSON to FILE ('-' for stdout)");
  app.add_option("--trace", trace_path, "write a Chrome trace of the best plan to FILE");
  app.footer(
      "Examples:\n"
      "  planner --model 70b --gpus 512\n"
      "  planner --model 405b --gpus 16384 --tp 8 --top 5 --json plan.json\n"
      "  planner --model mixtral-8x7b --gpus 64 --zero 1 --trace best.json\n"
      "  planner --model 8b --gpus 64 --gpu b200 --nic-bandwidth 200Gb/s");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    std::fprintf(stderr, "planner: %s\n", e.what());
    return 2;
  }
  for (const auto& [path, flag] : {std::pair{&json_path, "--json"}, {&trace_path, "--trace"}}) {
    if (auto s = check_output_path(*path, flag); !s) return fail(s.error());
  }
  if (top < 1) return fail(InputError{"--top", "", "must be at least 1"});
  if (threads < 0) return fail(InputError{"--threads", "", "must be 0 (all) or more"});
  auto w = resolve_workload(flags);
  if (!w) return fail(w.error());
  auto pins = make_search_pins(pin_flags(flags));
  if (!pins) return fail(pins.error());
  auto topology = Topology::build(w->cluster, w->gpus);
  if (!topology) return fail(topology.error());

  PlannerInputs in{std::move(w->model), w->training, std::move(w->cluster), w->gpus, *pins};
  SearchOptions options;
  options.top_k = top;
  options.threads = threads;
  options.exhaustive = exhaustive;
  const bool progress = !quiet && isatty(fileno(stderr));
  if (progress) options.progress = show_progress;
  auto result = search(in, *topology, options);
  if (progress) std::fprintf(stderr, "\r\033[K");
  if (!result) return fail(result.error());

  std::string out = report_header(in) + "\n";
  out += to_text(ranked_table(*result, in, top));
  out += bar_legend() + "\n";
  out += search_summary(result->stats);
  const SimulatedCandidate& best = result->ranked.front();
  out += "\n# launch arguments of the best plan (" + layout_label(best.config, in.model.is_moe()) +
         ")\n";
  out += render_launch_flags(
      all_launch_flags(in.model, in.training, best.config, in.gpus, in.cluster.gpus_per_node));
  const bool json_to_stdout = json_path == "-";
  std::fputs(out.c_str(), json_to_stdout ? stderr : stdout);

  if (!json_path.empty()) {
    const std::string text = planner_json(in, *result).dump(2) + "\n";
    if (auto s = write_file_atomically(json_path, text, Overwrite::allow, "--json"); !s)
      return fail(s.error());
  }
  if (!trace_path.empty()) {
    EvaluationOptions eo;
    eo.keep_graph = true;
    Evaluation e = evaluate(in.model, in.training, best.config, in.cluster, *topology, in.gpus, eo);
    const std::string trace = chrome_trace_json(e.graph->graph, *e.timeline);
    if (auto s = write_file_atomically(trace_path, trace, Overwrite::allow, "--trace"); !s)
      return fail(s.error());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return ptsim::run_guarded("planner", [&] { return tool_main(argc, argv); });
}
