#include "calibration/executor/execute.h"

#include <memory>
#include <vector>

#include "calibration/executor/launch_plan.h"
#include "cost_models/compute_cost.h"

namespace ptsim {

Result<ExecutionResult> execute_graph(const Graph& graph, const ClusterProfile& cluster,
                                      double predicted_step_s, const ExecuteSettings& settings) {
  if (settings.timed_steps < 1) return InputError{"--steps", "", "must be at least 1"};
  if (settings.warmup_steps < 0) return InputError{"--warmup", "", "must be at least 0"};
  auto plan = LaunchPlan::build(graph);
  if (!plan) return plan.error();
  GpuExecutorSettings gpu = settings.gpu;
  const ComputeCostModel cost(cluster.gpu);
  if (!gpu.stand_in_time_s)
    gpu.stand_in_time_s = [&cost](const Kernel& k) { return cost.time_s(k); };
  auto backend = make_gpu_executor(graph, gpu);
  if (!backend) return backend.error();
  ExecutorBackend& b = **backend;
  return catch_input_errors([&] {
    for (int i = 0; i < settings.warmup_steps; ++i) {
      enqueue_step(*plan, b, false);
      b.synchronize();
    }
    std::vector<double> steps;
    for (int i = 0; i < settings.timed_steps; ++i) {
      enqueue_step(*plan, b, false);
      steps.push_back(b.synchronize().step_time_s);
    }
    enqueue_step(*plan, b, true);
    const StepTimings timed = b.synchronize();
    ExecutionResult r;
    r.backend = b.description();
    r.comparison = compare_step(graph, cluster, predicted_step_s, steps, timed);
    return r;
  });
}

}  // namespace ptsim
