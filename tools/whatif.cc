// whatif: sweeps cluster and workload flags and plans each point. Thin main: flags -> sweep points
// -> (divided among MPI ranks) search() per point -> gathered rows -> table, CSV, SVG, JSON.
#include <cstdio>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "common/atomic_file.h"
#include "common/json_reader.h"
#include "common/tool_main.h"
#include "planner/mpi_points.h"
#include "planner/search.h"
#include "planner/search_pins.h"
#include "planner/whatif.h"
#include "tools/config_flags.h"
#include "tools/pin_flags.h"

namespace {

using namespace ptsim;
using namespace ptsim::cli;

// Llama 3's pretraining budget (Dubey et al. 2024, section 3: 15.6T tokens), rounded.
constexpr double kDefaultTokens = 15e12;

int fail(const InputError& e) {
  std::fprintf(stderr, "whatif: %s\n", e.one_line().c_str());
  return 2;
}

struct Sweepable {
  const char* flag;
  SweepKind kind;
  const char* help;
  std::string text;  // as given; empty when not given
};

Result<long long> to_integer(const std::string& text, const char* flag) {
  try {
    std::size_t used = 0;
    const long long v = std::stoll(text, &used);
    if (used == text.size()) return v;
  } catch (...) {
  }
  return InputError{flag, "", "expected an integer, got '" + text + "'"};
}

// The configuration flags of one point: the fixed ones plus the point's values.
Result<ConfigFlags> point_flags(const ConfigFlags& base, const std::vector<SweepAxis>& axes,
                                const SweepPoint& point) {
  ConfigFlags f = base;
  for (std::size_t i = 0; i < axes.size(); ++i) {
    const std::string& flag = axes[i].flag;
    const std::string& v = point[i];
    if (flag == "--gpu") {
      f.gpu = v;
    } else if (flag == "--nic-bandwidth") {
      f.nic_bandwidth = v;
    } else if (flag == "--nvlink-bandwidth") {
      f.nvlink_bandwidth = v;
    } else {
      auto n = to_integer(v, flag.c_str());
      if (!n) return n.error();
      if (flag == "--gpus") f.gpus = *n;
      if (flag == "--gpus-per-node") f.gpus_per_node = static_cast<int>(*n);
      if (flag == "--seq-len") f.seq_len = static_cast<int>(*n);
      if (flag == "--global-batch") f.global_batch = static_cast<int>(*n);
    }
  }
  return f;
}

WhatIfRow plan_point(const ConfigFlags& f, const SearchPins& pins, const SweepPoint& point,
                     double tokens, int threads) {
  WhatIfRow row;
  row.point = point;
  auto w = resolve_workload(f);
  if (!w) {
    row.error = w.error().one_line();
    return row;
  }
  row.gpus = w->gpus;
  row.gpu = w->cluster.gpu.name;
  auto topology = Topology::build(w->cluster, w->gpus);
  if (!topology) {
    row.error = topology.error().one_line();
    return row;
  }
  PlannerInputs in{std::move(w->model), w->training, std::move(w->cluster), w->gpus, pins};
  SearchOptions options;
  options.top_k = 1;
  options.threads = threads;
  auto result = search(in, *topology, options);
  if (!result) {
    row.error = result.error().one_line();
    return row;
  }
  const SimulatedCandidate& best = result->ranked.front();
  row.ok = true;
  row.layout = layout_label(best.config, in.model.is_moe());
  row.step_time_s = best.result.step_time_s;
  row.tokens_per_s = best.result.tokens_per_s;
  row.mfu = best.result.mfu;
  row.peak_memory_bytes = best.result.memory.peak_bytes;
  row.time_to_train_s = tokens / best.result.tokens_per_s;
  row.gpu_hours = row.time_to_train_s * row.gpus / 3600.0;
  return row;
}

}  // namespace

