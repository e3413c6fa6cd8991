// Matrix-multiply FLOPs of training a ModelSpec: per layer part, per forward pass, and per
// optimizer step with and without activation recomputation.
//
// Conventions (Narayanan et al. 2021, arXiv:2104.04473 §5.1; Korthikanti et al. 2022,
// arXiv:2205.05198 Appendix A):
// * Only matrix multiplies count, 2 FLOPs per multiply-add. Norms, activations, softmax, RoPE,
//   bias adds and the embedding lookup are left out (they are memory-bound, and published MFU
//   figures leave them out too).
// * Backward = 2x forward for every matmul (gradients with respect to inputs and to weights).
// * Attention core (QK^T and scores x V): `attention_core_flops` is the full s x s count that
//   Megatron's formulas and MFU use; `attention_core_causal_flops` halves the s^2 terms, which is
//   what a causal FlashAttention kernel executes (newer Megatron-Bridge counts this way, so its
//   TFLOP/s are not comparable across releases; formulas.md 3d). Step totals use the non-causal
//   count; the *_causal_flops fields give the causal one.
// * MoE layers count top_k routed experts plus the shared experts, and the router; dense layers of
//   MoE models use the dense MLP width. Capacity factors and dropped tokens are not modelled here.
// * MLA (DeepSeek) counts its low-rank projections as separate matmuls, and the attention core
//   with qk_head_dim = nope + rope for QK^T and v_head_dim for scores x V.
// * Sliding-window attention is not modelled (full attention is counted).
//
// For a GPT-style model (MHA, 4h GELU MLP, L layers, vocab v, batch B, sequence s) this gives
// exactly formulas.md §3: forward per layer 24Bsh^2 + 4Bs^2h, logits 2Bshv;
//   model FLOPs (no recompute)      72BLsh^2 (1 + s/(6h) + v/(12hL))    Korthikanti eq. 7
//   hardware FLOPs, full recompute  96BLsh^2 (1 + s/(6h) + v/(16hL))    Narayanan eq. 3
//   hardware FLOPs, selective       72BLsh^2 (1 + 2s/(9h) + v/(12hL))   one extra core forward
// Korthikanti eq. 8 writes s/(3h) for selective recompute, i.e. three extra core forwards; it is
// kept as `hardware_korthikanti22_flops` because their published HFU figures use it (GPT-3 175B on
// 64 A100 at 13.75 s: MFU 51.39%, HFU 52.77%, formulas.md 3c).
//
// Validated by tests/models/model_flops_test.cc (random GPT-style configs against the closed forms
// to 1e-12; the GPT-3 Table 5 MFU and HFU; MoE, GQA and MLA counts derived by hand; forward FLOPs
// equal to 2 x matmul weights per token).
#pragma once

#include <vector>

#include "sim/workload/model_spec.h"
#include "sim/workload/parallel_config.h"

namespace ptsim {

// Forward FLOPs of one decoder layer for one sequence of `seq_len` tokens (per token: / seq_len).
struct LayerFlops {
  double attention_projections_flops = 0;  // q, k, v, o (MLA: q_a, q_b, kv_a, kv_b, o)
  double mla_up_projection_flops = 0;      // MLA's q_b (or q_proj) and kv_b: part of the above
  double attention_core_flops = 0;         // QK^T + scores x V over the full s x s
  double attention_core_causal_flops = 0;  // the same with the causal mask: half the s^2 terms
  double mlp_flops = 0;                    // dense MLP, or top_k routed + shared experts
  double router_flops = 0;                 // hidden -> num_experts logits

  double total_flops() const {
    return attention_projections_flops + attention_core_flops + mlp_flops + router_flops;
  }
  double total_causal_flops() const {
    return attention_projections_flops + attention_core_causal_flops + mlp_flops + router_flops;
  }
};

// Layer `layer` (0-based; dense or MoE per ModelSpec::is_moe_layer).
LayerFlops layer_forward_flops(const ModelSpec& m, int layer, int seq_len);

// Forward FLOPs of the LM head (logits) for one sequence: 2 * seq_len * hidden * vocab. Counted
// whether or not the weight is tied to the embedding: the matmul runs either way.
double lm_head_forward_flops(const ModelSpec& m, int seq_len);

// FLOPs of one optimizer step over `global_batch` sequences of `seq_len` tokens.
struct StepFlops {
  double forward_flops = 0;   // one forward pass: all layers and the LM head
  double model_flops = 0;     // forward + backward, no recompute: the numerator of MFU
  double hardware_flops = 0;  // model_flops + the forward work recompute executes again: HFU
  // Same with the causal attention-core count.
  double model_causal_flops = 0;
  double hardware_causal_flops = 0;
  // hardware_flops, except that selective recompute is counted as Korthikanti et al. 2022 eq. 8
  // does (the core's model FLOPs once more). Only for comparing with their published HFU.
  double hardware_korthikanti22_flops = 0;
};

// Recompute::selective re-runs the forward of its modules (RecomputeModule): the attention core
// of every layer (core_attn), the dense MLPs (mlp), the MoE blocks' router and experts (moe), MLA's
// up-projections (mla_up_proj); norms and activations add no matmul FLOPs. Recompute::full re-runs
// every layer's forward (not the LM head). seq_len and global_batch must be positive.
StepFlops step_flops(const ModelSpec& m, int seq_len, int global_batch, Recompute recompute,
                     std::uint8_t recompute_modules = kRecomputeCoreAttn);

// Hardware FLOPs (full s x s core, as hardware_flops) when full recomputation re-runs only the
// first `recompute_layers` layers of each model stage (ParallelConfig::recompute_layers);
// `layers_per_stage` lists the stages' layer counts in layer order.
double partial_recompute_hardware_flops(const ModelSpec& m, int seq_len, int global_batch,
                                        const std::vector<int>& layers_per_stage,
                                        int recompute_layers);

}  // namespace ptsim
