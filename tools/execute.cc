// execute: the reference executor. Builds the step graph of one configuration (the flags of
// simulate), simulates it, runs it on this machine's GPU and prints measured against simulated,
// per op class and for the whole step. Thin main: flags -> evaluate() -> execute_graph() -> report.
#include <cstdio>
#include <string>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "calibration/executor/execute.h"
#include "common/atomic_file.h"
#include "common/tool_main.h"
#include "planner/evaluate.h"
#include "planner/result_json.h"
#include "tools/config_flags.h"

using namespace ptsim;
using namespace ptsim::cli;

namespace {

int fail(const InputError& e) {
  std::fprintf(stderr, "execute: %s\n", e.one_line().c_str());
  return 2;
}

void print_report(const ResolvedWorkload& w, const ParallelConfig& p, const ExecutionResult& r) {
  const StepComparison& c = r.comparison;
  std::printf("execute: %s, %d layers, seq %d, global batch %d, micro-batch %d on %s\n",
              w.model.name.c_str(), w.model.layers, w.training.seq_len, w.training.global_batch,
              p.micro_batch, r.backend.device.c_str());
  std::printf("cluster profile: %s\n", w.cluster.name.c_str());
  for (const std::string& note : r.backend.notes)
    std::printf("  %s\n", note.c_str());
  if (!r.backend.stand_in_kernels.empty()) {
    std::printf("  %zu kernel shapes ran as stand-ins (spinning for the cost model's time)\n",
                r.backend.stand_in_kernels.size());
  }
  std::printf("\n%-20s %8s %14s %14s %9s\n", "op class", "kernels", "measured (ms)",
              "simulated (ms)", "error");
  double measured = 0, predicted = 0;
  for (const OpClassComparison& row : c.classes) {
    std::printf("%-20s %8lld %14.3f %14.3f %+8.1f%%\n", row.op_class.c_str(),
                static_cast<long long>(row.kernels), 1e3 * row.measured_s, 1e3 * row.predicted_s,
                error_percent(row.predicted_s, row.measured_s));
    measured += row.measured_s;
    predicted += row.predicted_s;
  }
  std::printf("%-20s %8s %14.3f %14.3f %+8.1f%%\n", "all kernels", "", 1e3 * measured,
              1e3 * predicted, error_percent(predicted, measured));
  std::printf(
      "\nstep time: measured %.3f ms (median of %zu steps; %.3f ms with per-op events), "
      "simulated %.3f ms, error %+.1f%%\n",
      1e3 * c.measured_step_s, c.step_times_s.size(), 1e3 * c.timed_ops_step_s,
      1e3 * c.predicted_step_s, error_percent(c.predicted_step_s, c.measured_step_s));
}

}  // namespace

namespace {

int tool_main(int argc, char** argv) {
  CLI::App app{
      "execute runs the step graph of one configuration on this machine's GPU - cuBLASLt GEMMs of "
      "the graph's shapes, fused attention, the memory-bound kernels, on streams as the graph "
      "orders them - and compares the measured step and per-op-class times with the simulator's "
      "prediction for the same graph (use --cluster with a calibrated profile). One-GPU "
      "configurations (--gpus 1); use --layers to fit a model on one GPU."};
  ConfigFlags flags;
  add_config_flags(app, flags, /*model_required=*/true, /*gpus_required=*/false);
  ExecuteSettings settings;
  std::string json_path;
  app.add_option("--steps", settings.timed_steps, "timed steps; the median is reported")
      ->capture_default_str();
  app.add_option("--warmup", settings.warmup_steps, "untimed steps first")->capture_default_str();
  app.add_option("--json", json_path, "write the comparison as JSON");
  app.footer(
      "Examples:\n"
      "  execute --model 8b --layers 4 --gpus 1 --micro-batch 1 --global-batch 8 "
      "--cluster h100.json\n"
      "  execute --model 8b --layers 4 --gpus 1 --seq-len 4096 --micro-batch 2 --global-batch 8 "
      "--json cmp.json");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    std::fprintf(stderr, "execute: %s\n", e.what());
    return 2;
  }
  if (auto s = check_output_path(json_path, "--json"); !s) return fail(s.error());
  if (!flags.gpus) flags.gpus = 1;
  auto w = resolve_workload(flags);
  if (!w) return fail(w.error());
  auto p = resolve_fixed_parallel(flags, *w);
  if (!p) return fail(p.error());
  auto topology = Topology::build(w->cluster, w->gpus);
  if (!topology) return fail(topology.error());
  EvaluationOptions options;
  options.mode = GraphMode::full;
  options.keep_graph = true;
  const Evaluation e = evaluate(w->model, w->training, *p, w->cluster, *topology, w->gpus, options);
  if (!e.verdict.ok) {
    return fail(InputError{flags_of_rule(e.verdict.rule), e.verdict.rule, e.verdict.reason});
  }
  auto r = execute_graph(e.graph->graph, w->cluster, e.result->step_time_s, settings);
  if (!r) return fail(r.error());
  print_report(*w, *p, *r);
  if (!json_path.empty()) {
    const ConfigDescription desc{w->model, w->training, *p, w->cluster, w->gpus};
    nlohmann::json j;
    j["format"] = "ptsim-execution-comparison";
    j["format_version"] = 1;
    j["device"] = r->backend.device;
    j["configuration"] = step_result_json(*e.result, desc);
    j["comparison"] = comparison_json(r->comparison);
    j["backend_notes"] = r->backend.notes;
    j["stand_in_kernels"] = r->backend.stand_in_kernels.size();
    if (auto s = write_file_atomically(json_path, j.dump(2) + "\n", Overwrite::allow, "--json");
        !s) {
      return fail(s.error());
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return ptsim::run_guarded("execute", [&] { return tool_main(argc, argv); });
}
