// The reference executor's entry point: runs one step graph on this machine's GPU (gpu_executor.h)
// warm-up steps first, then timed steps (device events at the step's ends only), then one step
// with an event around every op and kernel for the per-class comparison (comparison.h).
#pragma once

#include "calibration/executor/comparison.h"
#include "calibration/executor/executor_backend.h"
#include "calibration/executor/gpu_executor.h"
#include "common/result.h"
#include "hardware_profiles/cluster_profile.h"
#include "sim/graph/graph.h"

namespace ptsim {

struct ExecuteSettings {
  int warmup_steps = 1;
  int timed_steps = 5;
  GpuExecutorSettings gpu;  // stand_in_time_s defaults to the cluster's compute cost model
};

struct ExecutionResult {
  BackendDescription backend;
  StepComparison comparison;
};

// Input errors: no GPU or no CUDA in this build, a graph the GPU backend cannot run, a device
// failure (named with its call).
Result<ExecutionResult> execute_graph(const Graph& graph, const ClusterProfile& cluster,
                                      double predicted_step_s, const ExecuteSettings& settings);

}  // namespace ptsim
