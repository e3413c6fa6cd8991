// simulate: one 5D-parallel configuration, simulated. Thin main: flags -> evaluate() -> report.
#include <algorithm>
#include <array>
#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>

#include "common/atomic_file.h"
#include "common/tool_main.h"
#include "planner/evaluate.h"
#include "planner/result_json.h"
#include "sim/trace.h"
#include "sim/workload/param_count.h"
#include "tools/config_flags.h"
#include "tools/human_format.h"

namespace {

using namespace ptsim;
using namespace ptsim::cli;

int fail(const InputError& e) {
  std::fprintf(stderr, "simulate: %s\n", e.one_line().c_str());
  return 2;
}

// Kernel classes of the rank the time line describes, largest first; GEMM and attention at their
// FLOP rate, memory-bound kernels at their HBM rate.
void print_kernels(const KernelProfile& k, int pipeline_rank) {
  const double total = k.total_time_s();
  if (!(total > 0)) return;
  std::printf("kernels     pipeline rank %d, %s of kernel time at full speed:\n", pipeline_rank,
              format_seconds(total).c_str());
  std::array<std::size_t, kKernelClassCount> order{};
  for (std::size_t i = 0; i < order.size(); ++i)
    order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return k.by_class[a].time_s > k.by_class[b].time_s;
  });
  for (std::size_t i : order) {
    const KernelClassTotals& c = k.by_class[i];
    if (c.count == 0) continue;
    const auto cls = static_cast<KernelClass>(i);
    const bool flop_bound = cls == KernelClass::gemm || cls == KernelClass::batched_gemm ||
                            cls == KernelClass::attention_forward ||
                            cls == KernelClass::attention_backward;
    const std::string rate =
        flop_bound ? std::to_string(static_cast<long>(c.flops / c.time_s / 1e12 + 0.5)) + " TFLOP/s"
                   : std::to_string(static_cast<long>(c.bytes / c.time_s / 1e9 + 0.5)) + " GB/s";
    std::printf("  %-19s %6s  %9s  %6s  %s\n", kernel_class_name(cls),
                format_count(static_cast<double>(c.count)).c_str(),
                format_seconds(c.time_s).c_str(), format_percent(c.time_s / total).c_str(),
                rate.c_str());
  }
}

void print_summary(const ResolvedWorkload& w, const ParallelConfig& p, const StepResult& r) {
  const auto params = count_params(w.model);
  std::printf("# ptsim simulate\n");
  std::printf("model       %s (%.1fB parameters, %.1fB active), seq %d, global batch %d, %s\n",
              w.model.name.c_str(), params.total / 1e9, params.active / 1e9, w.training.seq_len,
              w.training.global_batch, w.training.precision == Precision::fp8 ? "fp8" : "bf16");
  std::printf("cluster     %s: %d x %s, %d per node, NVLink %.0f GB/s, network %.0f Gb/s per GPU\n",
              w.cluster.name.c_str(), w.gpus, w.cluster.gpu.name.c_str(), w.cluster.gpus_per_node,
              w.cluster.nvlink_bandwidth_bytes_per_s / 1e9,
              w.cluster.nic_bandwidth_bytes_per_s * 8 / 1e9);
  std::string recompute = recompute_name(p.recompute);
  if (p.recompute == Recompute::selective && p.recompute_modules != kRecomputeCoreAttn)
    recompute += " (" + recompute_modules_name(p.recompute_modules) + ")";
  if (p.recomputes_some_layers())
    recompute += " (first " + std::to_string(p.recompute_layers) + " layers per chunk)";
  std::printf(
      "layout      tp %d  pp %d  dp %d  cp %d  ep %d  etp %d  vpp %d  micro-batch %d "
      "(%d per step)  sp %s  zero %d  recompute %s  schedule %s\n",
      p.tp, p.pp, p.dp, p.cp, p.ep, p.etp, p.vpp, p.micro_batch, r.micro_batches,
      p.sequence_parallel ? "on" : "off", p.zero_stage, recompute.c_str(),
      schedule_name(p.schedule));
  if (const std::vector<std::string> changed = changed_switch_phrases(p); !changed.empty()) {
    std::string line;
    for (const std::string& phrase : changed) {
      if (!line.empty()) line += ", ";
      line += phrase;
    }
    std::printf("software    %s\n", line.c_str());
  }
  std::printf("\n");
  std::printf("step time   %s\n", format_seconds(r.step_time_s).c_str());
  std::printf("tokens/s    %s (%s per GPU)\n", format_count(r.tokens_per_s).c_str(),
              format_count(r.tokens_per_s / w.gpus).c_str());
  std::printf("TFLOP/s     %.1f per GPU   MFU %s   HFU %s\n", r.tflops_per_gpu,
              format_percent(r.mfu).c_str(), format_percent(r.hfu).c_str());
  std::printf("memory      peak %s of %s (%s): %s\n", format_bytes(r.memory.peak_bytes).c_str(),
              format_bytes(r.memory.capacity_bytes).c_str(),
              format_percent(r.memory.peak_bytes / r.memory.capacity_bytes).c_str(),
              r.memory.fits ? "fits" : "DOES NOT FIT");
  std::printf("  per stage");
  for (double b : r.memory.per_stage_bytes)
    std::printf("  %s", format_bytes(b).c_str());
  std::printf("\n");
  const auto& s = r.breakdown.seconds;
  const double t = r.step_time_s;
  std::printf("time        compute %s  optimizer %s  bubble %s",
              format_percent(s[static_cast<std::size_t>(Category::compute)] / t).c_str(),
              format_percent(s[static_cast<std::size_t>(Category::optimizer)] / t).c_str(),
              format_percent(r.breakdown.bubble_s / t).c_str());
  std::printf("  exposed:");
  for (Category c : kCommCategories) {
    std::printf(" %s %s", category_name(c),
                format_percent(s[static_cast<std::size_t>(c)] / t).c_str());
  }
  std::printf("\n");
  std::printf("comm/rank  ");
  for (std::size_t i = 0; i < kCommCategories.size(); ++i) {
    std::printf(" %s %s", category_name(kCommCategories[i]),
                format_bytes(r.comm_bytes_per_rank[i]).c_str());
  }
  std::printf("\n");
  if (r.kernels) print_kernels(*r.kernels, r.breakdown_pipeline_rank);
  std::printf("# simulated %s ops, %s events in %s\n",
              format_count(static_cast<double>(r.ops)).c_str(),
              format_count(static_cast<double>(r.events)).c_str(),
              format_seconds(r.simulation_wall_s).c_str());
}

}  // namespace

