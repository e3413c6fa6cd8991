// ptsim's own fused attention kernels ("ptsim-flash-wmma"), used where no vendor fused attention
// is wired in. They follow FlashAttention-2's algorithm (Dao 2023, arXiv:2307.08691, Algorithms 1
// and 2): the forward pass streams K and V tiles through shared memory with an online softmax and
// never writes the score matrix; the backward pass recomputes P from the saved log-sum-exp and
// accumulates dK, dV per key block and dQ with atomics. Matrix products use tensor cores through
// the WMMA API (bf16 inputs, fp32 accumulation), which reaches only part of what Hopper's wgmma
// does: FlashAttention-3 reaches about 75 % of the H100's bf16 peak (Shah et al. 2024), these
// kernels much less. calibrate records what they achieve as it is, under the implementation name,
// so a profile fitted from them is a lower bound for attention speed.
//
// Layout: q [batch, seq, heads, head_dim], k and v [batch, seq, kv_heads, head_dim], o like q, all
// bf16; lse [batch, heads, seq] fp32 in log2 units of the scaled scores. Grouped-query attention:
// query head h reads key/value head h / (heads / kv_heads). seq must be a multiple of 64 and
// head_dim 64 or 128; causal masks keys after the query (q and kv aligned, as in training).
#pragma once

#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <cstdint>

namespace ptsim::gpu {

struct AttentionShape {
  int batch = 0;
  int heads = 0;
  int kv_heads = 0;
  int seq = 0;
  int head_dim = 0;
  bool causal = false;
};

inline constexpr int kAttentionBlock = 64;  // query and key rows per tile
bool attention_shape_supported(const AttentionShape& s);

void attention_forward(const AttentionShape& s, const __nv_bfloat16* q, const __nv_bfloat16* k,
                       const __nv_bfloat16* v, __nv_bfloat16* o, float* lse, cudaStream_t stream);

// Gradients of attention_forward. `delta` ([batch, heads, seq] fp32) and `dq_accum` ([batch, seq,
// heads, head_dim] fp32) are workspaces; dq, dk, dv are written in the layouts of q, k, v.
void attention_backward(const AttentionShape& s, const __nv_bfloat16* q, const __nv_bfloat16* k,
                        const __nv_bfloat16* v, const __nv_bfloat16* o, const __nv_bfloat16* d_o,
                        const float* lse, float* delta, float* dq_accum, __nv_bfloat16* dq,
                        __nv_bfloat16* dk, __nv_bfloat16* dv, cudaStream_t stream);

}  // namespace ptsim::gpu
