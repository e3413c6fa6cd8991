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
// Core developer guide, Distributed Optimizer). The fp32 copy the optimizer step makes of a 16-bit
// gradient shard is transient: optimizer_gradient_copy_bytes().
ModelStateBytes model_state_bytes(double dense_params, double expert_params, int dense_shards,
                                  int expert_shards, int zero_stage, double gradient_bytes = 2.0);

// The fp32 gradients an optimizer step over fp32 master weights reads, where the gradient buffer
// is 16-bit (`gradient_bytes` 2): the step first copies its shard of the gradients to fp32
// (Megatron's `main_param.grad = main_grad.float()`, a new tensor unless main_grad is already
// fp32), 4 bytes per parameter of the optimizer's shard, held from the step's start to its end.
// It is the difference between the developer guide's "fp16 parameters, fp16 gradients" row (20
// bytes per parameter, 4 + 16/d distributed) and ZeRO's 16 (4 + 12/d). Zero where the buffer is
// already fp32: `.float()` of an fp32 tensor is the tensor itself. Under ZeRO-3 the step runs
// over sub-groups of at most kZero3OptimizerSubGroupParams, one copy at a time (DeepSpeed stage3.py
// `_prepare_fp32_grad_for_sub_group`, freed after each sub-group's step).
inline constexpr double kZero3OptimizerSubGroupParams = 1e9;  // DeepSpeed's default sub_group_size
double optimizer_gradient_copy_bytes(double dense_params, double expert_params, int dense_shards,
                                     int expert_shards, int zero_stage, double gradient_bytes);

}  // namespace ptsim
