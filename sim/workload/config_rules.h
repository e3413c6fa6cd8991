// The divisibility and compatibility rules a (model, training, parallel) configuration must meet
// before a step can be built: the same rules Megatron-Core enforces at start-up, each with a stable
// rule name the planner counts pruned candidates by.
#pragma once

#include <string>
#include <vector>

#include "sim/workload/model_spec.h"
#include "sim/workload/parallel_config.h"
#include "sim/workload/training_config.h"
#include "sim/workload/verdict.h"

namespace ptsim {

// Micro-batches per pipeline per step: global_batch / (micro_batch * dp).
int micro_batches_per_step(const TrainingConfig& t, const ParallelConfig& p);

// The largest virtual-stage count, expert size, micro-batch, sequence length and global batch the
// rules accept (positive_sizes): far above any real run, and low enough that the products the
// rules and the step builder form of them cannot overflow.
inline constexpr int kMaxConfigSize = 1 << 24;
// The most layers a model may have (model_sizes): far above any trained model, and low enough that
// the shortest step graph the size estimate builds stays within memory.
inline constexpr int kMaxLayers = 1 << 16;

// Checks every rule; returns the first broken one (rules are checked in a fixed order).
// `gpus` is the number of GPUs the configuration must fill exactly.
Verdict check_config(const ModelSpec& m, const TrainingConfig& t, const ParallelConfig& p,
                     int gpus);

// Every rule name check_config can return, in checking order (for reports and tests).
const std::vector<std::string>& config_rule_names();

}  // namespace ptsim
