#include "sim/workload/model_state_memory.h"

#include <algorithm>

namespace ptsim {

ModelStateBytes model_state_bytes(double dense_params, double expert_params, int dense_shards,
                                  int expert_shards, int zero_stage, double gradient_bytes) {
  const double sharded = dense_params / dense_shards + expert_params / expert_shards;
  const double whole = dense_params + expert_params;
  ModelStateBytes b;
  b.weights = 2.0 * (zero_stage >= 3 ? sharded : whole);
  b.gradients = gradient_bytes * (zero_stage >= 2 ? sharded : whole);
  b.optimizer = 12.0 * (zero_stage >= 1 ? sharded : whole);
  return b;
}

double optimizer_gradient_copy_bytes(double dense_params, double expert_params, int dense_shards,
                                     int expert_shards, int zero_stage, double gradient_bytes) {
  if (gradient_bytes >= 4.0) return 0.0;
  const double shard = zero_stage >= 1 ? dense_params / dense_shards + expert_params / expert_shards
                                       : dense_params + expert_params;
  return 4.0 * (zero_stage >= 3 ? std::min(shard, kZero3OptimizerSubGroupParams) : shard);
}

}  // namespace ptsim