namespace {

int tool_main(int argc, char** argv) {
  MpiSession mpi(argc, argv);
  CLI::App app{
      "whatif: what-if studies for a training run. Sweeps any of --gpus, --gpu, --nic-bandwidth, "
      "--nvlink-bandwidth, --gpus-per-node, --seq-len and --global-batch (comma lists, or ranges "
      "start:stop:xF / start:stop:+S), plans every point with the planner's search (its best "
      "configuration), and reports tokens/s, time to train the token budget and GPU-hours as a "
      "table, CSV and an SVG plot of time to train against GPUs. Under mpirun the points are "
      "divided among the ranks and rank 0 prints exactly what one process prints."};
  ConfigFlags flags;
  add_config_flags(app, flags, false, false);
  std::vector<Sweepable> sweeps = {
      {"--gpus", SweepKind::integer, "number of GPUs: N, a list or a range such as 256:4096:x2",
       ""},
      {"--gpu", SweepKind::name, "GPU models, e.g. h100-sxm,b200", ""},
      {"--nic-bandwidth", SweepKind::bandwidth,
       "network bandwidth per GPU, e.g. 200Gb/s,400Gb/s or 100Gb/s:800Gb/s:x2", ""},
      {"--nvlink-bandwidth", SweepKind::bandwidth, "NVLink bandwidth per GPU per direction", ""},
      {"--gpus-per-node", SweepKind::integer, "GPUs per node (NVLink domain)", ""},
      {"--seq-len", SweepKind::integer, "sequence lengths [default: the preset's recipe]", ""},
      {"--global-batch", SweepKind::integer, "global batches in sequences [default: recipe]", ""},
  };
  for (Sweepable& s : sweeps) {
    app.remove_option(app.get_option(s.flag));
    app.add_option(s.flag, s.text, s.help);
  }
  double tokens = kDefaultTokens;
  int threads = 0;
  std::string csv_path, svg_path, json_path;
  app.add_option("--tokens", tokens, "token budget of the training run")->capture_default_str();
  app.add_option("--threads", threads,
                 "simulation threads per process [default: one per hardware thread]");
  app.add_option("--csv", csv_path, "write the table as CSV to FILE");
  app.add_option("--svg", svg_path, "write the plot of time to train against GPUs to FILE");
  app.add_option("--json", json_path, "write every point's result as JSON to FILE ('-': stdout)");
  app.footer(
      "Examples:\n"
      "  whatif --model 70b --gpus 256:4096:x2 --tokens 15e12 --svg scaling.svg\n"
      "  whatif --model 405b --gpus 8192,16384 --gpu h100-sxm,b200 --csv gpus.csv\n"
      "  whatif --model 70b --gpus 1024 --nic-bandwidth 100Gb/s:800Gb/s:x2\n"
      "  mpirun -np 4 whatif --model 70b --gpus 512:8192:x2 --seq-len 8192,32768");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    std::fprintf(stderr, "whatif: %s\n", e.what());
    return 2;
  }
  for (const auto& [path, flag] :
       {std::pair{&csv_path, "--csv"}, {&svg_path, "--svg"}, {&json_path, "--json"}}) {
    if (auto s = check_output_path(*path, flag); !s) return fail(s.error());
  }
  if (auto s = mpi.launch_status(); !s) return fail(s.error());
  if (!(tokens > 0)) return fail(InputError{"--tokens", "", "must be a positive token count"});
  if (threads < 0) return fail(InputError{"--threads", "", "must be 0 (all) or more"});
  if (flags.model.empty())
    return fail(InputError{"--model", "", "a model preset or config.json is required"});
  std::vector<SweepAxis> axes;
  for (const Sweepable& s : sweeps) {
    if (s.text.empty()) continue;
    auto values = expand_sweep(s.text, s.flag, s.kind);
    if (!values) return fail(values.error());
    axes.push_back(SweepAxis{s.flag, *values});
  }
  bool has_gpus = false;
  for (const auto& a : axes)
    has_gpus = has_gpus || a.flag == "--gpus";
  if (!has_gpus) return fail(InputError{"--gpus", "", "the number of GPUs is required"});
  auto pins = make_search_pins(pin_flags(flags));
  if (!pins) return fail(pins.error());
  // The model and the fixed flags are checked once, so that a typo fails before any planning.
  const std::vector<SweepPoint> points = sweep_points(axes);
  if (auto first = point_flags(flags, axes, points.front()); !first) {
    return fail(first.error());
  } else if (auto w = resolve_workload(*first); !w) {
    return fail(w.error());
  }

  std::vector<std::pair<std::size_t, std::string>> mine;
  for (std::size_t i : my_items(points.size(), mpi.rank(), mpi.size())) {
    auto f = point_flags(flags, axes, points[i]);
    if (!f) return fail(f.error());
    mine.emplace_back(i, row_to_json(plan_point(*f, *pins, points[i], tokens, threads)));
  }
  if (mpi.size() > 1) {
    std::fprintf(stderr, "whatif: rank %d of %d planned %zu points\n", mpi.rank(), mpi.size(),
                 mine.size());
  }
  const std::vector<std::string> gathered = gather_results(points.size(), mine);
  if (mpi.rank() != 0) return 0;

  std::vector<WhatIfRow> rows;
  for (const std::string& text : gathered) {
    auto row = row_from_json(text);
    if (!row) return fail(row.error());
    rows.push_back(std::move(*row));
  }
  char line[256];
  std::string out = "# ptsim whatif: " + flags.model + ", the planner's best plan per point\n";
  std::snprintf(line, sizeof line, "# token budget %.4g tokens; cluster %s\n", tokens,
                flags.cluster.c_str());
  out += line;
  const Table table = whatif_table(axes, rows, tokens);
  out += to_text(table);
  const bool json_to_stdout = json_path == "-";
  std::fputs(out.c_str(), json_to_stdout ? stderr : stdout);
  if (!csv_path.empty()) {
    if (auto s = write_file_atomically(csv_path, to_csv(table), Overwrite::allow, "--csv"); !s)
      return fail(s.error());
  }
  if (!svg_path.empty()) {
    const std::string svg = render_svg(whatif_plot(axes, rows, flags.model, tokens));
    if (auto s = write_file_atomically(svg_path, svg, Overwrite::allow, "--svg"); !s)
      return fail(s.error());
  }
  if (!json_path.empty()) {
    Json j = Json::object();
    j["token_budget"] = tokens;
    j["model"] = flags.model;
    Json list = Json::array();
    for (const std::string& text : gathered)
      list.push_back(*parse_json(text, "whatif row"));
    j["points"] = std::move(list);
    if (auto s = write_file_atomically(json_path, j.dump(2) + "\n", Overwrite::allow, "--json"); !s)
      return fail(s.error());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return ptsim::run_guarded("whatif", [&] { return tool_main(argc, argv); });
}
