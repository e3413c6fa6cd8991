// validate: re-simulates published measured training runs and reports the error. Thin main:
// load records (planner/published_runs.h) -> evaluate() each (a record that states no layout: the
// planner's fastest, plan_published_layout) -> table, MAPE per source family and overall; exits 1
// when the MAPE or the worst error passes the given bound.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>

#include <CLI/CLI.hpp>

#include "common/atomic_file.h"
#include "common/tool_main.h"
#include "hardware_profiles/catalogue.h"
#include "hardware_profiles/whatif.h"
#include "planner/evaluate.h"
#include "planner/published_ranking.h"
#include "planner/published_runs.h"
#include "planner/result_json.h"

namespace ptsim::embedded {
const std::vector<std::pair<std::string_view, std::string_view>>& validation_files();
}

namespace {

using namespace ptsim;

int fail(const InputError& e) {
  std::fprintf(stderr, "validate: %s\n", e.one_line().c_str());
  return 2;
}

Result<Json> load(const std::string& path, std::string_view embedded_name) {
  if (!path.empty()) return read_json_file(path);
  for (const auto& [name, text] : embedded::validation_files()) {
    if (name == embedded_name)
      return parse_json(text, std::string("(built-in) ") + std::string(name));
  }
  return InputError{std::string(embedded_name), "", "built-in file missing"};
}

// Seconds during which any op of `layer` runs on graph rank 0 (forward, recompute and backward).
double layer_busy_s(const Graph& g, const SimulationResult& sim, int layer) {
  std::vector<std::pair<double, double>> spans;
  for (OpId i = 0; i < g.op_count(); ++i) {
    const Op& op = g.op(i);
    if (op.rank != 0 || op.label.a != layer || op.kind == OpKind::alloc || op.kind == OpKind::free)
      continue;
    spans.emplace_back(sim.op_start_s[i], sim.op_end_s[i]);
  }
  std::sort(spans.begin(), spans.end());
  double total = 0, end = -1;
  for (const auto& [a, b] : spans) {
    if (a > end) {
      total += b - a;
      end = b;
    } else if (b > end) {
      total += b - end;
      end = b;
    }
  }
  return total;
}

// --gpu-profile NAME=FILE: the runs on catalogue GPU NAME use the GPU of FILE (a GPU profile, or
// a cluster profile as `calibrate` writes it). Each file is loaded once here, so a bad one stops
// validate before any run is simulated.
Result<std::map<std::string, std::string>> gpu_profile_files(
    const std::vector<std::string>& specs) {
  // The catalogue's errors name --gpu; here the flag is --gpu-profile.
  auto as_this_flag = [](InputError e) {
    if (e.source.empty() || e.source == "--gpu") e.source = "--gpu-profile";
    return e;
  };
  std::map<std::string, std::string> files;
  for (const std::string& spec : specs) {
    const auto eq = spec.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size()) {
      return InputError{"--gpu-profile", "",
                        "expected GPU=FILE (e.g. h100-sxm=my-h100.json), got '" + spec + "'"};
    }
    const std::string name = spec.substr(0, eq);
    const std::string file = spec.substr(eq + 1);
    if (auto known = catalogue_gpu(name); !known) return as_this_flag(known.error());
    if (files.count(name) != 0) {
      return InputError{"--gpu-profile", "", "GPU '" + name + "' given twice"};
    }
    if (auto gpu = load_gpu(file); !gpu) return as_this_flag(gpu.error());
    files[name] = file;
  }
  return files;
}

}  // namespace

