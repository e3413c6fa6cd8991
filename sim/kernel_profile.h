// What one rank's compute ops are made of, by kernel class: how many kernels, the time the compute
// cost model gives them (at full speed, without the slowdown concurrent communication causes, so
// the classes sum to the rank's kernel time rather than to the step), their FLOPs and their HBM
// bytes. It answers "is this step GEMM-bound, attention-bound or memory-bound, and at what rate
// does each class run", which the timeline's breakdown (sim/breakdown.h) does not: that one splits
// the step into compute, exposed communication and bubble.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "cost_models/compute_cost.h"
#include "sim/graph/graph.h"

namespace ptsim {

// GEMMs of one product (batch 1) and of several independent ones (batch > 1: a rank's local
// experts, unfused attention's per-head products) are separate classes: the second run at their
// own, often lower, rate, which a sum with the dense projections would hide.
enum class KernelClass : std::uint8_t {
  gemm,
  batched_gemm,
  attention_forward,
  attention_backward,
  norm,
  activation,
  rope,
  softmax,
  elementwise,
  optimizer,
  copy,
};
inline constexpr std::size_t kKernelClassCount = 11;

const char* kernel_class_name(KernelClass c);
KernelClass kernel_class(const Kernel& kernel);

struct KernelClassTotals {
  std::size_t count = 0;
  double time_s = 0;
  double flops = 0;
  double bytes = 0;  // HBM bytes read plus written, as the roofline counts them
};

struct KernelProfile {
  GraphRank rank = 0;
  std::array<KernelClassTotals, kKernelClassCount> by_class{};
  double total_time_s() const;
};

// Every kernel of every compute op of `rank`, each timed once by `cost`.
KernelProfile kernel_profile(const Graph& graph, GraphRank rank, const ComputeCostModel& cost);

}  // namespace ptsim
