#include "sim/workload/optimizer_step.h"

namespace ptsim {

MemoryBoundKernel optimizer_step_kernel(const ParallelConfig& p, double rank_params,
                                        double shard_params) {
  const double buffer_params = p.zero_stage >= 2 ? shard_params : rank_params;
  const double bytes = (28.0 + 4.0) * shard_params + p.grad_bytes() * buffer_params;
  // Adam: about 12 floating-point operations per parameter (moments, bias correction, update).
  return MemoryBoundKernel{MemoryBoundKind::optimizer, bytes, 12.0 * shard_params};
}

}  // namespace ptsim