namespace {

int tool_main(int argc, char** argv) {
  CLI::App app{
      "validate: re-simulates every published measured training run that states enough to be "
      "re-run (the copy of the team's published_runs.json built into this tool, or --runs) with "
      "the shipped hardware profiles, prints measured against predicted throughput per run, the "
      "mean absolute percentage error (MAPE) per source and overall, and exits 1 when the MAPE "
      "exceeds --max-mape or a run's error exceeds --max-error."};
  std::string runs_path, completions_path, json_path, only;
  std::vector<std::string> gpu_profile_specs;
  double max_mape = -1, max_error = -1;
  app.add_option("--runs", runs_path, "measured-runs JSON [default: built-in copy]");
  app.add_option("--completions", completions_path,
                 "conventions for unstated fields [default: built-in run_completions.json]");
  app.add_option("--max-mape", max_mape, "fail (exit 1) when the overall MAPE exceeds this, in %");
  app.add_option("--max-error", max_error, "fail (exit 1) when one run's error exceeds this, in %");
  app.add_option("--only", only, "only runs whose id starts with this prefix");
  app.add_option("--json", json_path, "write per-run results as JSON to FILE ('-' for stdout)");
  app.add_option("--gpu-profile", gpu_profile_specs,
                 "GPU=FILE: runs on that catalogue GPU use the GPU of FILE instead (a GPU profile, "
                 "or a cluster profile such as calibrate writes); repeatable");
  app.footer(
      "Examples:\n  validate\n  validate --max-mape 10 --max-error 25\n  validate --only mcore08\n"
      "  validate --gpu-profile "
      "h100-sxm=hardware_profiles/calibrated/h100-sxm-2026-11-24-planning.json");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    std::fprintf(stderr, "validate: %s\n", e.what());
    return 2;
  }
  if (auto s = check_output_path(json_path, "--json"); !s) return fail(s.error());
  auto runs_json = load(runs_path, "published_runs.json");
  if (!runs_json) return fail(runs_json.error());
  auto comp_json = load(completions_path, "run_completions.json");
  if (!comp_json) return fail(comp_json.error());
  auto runs = load_published_runs(
      *runs_json, runs_path.empty() ? "published_runs.json" : runs_path, *comp_json,
      completions_path.empty() ? "run_completions.json" : completions_path);
  if (!runs) return fail(runs.error());
  auto gpu_files = gpu_profile_files(gpu_profile_specs);
  if (!gpu_files) return fail(gpu_files.error());

