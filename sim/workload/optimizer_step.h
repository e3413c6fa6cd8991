// The optimizer phase of one step on one rank, as one memory-bound kernel: what runs between the
// last gradient reduction and the next forward, with nothing to overlap it.
//
// Bytes moved (Megatron-LM's step; megatron/core/optimizer and megatron/core/distributed):
//   * the Adam update of the rank's shard: fp32 parameter, moment and variance read and written,
//     the gradient read, the 16-bit parameter copy written: 28 bytes per parameter
//     (CALIBRATION_NOTES 4.5);
//   * the gradient norm for clipping (clip_grads.py, default --clip-grad 1.0): the shard's fp32
//     main gradients read once more, 4 bytes per parameter;
//   * the gradient buffer zeroed for the next step (param_and_grad_buffer.py reset(): grad_data
//     zero_()): every local parameter's gradient under ZeRO 0 and 1 (the distributed optimizer
//     shards state, not the buffer), the shard's under ZeRO 2 and 3; 4 bytes each when gradients
//     are reduced in fp32, 2 otherwise. PyTorch's zero_grad(set_to_none=True) skips this write,
//     so it is a small overestimate for such loops.
#pragma once

#include "cost_models/kernel.h"
#include "sim/workload/parallel_config.h"

namespace ptsim {

// `rank_params`: parameters this rank holds (its pipeline stages, its tensor and expert shards);
// `shard_params`: those whose optimizer state it keeps (rank_params / dp under ZeRO >= 1).
MemoryBoundKernel optimizer_step_kernel(const ParallelConfig& p, double rank_params,
                                        double shard_params);

}  // namespace ptsim
