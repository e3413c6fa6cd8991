// Measured against simulated: what the reference executor reports for one step graph. Per op
// class (GEMM, attention forward and backward, each memory-bound kind) the summed device time of
// its kernels as measured (each kernel from the end of the one before it on its stream, so launch
// gaps count, as the cost model's launch overhead does) and as the compute cost model times them
// (what the simulator charges each kernel when no communication overlaps it), and the step time
// measured (median of the steps timed without per-op events) and simulated.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "calibration/executor/executor_backend.h"
#include "hardware_profiles/cluster_profile.h"
#include "sim/graph/graph.h"

namespace ptsim {

struct OpClassComparison {
  std::string op_class;  // "gemm", "attention forward", "norm", ...
  std::int64_t kernels = 0;
  double measured_s = 0;
  double predicted_s = 0;
};

struct StepComparison {
  std::vector<double> step_times_s;  // each timed step, in the order run
  double measured_step_s = 0;        // their median
  double timed_ops_step_s = 0;       // the step run with per-op events
  double predicted_step_s = 0;       // simulate_graph's
  std::vector<OpClassComparison> classes;
};

// Signed error of a prediction in percent of the measurement: 100 (predicted - measured) /
// measured.
double error_percent(double predicted, double measured);

// `timed` is the step run with per-op events; `step_times_s` those run without.
StepComparison compare_step(const Graph& graph, const ClusterProfile& cluster,
                            double predicted_step_s, const std::vector<double>& step_times_s,
                            const StepTimings& timed);

nlohmann::json comparison_json(const StepComparison& c);

}  // namespace ptsim