  std::printf("# validate: %zu runs re-simulated, %zu skipped\n", runs->runs.size(),
              runs->skipped.size());
  for (const auto& [name, file] : *gpu_files)
    std::printf("# %s runs use the GPU profile of %s\n", name.c_str(), file.c_str());
  std::printf("# %-52s %6s  %-30s %12s %12s %8s %10s %10s\n", "run", "gpus",
              "layout (tp pp dp cp ep vpp mb)", "measured", "predicted", "error", "measured",
              "predicted");
  std::printf("# %-52s %6s  %-30s %12s %12s %8s %10s %10s\n", "", "", "", "(tok/s/GPU)",
              "(tok/s/GPU)", "(%)", "step (s)", "step (s)");
  std::map<std::string, std::vector<double>> errors_by_family;
  std::vector<double> all_errors;
  Json results = Json::array();
  double worst = 0;
  std::string worst_id;
  for (PublishedRun run : runs->runs) {
    if (!only.empty() && run.id.rfind(only, 0) != 0) continue;
    const std::string gpu = run.gpu;
    if (auto it = gpu_files->find(run.gpu); it != gpu_files->end()) run.gpu = it->second;
    auto c = published_run_cluster(run);
    if (!c) return fail(c.error());
    auto topology = Topology::build(*c, run.gpus);
    if (!topology) return fail(topology.error());
    // The layout simulated: the record's, or for a record that states none the planner's fastest
    // with the run's software (marked * in the table).
    ParallelConfig config = run.parallel;
    std::optional<StepResult> result;
    double predicted = 0;
    std::string not_runnable;
    if (run.ranking_searches.layout) {
      auto planned = plan_published_layout(run, *c, *topology);
      if (planned) {
        config = planned->config;
        result = std::move(planned->result);
      } else {
        not_runnable = "no layout planned: " + planned.error().one_line();
      }
    } else {
      EvaluationOptions options;
      options.keep_graph = run.per_layer;
      Evaluation e =
          evaluate(run.model, run.training, run.parallel, *c, *topology, run.gpus, options);
      if (e.verdict.ok) {
        result = std::move(e.result);
        if (run.per_layer) predicted = layer_busy_s(e.graph->graph, *e.timeline, 0);
      } else {
        not_runnable = "not runnable: " + e.verdict.reason;
      }
    }
    char layout[64];
    std::snprintf(layout, sizeof layout, "%d %d %d %d %d %d %d%s", config.tp, config.pp, config.dp,
                  config.cp, config.ep, config.vpp, config.micro_batch,
                  run.ranking_searches.layout ? " *" : "");
    if (!result) {
      std::printf("  %-52s %6d  %-30s %12s  %s\n", run.id.c_str(), run.gpus, layout, "",
                  not_runnable.c_str());
      all_errors.push_back(1.0);
      errors_by_family[run.family].push_back(1.0);
      continue;
    }
    if (!run.per_layer) predicted = result->tokens_per_s / run.gpus;
    const double error = (predicted - run.measured) / run.measured;
    errors_by_family[run.family].push_back(std::abs(error));
    all_errors.push_back(std::abs(error));
    if (std::abs(error) > worst) {
      worst = std::abs(error);
      worst_id = run.id;
    }
    if (run.per_layer) {
      std::printf("  %-52s %6d  %-30s %10.2fms %10.2fms %+7.1f\n", run.id.c_str(), run.gpus, layout,
                  run.measured * 1e3, predicted * 1e3, error * 100);
    } else {
      // The measured step follows from the measured throughput and the step's tokens.
      const double tokens_per_step =
          static_cast<double>(run.training.global_batch) * run.training.seq_len;
      std::printf("  %-52s %6d  %-30s %12.1f %12.1f %+7.1f %10.3f %10.3f\n", run.id.c_str(),
                  run.gpus, layout, run.measured, predicted, error * 100,
                  tokens_per_step / (run.measured * run.gpus), result->step_time_s);
    }
    Json j = {{"id", run.id},
              {"family", run.family},
              {"measured", run.measured},
              {"measured_from", run.measured_from},
              {"predicted", predicted},
              {"error", error},
              {"per_layer", run.per_layer},
              {"gpu", gpu},
              {"gpu_profile", run.gpu},
              {"completions", run.completions},
              {"layout_planned", run.ranking_searches.layout}};
    j["step_time_s"] = result->step_time_s;
    j["mfu"] = result->mfu;
    j["memory_peak_bytes"] = result->memory.peak_bytes;
    j["memory_fits"] = result->memory.fits;
    // The whole simulated result, resolved configuration included, so that a run far off can be
    // looked into (where its time goes, which kernels) and re-run with simulate.
    const ClusterProfile& cluster = *c;
    j["result"] = step_result_json(*result, {run.model, run.training, config, cluster, run.gpus});
    results.push_back(j);
  }
  auto mean = [](const std::vector<double>& v) {
    double s = 0;
    for (double x : v)
      s += x;
    return v.empty() ? 0.0 : s / static_cast<double>(v.size());
  };
  std::printf("#\n# %-12s %6s %10s %10s\n", "source", "runs", "MAPE", "worst");
  std::printf("# %-12s %6s %10s %10s\n", "", "", "(%)", "(%)");
  for (const auto& [family, errs] : errors_by_family) {
    std::printf("  %-12s %6zu %10.1f %10.1f\n", family.c_str(), errs.size(), mean(errs) * 100,
                *std::max_element(errs.begin(), errs.end()) * 100);
  }
  const double mape = mean(all_errors);
  std::printf("  %-12s %6zu %10.1f %10.1f   (worst: %s)\n", "overall", all_errors.size(),
              mape * 100, worst * 100, worst_id.c_str());
  if (std::any_of(runs->runs.begin(), runs->runs.end(),
                  [](const PublishedRun& r) { return r.ranking_searches.layout; })) {
    std::printf("# * the record states no layout: the planner's fastest with the run's software\n");
  }
  for (const auto& s : runs->skipped)
    std::printf("# skipped %s: %s\n", s.id.c_str(), s.reason.c_str());
  if (!json_path.empty()) {
    Json out = {{"runs", results}, {"mape", mape}, {"worst_error", worst}};
    if (auto s = write_file_atomically(json_path, out.dump(2) + "\n", Overwrite::allow, "--json");
        !s) {
      return fail(s.error());
    }
  }
  if (max_mape >= 0 && mape * 100 > max_mape) {
    std::printf("# FAIL: MAPE %.1f%% exceeds --max-mape %.1f%%\n", mape * 100, max_mape);
    return 1;
  }
  if (max_error >= 0 && worst * 100 > max_error) {
    std::printf("# FAIL: %s error %.1f%% exceeds --max-error %.1f%%\n", worst_id.c_str(),
                worst * 100, max_error);
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return ptsim::run_guarded("validate", [&] { return tool_main(argc, argv); });
}
