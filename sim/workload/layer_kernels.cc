// The kernels of each layer kind for one configuration, interned once per graph. Byte counts of
// memory-bound kernels follow CALIBRATION_NOTES section 4.5 (bf16 elements read + written once).
#include <algorithm>
#include <cmath>

#include "sim/workload/step_builder.h"

namespace ptsim::builder {

namespace {

std::int64_t rows(double x) {
  return std::max<std::int64_t>(1, std::llround(std::ceil(x)));
}

MemoryBoundKernel mem(MemoryBoundKind kind, double bytes, double flops_per_byte = 0.25) {
  return MemoryBoundKernel{kind, bytes, bytes * flops_per_byte};
}

}  // namespace

LinearKernels StepBuilder::linear(double row_count, double in, double out) {
  LinearKernels k;
  const std::int64_t r = rows(row_count);
  const auto i = static_cast<std::int64_t>(in);
  const auto o = static_cast<std::int64_t>(out);
  const bool q = linear_quantises_input(gemm_dtype_);
  k.fwd = g_.intern_kernel(GemmKernel{r, o, i, 1, gemm_dtype_, q});
  k.dgrad = g_.intern_kernel(GemmKernel{r, i, o, 1, gemm_dtype_, q});
  k.wgrad = g_.intern_kernel(GemmKernel{i, o, r, 1, gemm_dtype_});
  k.flops_fwd = 2.0 * static_cast<double>(r) * i * o;
  return k;
}

void StepBuilder::intern_kernels() {
  const RankShapes& s = shapes_;
  const double h = m_.hidden;
  const double T = s.tokens_tp;
  const double Tsp = s.tokens_sp;
  const int b = p_.micro_batch;

  auto build = [&](LayerKernels& k, bool moe_layer) {
    k.norm_fwd = g_.intern_kernel(mem(MemoryBoundKind::norm, 8.0 * Tsp * h));
    k.norm_bwd = g_.intern_kernel(mem(MemoryBoundKind::norm, 10.0 * Tsp * h));
    // Forward: read the block output and the residual, write the sum (2+2+2 bytes), plus the 1-byte
    // dropout mask. Backward: add the residual gradient to the one through the block (2+2+2), plus
    // the dropout backward (read gradient and mask, write: 2+1+2).
    k.residual_fwd =
        g_.intern_kernel(mem(MemoryBoundKind::elementwise, (m_.dropout ? 7.0 : 6.0) * Tsp * h));
    k.residual_bwd =
        g_.intern_kernel(mem(MemoryBoundKind::elementwise, (m_.dropout ? 11.0 : 6.0) * Tsp * h));
    // Attention projections.
    int rope_dim = s.head_dim_qk;
    if (m_.attention == AttentionKind::mla) {
      const auto& a = m_.mla;
      k.mla = true;
      k.mla_q_lora = a.q_lora_rank > 0;
      if (k.mla_q_lora) {
        k.q_down = linear(T, h, a.q_lora_rank);
        k.q_up = linear(T, a.q_lora_rank, s.mla_q_up_out_local);
        k.q_norm_fwd = g_.intern_kernel(mem(MemoryBoundKind::norm, 4.0 * T * a.q_lora_rank));
        k.q_norm_bwd = g_.intern_kernel(mem(MemoryBoundKind::norm, 6.0 * T * a.q_lora_rank));
      } else {
        k.q_direct = linear(T, h, s.mla_q_up_out_local);
      }
      k.kv_down = linear(T, h, s.mla_kv_down_out);
      k.kv_up = linear(T, a.kv_lora_rank, s.mla_kv_up_out_local);
      k.kv_norm_fwd = g_.intern_kernel(mem(MemoryBoundKind::norm, 4.0 * T * a.kv_lora_rank));
      k.kv_norm_bwd = g_.intern_kernel(mem(MemoryBoundKind::norm, 6.0 * T * a.kv_lora_rank));
      rope_dim = a.qk_rope_head_dim;
    } else {
      k.qkv = linear(T, h, s.qkv_out_local);
    }
    const double rope_elems = T * (s.heads_local + s.kv_heads_local) * rope_dim;
    k.rope_fwd = g_.intern_kernel(mem(MemoryBoundKind::rope, 4.0 * rope_elems, 1.5));
    k.rope_bwd = g_.intern_kernel(mem(MemoryBoundKind::rope, 4.0 * rope_elems, 1.5));

    // Attention core.
    const Dtype attn_dtype = gemm_dtype_ == Dtype::fp8 ? Dtype::bf16 : gemm_dtype_;
    if (t_.attention == AttentionImpl::unfused) {
      k.unfused = true;
      const std::int32_t batch = b * s.heads_local;
      const std::int64_t sl = s.seq_local;
      const double scores = static_cast<double>(batch) * sl * sl;
      k.qk_fwd = g_.intern_kernel(GemmKernel{sl, sl, s.head_dim_qk, batch, attn_dtype});
      k.av_fwd = g_.intern_kernel(GemmKernel{sl, s.head_dim_v, sl, batch, attn_dtype});
      k.av_dgrad_probs = g_.intern_kernel(GemmKernel{sl, sl, s.head_dim_v, batch, attn_dtype});
      k.av_dgrad_v = g_.intern_kernel(GemmKernel{sl, s.head_dim_v, sl, batch, attn_dtype});
      k.qk_dgrad_q = g_.intern_kernel(GemmKernel{sl, s.head_dim_qk, sl, batch, attn_dtype});
      k.qk_dgrad_k = g_.intern_kernel(GemmKernel{sl, s.head_dim_qk, sl, batch, attn_dtype});
      // Softmax reads the scores and writes the probabilities (2+2 bytes); backward reads the
      // gradient and the probabilities and writes (2+2+2). Dropout on the probabilities is a
      // separate kernel: forward read, write and 1-byte mask; backward read, mask, write.
      const double fwd_bytes = m_.dropout ? 4.0 + 5.0 : 4.0;
      const double bwd_bytes = m_.dropout ? 6.0 + 5.0 : 6.0;
      k.softmax_fwd = g_.intern_kernel(mem(MemoryBoundKind::softmax, fwd_bytes * scores, 1.0));
      k.softmax_bwd = g_.intern_kernel(mem(MemoryBoundKind::softmax, bwd_bytes * scores, 1.0));
    } else {
      AttentionKernel a;
      a.batch = b;
      a.heads = s.heads_local;
      a.kv_heads = s.kv_heads_local;
      a.head_dim_qk = s.head_dim_qk;
      a.head_dim_v = s.head_dim_v;
      a.dtype = attn_dtype;
      auto add_step = [&](AttentionKernel step) {
        step.backward = false;
        k.attn_fwd.push_back(g_.intern_kernel(step));
        step.backward = true;
        k.attn_bwd.push_back(g_.intern_kernel(step));
      };
      if (p_.cp > 1 && p_.cp_algorithm == CpAlgorithm::ring) {
        // Causal load balancing (chunks i and 2cp-1-i per rank): step 0 is the causal diagonal
        // block, every later step half a full block.
        a.q_len = s.seq_local;
        a.kv_len = s.seq_local;
        a.causal = true;
        add_step(a);
        a.kv_len = s.seq_local / 2;
        a.causal = false;
        for (int i = 1; i < p_.cp; ++i)
          add_step(a);
        const double merge_elems = T * s.heads_local * s.head_dim_v;
        k.attn_merge =
            g_.intern_kernel(mem(MemoryBoundKind::elementwise, 6.0 * merge_elems * (p_.cp - 1)));
      } else {
        if (p_.cp > 1) {  // Ulysses: full sequence, heads split over cp
          a.heads /= p_.cp;
          a.kv_heads = std::max(1, a.kv_heads / p_.cp);
        }
        a.q_len = t_.seq_len / (p_.cp > 1 && p_.cp_algorithm == CpAlgorithm::ring ? p_.cp : 1);
        a.kv_len = a.q_len;
        a.causal = true;
        add_step(a);
      }
    }
    k.out = linear(T, s.attn_out_in_local, h);

    // MLP.
    const bool swiglu = m_.mlp == MlpKind::swiglu;
    auto act = [&](double elems, bool backward) {
      const double per = swiglu ? (backward ? 10.0 : 6.0) : (backward ? 6.0 : 4.0);
      return g_.intern_kernel(mem(MemoryBoundKind::activation, per * elems, 2.0));
    };
    if (!moe_layer) {
      k.fc1 = linear(T, h, s.dense_fc1_out_local);
      k.fc2 = linear(T, s.dense_ffn_local, h);
      k.act_fwd = act(T * s.dense_ffn_local, false);
      k.act_bwd = act(T * s.dense_ffn_local, true);
      return;
    }
    k.moe = true;
    const auto& e = m_.moe;
    k.router = linear(Tsp, h, e.num_experts);
    k.route_fwd = g_.intern_kernel(mem(MemoryBoundKind::softmax, 12.0 * Tsp * e.num_experts, 1.0));
    k.route_bwd = g_.intern_kernel(mem(MemoryBoundKind::softmax, 12.0 * Tsp * e.num_experts, 1.0));
    const double routed = s.routed_tokens_sent;
    k.permute = g_.intern_kernel(mem(MemoryBoundKind::copy, 4.0 * routed * h, 0.0));
    k.unpermute = g_.intern_kernel(mem(MemoryBoundKind::copy, 6.0 * routed * h, 0.5));
    const std::int64_t te = rows(s.tokens_per_local_expert);
    const auto E = static_cast<std::int32_t>(s.local_experts);
    auto grouped = [&](std::int64_t in, std::int64_t out) {
      LinearKernels l;
      const bool q = linear_quantises_input(gemm_dtype_);
      const std::int32_t streams = p_.expert_gemm_streams();
      l.fwd = g_.intern_kernel(GemmKernel{te, out, in, E, gemm_dtype_, q, streams});
      l.dgrad = g_.intern_kernel(GemmKernel{te, in, out, E, gemm_dtype_, q, streams});
      l.wgrad = g_.intern_kernel(GemmKernel{in, out, te, E, gemm_dtype_, false, streams});
      l.flops_fwd = 2.0 * static_cast<double>(te) * in * out * E;
      return l;
    };
    k.expert_fc1 = grouped(m_.hidden, s.expert_fc1_out_local);
    k.expert_fc2 = grouped(s.expert_ffn_local, m_.hidden);
    const double expert_elems = static_cast<double>(te) * E * s.expert_ffn_local;
    k.expert_act_fwd = act(expert_elems, false);
    k.expert_act_bwd = act(expert_elems, true);
    if (s.shared_ffn_local > 0) {
      k.shared_experts = true;
      k.shared_fc1 = linear(T, h, s.shared_fc1_out_local);
      k.shared_fc2 = linear(T, s.shared_ffn_local, h);
      k.shared_act_fwd = act(T * s.shared_ffn_local, false);
      k.shared_act_bwd = act(T * s.shared_ffn_local, true);
    }
  };
  build(dense_, false);
  if (m_.is_moe()) build(moe_, true);

  edge_.embed_fwd = g_.intern_kernel(mem(MemoryBoundKind::copy, 4.0 * T * h, 0.0));
  edge_.embed_bwd = g_.intern_kernel(mem(MemoryBoundKind::copy, 10.0 * T * h, 0.1));
  edge_.final_norm_fwd = g_.intern_kernel(mem(MemoryBoundKind::norm, 8.0 * Tsp * h));
  edge_.final_norm_bwd = g_.intern_kernel(mem(MemoryBoundKind::norm, 10.0 * Tsp * h));
  edge_.head = linear(T, h, s.vocab_local);
  // Vocabulary-parallel cross-entropy as Megatron runs it unfused, in fp32, per logit: cast the
  // bf16 logits (read 2, write 4), max (read 4), subtract and exponentiate in place (2 x (4 + 4)),
  // sum (read 4), normalise into the saved softmax (4 + 4): 38 bytes. Backward: subtract the
  // one-hot and scale by the loss gradient in place (2 x (4 + 4)), cast to bf16 (4 + 2): 22 bytes.
  edge_.loss_fwd = g_.intern_kernel(mem(MemoryBoundKind::softmax, 38.0 * T * s.vocab_local, 0.2));
  edge_.loss_bwd = g_.intern_kernel(mem(MemoryBoundKind::softmax, 22.0 * T * s.vocab_local, 0.2));
}

}  // namespace ptsim::builder
