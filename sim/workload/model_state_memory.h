// Model-state memory per rank under ZeRO (Rajbhandari et al. 2019, arXiv:1910.02054, section 5,
// Table 1): mixed-precision Adam keeps 2 bytes of 16-bit weights, 2 of 16-bit gradients and K = 12
// of fp32 master weights, momentum and variance per parameter. Stage 1 shards the optimizer state,
// stage 2 also the gradients, stage 3 also the weights, over the N_d data-parallel ranks.
// Worked example (the paper's Figure 1, tests/workload/memory_test.cc ZeroTableOneEveryCell): 7.5B
// parameters, N_d = 64: 120 GB, 31.4 GB, 16.6 GB and 1.9 GB for stages 0 to 3.
#pragma once

#include <array>

namespace ptsim {

struct ModelStateBytes {
  double weights = 0;
  double gradients = 0;
  double optimizer = 0;
  double total() const { return weights + gradients + optimizer; }
};

// Dense parameters shard over `dense_shards` ranks (data x context parallel), expert parameters
// over `expert_shards` (expert-data parallel). `gradient_bytes` per gradient element: 2 as in the
// paper, 4 where the gradient buffer is fp32 (Megatron-LM's main_grad under bf16: its distributed
// optimizer holds 6 + 12/d bytes per parameter for "bf16 parameters, fp32 gradients", Megatron
// Core developer guide, Distributed Optimizer). Megatron's fp32 copy of a 16-bit gradient shard
// (4/d more in its "fp16 parameters, fp16 gradients" row) is not counted.
ModelStateBytes model_state_bytes(double dense_params, double expert_params, int dense_shards,
                                  int expert_shards, int zero_stage, double gradient_bytes = 2.0);

}  // namespace ptsim
