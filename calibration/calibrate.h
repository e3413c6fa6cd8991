// The calibrate program as a library function: measure (or resume measuring) on this machine's
// GPUs, write the results file, fit, and write the hardware profile and its fit report. The tool
// (tools/calibrate.cc) parses flags into CalibrateOptions and calls run_calibrate(); everything
// that can fail on input - flags, existing files, a machine without CUDA or without a GPU -
// returns an InputError, which the tool prints on one line before exiting with status 2.
//
// Files, for --out my-profile.json:
//   my-profile.json                    the profile (--cluster my-profile.json loads it)
//   my-profile.report.json             the fit report (residuals, regimes, tables in full)
//   my-profile.results.json            the measurements (--results overrides the path)
//   my-profile.results.json.partial.jsonl  the checkpoint while the run is in progress
// None of the first three is ever overwritten unless --force. With --from-results FILE the run
// measures nothing and fits FILE (a results file or a checkpoint), on any machine.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "calibration/plan.h"
#include "common/result.h"

namespace ptsim {

struct CalibrateOptions {
  std::string out;           // --out: the profile to write
  std::string results;       // --results: the measurements; default from --out
  std::string from_results;  // --from-results: fit this file instead of measuring
  std::string base;          // --base: catalogue cluster name or profile file; default by GPU
  std::string name;          // --name: the profile's name; default "<base>-calibrated"
  std::string json;          // --json: a machine-readable summary ("-" for stdout)
  CalibrationSettings settings;
  bool force = false;          // --force: overwrite outputs, discard an incompatible checkpoint
  bool gemm_use_best = false;  // --gemm-best: fit best-of-top-k GEMM times
  std::vector<std::string> command_line;
};

struct CalibrateOutcome {
  std::string profile_path;
  std::string report_path;
  std::string results_path;  // empty with --from-results
  int measured = 0;          // points measured by this run
  int resumed = 0;           // points taken over from a checkpoint
  std::int64_t wrong = 0;    // wrong output elements over all points
};

// Output file paths derived from --out when not given.
std::string default_results_path(const std::string& out);
std::string report_path_for(const std::string& out);

Result<CalibrateOutcome> run_calibrate(const CalibrateOptions& options, std::ostream& out);

class GpuBackend;
// run_calibrate on a given backend instead of this machine's (nullptr: this machine's); tests
// use it to run the measuring path with a backend that needs no GPU.
Result<CalibrateOutcome> run_calibrate_on(const CalibrateOptions& options, GpuBackend* backend,
                                          std::ostream& out);

}  // namespace ptsim
