// calibrate: measures this machine's GPUs (GEMMs, attention, memory-bound kernels, NCCL
// collectives, compute/communication interference) in the manner of nccl-tests and fits a
// hardware profile the simulator loads with --cluster. A thin main: flags into CalibrateOptions,
// one call to run_calibrate() (calibration/calibrate.h), one line on stderr and exit 2 on any
// input error (including "built without CUDA" and "no GPU found").
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "calibration/calibrate.h"
#include "calibration/size_units.h"
#include "common/atomic_file.h"
#include "common/tool_main.h"

namespace {

constexpr const char* kDescription =
    "calibrate runs GPU microbenchmarks on this machine - cuBLASLt GEMMs (bf16, fp8, tf32) over "
    "the shapes of the catalogue's models and a grid, fused attention forward and backward, "
    "memory-bound kernels, NCCL collectives over every group shape present (mpirun for several "
    "nodes), and GEMMs beside a bandwidth-bound kernel holding k SMs - checks every result "
    "against exact expected values, checkpoints each measurement as it is taken (an interrupted "
    "run resumes), and fits the efficiency tables, collective latencies and interference slowdown "
    "of a hardware profile (--out), with a fit report beside it. Tables not measured are taken "
    "from the base cluster profile (--base; by default the catalogue cluster of this GPU).";

constexpr const char* kExamples =
    "Examples:\n"
    "  calibrate --quick --out h100.json                  smoke run, about 3 minutes on one H100\n"
    "  calibrate --out h100.json                          full calibration of this node\n"
    "  calibrate --what nccl --min-bytes 1K --max-bytes 1G --out nccl.json\n"
    "  mpirun -np 16 calibrate --what nccl --out 2nodes.json    two nodes of 8 GPUs\n"
    "  calibrate --from-results h100.results.json --out h100.json --force   refit, no GPU needed\n"
    "  calibrate --from-results h100.results.json --what gemm,memory,nccl,interference \\\n"
    "            --out h100-planning.json          refit without the attention tables\n"
    "  planner --model 70b --gpus 512 --cluster h100.json     use the profile\n";

}  // namespace

namespace {

int tool_main(int argc, char** argv) {
  ptsim::CalibrateOptions o;
  for (int i = 0; i < argc; ++i)
    o.command_line.emplace_back(argv[i]);
  std::string what = "all";
  std::string min_bytes, max_bytes;
  long long seed = static_cast<long long>(ptsim::kDefaultSeed);

  CLI::App app{kDescription, "calibrate"};
  app.footer(kExamples);
  app.add_option("--out", o.out, "Hardware profile to write (JSON; required)");
  app.add_option("--results", o.results,
                 "Measurements file to write (default: <out>.results.json beside --out)");
  app.add_option("--what", what,
                 "Comma-separated areas: gemm, attention, memory, nccl, interference, or all; "
                 "with --from-results, the areas whose tables are fitted (the rest from --base)")
      ->default_str("all");
  app.add_flag("--quick", o.settings.quick,
               "A small sweep for smoke runs (170 s on one H100, measured 2026-11-24)");
  app.add_option("--min-bytes", min_bytes,
                 "Smallest collective size S in bytes, K/M/G suffixes (binary)")
      ->default_str(std::to_string(ptsim::kDefaultMinBytes));
  app.add_option("--max-bytes", max_bytes,
                 "Largest collective size S in bytes, K/M/G suffixes; also caps the memory-bound "
                 "sweep")
      ->default_str(ptsim::format_byte_size(static_cast<double>(ptsim::kDefaultMaxBytes)) + " (" +
                    ptsim::format_byte_size(static_cast<double>(ptsim::kQuickMaxBytes)) +
                    " with --quick)");
  app.add_option("--iters", o.settings.iters, "Timed launches per repetition")
      ->default_val(ptsim::kDefaultIters);
  app.add_option("--warmup", o.settings.warmup, "Untimed launches before timing")
      ->default_val(ptsim::kDefaultWarmup);
  app.add_option("--repetitions", o.settings.repetitions,
                 "Timed repetitions; the median is reported")
      ->default_val(ptsim::kDefaultRepetitions);
  app.add_option("--seed", seed, "Seed the verifiable inputs are built from")
      ->default_val(static_cast<long long>(ptsim::kDefaultSeed));
  app.add_flag("--force", o.force,
               "Overwrite existing outputs; start afresh instead of resuming an incompatible "
               "checkpoint");
  app.add_option("--from-results", o.from_results,
                 "Fit this results file (or checkpoint) instead of measuring; needs no GPU");
  app.add_option("--base", o.base,
                 "Catalogue cluster name or cluster profile file supplying what is not measured "
                 "(default: by GPU name, e.g. dgx-h100 for an H100)");
  app.add_option("--name", o.name, "Name of the written profile (default: <base>-calibrated)");
  app.add_flag("--gemm-best", o.gemm_use_best,
               "Fit GEMM tables on the best of the top-k cuBLASLt candidates (autotuned "
               "frameworks) instead of heuristic #0");
  app.add_option("--json", o.json, "Write a machine-readable summary to FILE ('-' for stdout)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "calibrate: " << e.what() << " (see --help)\n";
    return 2;
  }

  const auto fail = [](const ptsim::InputError& e) {
    std::cerr << "calibrate: " << e.one_line() << "\n";
    return 2;
  };
  for (const auto& [path, flag] :
       {std::pair{&o.out, "--out"}, {&o.results, "--results"}, {&o.json, "--json"}}) {
    if (auto s = ptsim::check_output_path(*path, flag); !s.ok()) return fail(s.error());
  }
  auto areas = ptsim::parse_areas(what, "--what");
  if (!areas.ok()) return fail(areas.error());
  o.settings.what = *areas;
  if (!min_bytes.empty()) {
    auto b = ptsim::parse_byte_size(min_bytes, "--min-bytes");
    if (!b.ok()) return fail(b.error());
    o.settings.min_bytes = *b;
  }
  if (!max_bytes.empty()) {
    auto b = ptsim::parse_byte_size(max_bytes, "--max-bytes");
    if (!b.ok()) return fail(b.error());
    o.settings.max_bytes = *b;
  }
  if (seed < 0) return fail({"--seed", "", "must not be negative"});
  o.settings.seed = static_cast<std::uint64_t>(seed);

  auto outcome = ptsim::run_calibrate(o, std::cout);
  if (!outcome.ok()) return fail(outcome.error());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return ptsim::run_guarded("calibrate", [&] { return tool_main(argc, argv); });
}
