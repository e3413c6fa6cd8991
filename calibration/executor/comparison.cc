#include "calibration/executor/comparison.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <variant>

#include "cost_models/compute_cost.h"

namespace ptsim {

namespace {

std::string op_class_of(const Kernel& kernel) {
  if (std::holds_alternative<GemmKernel>(kernel)) return "gemm";
  if (const auto* a = std::get_if<AttentionKernel>(&kernel)) {
    return a->backward ? "attention backward" : "attention forward";
  }
  return memory_bound_kind_name(std::get<MemoryBoundKernel>(kernel).kind);
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

}  // namespace

double error_percent(double predicted, double measured) {
  return measured > 0 ? 100.0 * (predicted - measured) / measured : 0.0;
}

StepComparison compare_step(const Graph& graph, const ClusterProfile& cluster,
                            double predicted_step_s, const std::vector<double>& step_times_s,
                            const StepTimings& timed) {
  StepComparison c;
  c.step_times_s = step_times_s;
  c.measured_step_s = median(step_times_s);
  c.timed_ops_step_s = timed.step_time_s;
  c.predicted_step_s = predicted_step_s;
  const ComputeCostModel cost(cluster.gpu);
  const KernelSlots slots(graph);
  // Classes in first-seen order of the graph's ops: the same graph always lists them alike.
  std::map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < graph.op_count(); ++i) {
    const Op& op = graph.op(static_cast<OpId>(i));
    if (op.kind != OpKind::compute) continue;
    double previous_end = timed.op_start_s[i];
    std::uint32_t slot = slots.offset(static_cast<OpId>(i));
    for (std::uint32_t k : graph.kernels_of(op)) {
      const Kernel& kernel = graph.kernel(k);
      const std::string name = op_class_of(kernel);
      auto [it, added] = index.emplace(name, c.classes.size());
      if (added) c.classes.push_back({name, 0, 0, 0});
      OpClassComparison& row = c.classes[it->second];
      ++row.kernels;
      row.predicted_s += cost.time_s(kernel);
      const double end = timed.kernel_end_s[slot];
      if (std::isfinite(end) && std::isfinite(previous_end)) row.measured_s += end - previous_end;
      previous_end = end;
      ++slot;
    }
  }
  return c;
}

nlohmann::json comparison_json(const StepComparison& c) {
  nlohmann::json classes = nlohmann::json::array();
  double measured = 0, predicted = 0;
  for (const OpClassComparison& r : c.classes) {
    classes.push_back({{"op_class", r.op_class},
                       {"kernels", r.kernels},
                       {"measured_s", r.measured_s},
                       {"predicted_s", r.predicted_s},
                       {"error_percent", error_percent(r.predicted_s, r.measured_s)}});
    measured += r.measured_s;
    predicted += r.predicted_s;
  }
  return {{"step",
           {{"measured_s", c.measured_step_s},
            {"measured_each_s", c.step_times_s},
            {"measured_with_op_events_s", c.timed_ops_step_s},
            {"predicted_s", c.predicted_step_s},
            {"error_percent", error_percent(c.predicted_step_s, c.measured_step_s)}}},
          {"kernels_total",
           {{"measured_s", measured},
            {"predicted_s", predicted},
            {"error_percent", error_percent(predicted, measured)}}},
          {"op_classes", classes}};
}

}  // namespace ptsim
