// Activation memory a rank keeps per micro-batch between a layer's forward and its backward,
// counted tensor by tensor as Korthikanti et al. 2022 (arXiv:2205.05198, section 4, Table 2) do:
// 16-bit activations, 1-byte dropout masks. For a GPT layer with unfused attention and dropout this
// reproduces their closed forms exactly (tests/workload/memory_test.cc,
// KorthikantiActivationCoefficientsForGpt3):
//   no parallelism            sbh (34 + 5as/h)
//   tensor parallel           sbh (10 + 24/t + 5as/(ht))
//   tensor + sequence par.    sbh (34 + 5as/h) / t
//   + selective recompute     drops the 5as/h term
//   full recompute            2sbh (the layer input only; 2sbh/t under sequence parallelism)
// Other architectures are counted with the same rules: FlashAttention keeps q, k, v, the output and
// the fp32 log-sum-exp instead of the s x s scores; SwiGLU keeps both fc1 halves; GQA keeps smaller
// k and v; MLA keeps its latent projections; MoE keeps the dispatched tokens and expert
// intermediates; models without dropout keep no masks.
// In fp8 training (Transformer Engine on Hopper) a linear layer keeps its input for the weight
// gradient as an fp8 copy, 1 byte per element (TE docs, low-precision training, "Memory usage":
// 1 MB of fp8 input saved where bf16 saves 2 MB): the norm outputs feeding q/k/v, the MLA latents'
// up-projections and fc1, the activation outputs feeding fc2, the dispatched tokens feeding the
// experts. A linear whose 16-bit input is kept anyway (the attention output, which the fused
// attention backward reads) keeps its fp8 copy besides it.
#pragma once

#include "sim/workload/model_spec.h"
#include "sim/workload/parallel_config.h"
#include "sim/workload/rank_shapes.h"
#include "sim/workload/training_config.h"

namespace ptsim {

struct LayerActivationBytes {
  double attention = 0;  // attention block, its norm included
  double mlp = 0;        // MLP or MoE block, its norm included
  double total() const { return attention + mlp; }
};

// Bytes one rank keeps for one micro-batch of one layer under the configured recompute mode.
LayerActivationBytes layer_activation_bytes(const ModelSpec& m, const TrainingConfig& t,
                                            const ParallelConfig& p, const RankShapes& s,
                                            bool moe_layer);

// Bytes the first and last pipeline stages keep besides their layers (Korthikanti section 4.3):
// the embedding output on the first, the final norm input, the output-layer input and the fp32
// logits (4 s b v / t) on the last.
double embedding_activation_bytes(const ModelSpec& m, const RankShapes& s);
double head_activation_bytes(const ModelSpec& m, const RankShapes& s);

}  // namespace ptsim