namespace {

int tool_main(int argc, char** argv) {
  CLI::App app{
      "simulate: times one training step of a 5D-parallel configuration (data, tensor, pipeline, "
      "context and expert parallelism) on a cluster, with a discrete-event simulator whose compute "
      "and network cost models come from the cluster's hardware profile. Prints step time, "
      "tokens/s, TFLOP/s per GPU, MFU, HFU, memory per pipeline stage against capacity and where "
      "the time goes; --json writes the result, --trace a Chrome trace (Perfetto)."};
  ConfigFlags flags;
  add_config_flags(app, flags, true, true);
  std::string json_path, trace_path, graph_mode = "reduced";
  app.add_option("--json", json_path, "write the result JSON to FILE ('-' for stdout)");
  app.add_option("--trace", trace_path, "write a Chrome trace (one process per rank) to FILE");
  app.add_option("--graph", graph_mode, "reduced (one rank per pipeline stage) or full (every GPU)")
      ->capture_default_str();
  app.footer(
      "Examples:\n"
      "  simulate --model 70b --gpus 512 --tp 8 --pp 4 --vpp 5 --zero 1 --recompute selective\n"
      "  simulate --model mixtral-8x7b --gpus 64 --tp 2 --ep 8 --json result.json\n"
      "  simulate --model 8b --gpus 8 --trace step.json --graph full");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    std::fprintf(stderr, "simulate: %s\n", e.what());
    return 2;
  }
  for (const auto& [path, flag] : {std::pair{&json_path, "--json"}, {&trace_path, "--trace"}}) {
    if (auto s = check_output_path(*path, flag); !s) return fail(s.error());
  }
  auto w = resolve_workload(flags);
  if (!w) return fail(w.error());
  auto p = resolve_fixed_parallel(flags, *w);
  if (!p) return fail(p.error());
  if (graph_mode != "reduced" && graph_mode != "full") {
    return fail(InputError{"--graph", "", "use reduced or full, got '" + graph_mode + "'"});
  }
  auto topology = Topology::build(w->cluster, w->gpus);
  if (!topology) return fail(topology.error());
  EvaluationOptions options;
  options.mode = graph_mode == "full" ? GraphMode::full : GraphMode::reduced;
  options.keep_graph = !trace_path.empty();
  Evaluation e = evaluate(w->model, w->training, *p, w->cluster, *topology, w->gpus, options);
  if (!e.verdict.ok) {
    return fail(InputError{cli::flags_of_rule(e.verdict.rule), e.verdict.rule, e.verdict.reason});
  }
  print_summary(*w, *p, *e.result);
  const ConfigDescription desc{w->model, w->training, *p, w->cluster, w->gpus};
  if (!json_path.empty()) {
    Json j = step_result_json(*e.result, desc);
    j["provenance"] = {{"tool", "simulate"},
                       {"simulation_wall_s", e.result->simulation_wall_s},
                       {"ops", e.result->ops},
                       {"events", e.result->events}};
    if (auto s = write_file_atomically(json_path, j.dump(2) + "\n", Overwrite::allow, "--json");
        !s) {
      return fail(s.error());
    }
  }
  if (!trace_path.empty()) {
    const std::string trace = chrome_trace_json(e.graph->graph, *e.timeline);
    if (auto s = write_file_atomically(trace_path, trace, Overwrite::allow, "--trace"); !s) {
      return fail(s.error());
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return ptsim::run_guarded("simulate", [&] { return tool_main(argc, argv); });
}
