#include "planner/bounds_layer.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "sim/workload/optimizer_step.h"

namespace ptsim {

double PassCost::body_s() const {
  return std::max(compute_s, chain_s - lead_s - trail_s);
}

PassCost& PassCost::operator+=(const PassCost& o) {
  compute_s += o.compute_s;
  chain_s += o.chain_s;
  blocked_s += o.blocked_s;
  for (std::size_t i = 0; i < stream_s.size(); ++i)
    stream_s[i] += o.stream_s[i];
  return *this;
}

namespace {

// Kernel descriptors exactly as sim/workload/layer_kernels.cc makes them (the bounds test compares
// the sums with the built graph, so a change there shows up as a failing test here).
std::int64_t rows(double x) {
  return std::max<std::int64_t>(1, std::llround(std::ceil(x)));
}

MemoryBoundKernel mem(MemoryBoundKind kind, double bytes, double flops_per_byte = 0.25) {
  return MemoryBoundKernel{kind, bytes, bytes * flops_per_byte};
}

struct Linear {
  double fwd = 0, dgrad = 0, wgrad = 0;  // seconds
};

// Accumulates a dependency chain: kernels occupy the stream and the chain, blocking
// communication only the chain.
struct Chain {
  double compute = 0;
  double chain = 0;
  double blocked = 0;
  std::array<double, 3> stream{};
  void k(double t) {
    compute += t;
    chain += t;
  }
  // Communication the chain waits for, issued when the kernel before it ended.
  void c(double t, CommStream s) {
    chain += t;
    blocked += t;
    side(t, s);
  }
  // Communication beside the chain (on its stream only).
  void side(double t, CommStream s) { stream[static_cast<std::size_t>(s)] += t; }
  PassCost cost() const {
    PassCost p;
    p.compute_s = compute;
    p.chain_s = chain;
    p.stream_s = stream;
    p.blocked_s = blocked;
    return p;
  }
};

struct Kernels {
  double norm_fwd = 0, norm_bwd = 0;
  double residual_fwd = 0, residual_bwd = 0;
  bool mla = false, mla_q_lora = false;
  Linear qkv, q_down, q_up, q_direct, kv_down, kv_up;
  double q_norm_fwd = 0, q_norm_bwd = 0, kv_norm_fwd = 0, kv_norm_bwd = 0;
  double rope_fwd = 0, rope_bwd = 0;
  bool unfused = false;
  double qk_fwd = 0, softmax_fwd = 0, av_fwd = 0;
  double av_dgrad_probs = 0, av_dgrad_v = 0, softmax_bwd = 0, qk_dgrad_q = 0, qk_dgrad_k = 0;
  std::vector<double> attn_fwd, attn_bwd;
  double attn_merge = 0;
  Linear out;
  Linear fc1, fc2;
  double act_fwd = 0, act_bwd = 0;
  bool moe = false;
  Linear router;
  double route_fwd = 0, route_bwd = 0, permute = 0, unpermute = 0;
  Linear expert_fc1, expert_fc2;
  double expert_act_fwd = 0, expert_act_bwd = 0;
  bool shared = false;
  Linear shared_fc1, shared_fc2;
  double shared_act_fwd = 0, shared_act_bwd = 0;
};

class KernelTimer {
 public:
  KernelTimer(const ComputeCostModel& cm, Dtype dtype) : cm_(cm), dtype_(dtype) {}
  double t(const Kernel& k) const { return cm_.time_s(k); }
  Linear linear(double row_count, double in, double out) const {
    const std::int64_t r = rows(row_count);
    const auto i = static_cast<std::int64_t>(in);
    const auto o = static_cast<std::int64_t>(out);
    return {t(GemmKernel{r, o, i, 1, dtype_, quantise()}),
            t(GemmKernel{r, i, o, 1, dtype_, quantise()}), t(GemmKernel{i, o, r, 1, dtype_})};
  }
  Linear grouped(std::int64_t te, std::int32_t experts, std::int64_t in, std::int64_t out,
                 std::int32_t streams) const {
    return {t(GemmKernel{te, out, in, experts, dtype_, quantise(), streams}),
            t(GemmKernel{te, in, out, experts, dtype_, quantise(), streams}),
            t(GemmKernel{in, out, te, experts, dtype_, false, streams})};
  }
  bool quantise() const { return linear_quantises_input(dtype_); }

 private:
  const ComputeCostModel& cm_;
  Dtype dtype_;
};

Kernels layer_kernels(const ModelSpec& m, const TrainingConfig& t, const ParallelConfig& p,
                      const RankShapes& s, const KernelTimer& kt, Dtype gemm_dtype,
                      bool moe_layer) {
  Kernels k;
  const double h = m.hidden;
  const double T = s.tokens_tp;
  const double Tsp = s.tokens_sp;
  const int b = p.micro_batch;
  k.norm_fwd = kt.t(mem(MemoryBoundKind::norm, 8.0 * Tsp * h));
  k.norm_bwd = kt.t(mem(MemoryBoundKind::norm, 10.0 * Tsp * h));
  k.residual_fwd = kt.t(mem(MemoryBoundKind::elementwise, (m.dropout ? 7.0 : 6.0) * Tsp * h));
  k.residual_bwd = kt.t(mem(MemoryBoundKind::elementwise, (m.dropout ? 11.0 : 6.0) * Tsp * h));
  int rope_dim = s.head_dim_qk;
  if (m.attention == AttentionKind::mla) {
    const auto& a = m.mla;
    k.mla = true;
    k.mla_q_lora = a.q_lora_rank > 0;
    if (k.mla_q_lora) {
      k.q_down = kt.linear(T, h, a.q_lora_rank);
      k.q_up = kt.linear(T, a.q_lora_rank, s.mla_q_up_out_local);
      k.q_norm_fwd = kt.t(mem(MemoryBoundKind::norm, 4.0 * T * a.q_lora_rank));
      k.q_norm_bwd = kt.t(mem(MemoryBoundKind::norm, 6.0 * T * a.q_lora_rank));
    } else {
      k.q_direct = kt.linear(T, h, s.mla_q_up_out_local);
    }
    k.kv_down = kt.linear(T, h, s.mla_kv_down_out);
    k.kv_up = kt.linear(T, a.kv_lora_rank, s.mla_kv_up_out_local);
    k.kv_norm_fwd = kt.t(mem(MemoryBoundKind::norm, 4.0 * T * a.kv_lora_rank));
    k.kv_norm_bwd = kt.t(mem(MemoryBoundKind::norm, 6.0 * T * a.kv_lora_rank));
    rope_dim = a.qk_rope_head_dim;
  } else {
    k.qkv = kt.linear(T, h, s.qkv_out_local);
  }
  const double rope_elems = T * (s.heads_local + s.kv_heads_local) * rope_dim;
  k.rope_fwd = kt.t(mem(MemoryBoundKind::rope, 4.0 * rope_elems, 1.5));
  k.rope_bwd = k.rope_fwd;

  const Dtype attn_dtype = gemm_dtype == Dtype::fp8 ? Dtype::bf16 : gemm_dtype;
  if (t.attention == AttentionImpl::unfused) {
    k.unfused = true;
    const std::int32_t batch = b * s.heads_local;
    const std::int64_t sl = s.seq_local;
    const double scores = static_cast<double>(batch) * sl * sl;
    k.qk_fwd = kt.t(GemmKernel{sl, sl, s.head_dim_qk, batch, attn_dtype});
    k.av_fwd = kt.t(GemmKernel{sl, s.head_dim_v, sl, batch, attn_dtype});
    k.av_dgrad_probs = kt.t(GemmKernel{sl, sl, s.head_dim_v, batch, attn_dtype});
    k.av_dgrad_v = kt.t(GemmKernel{sl, s.head_dim_v, sl, batch, attn_dtype});
    k.qk_dgrad_q = kt.t(GemmKernel{sl, s.head_dim_qk, sl, batch, attn_dtype});
    k.qk_dgrad_k = kt.t(GemmKernel{sl, s.head_dim_qk, sl, batch, attn_dtype});
    const double fwd_bytes = m.dropout ? 4.0 + 5.0 : 4.0;
    const double bwd_bytes = m.dropout ? 6.0 + 5.0 : 6.0;
    k.softmax_fwd = kt.t(mem(MemoryBoundKind::softmax, fwd_bytes * scores, 1.0));
    k.softmax_bwd = kt.t(mem(MemoryBoundKind::softmax, bwd_bytes * scores, 1.0));
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
      k.attn_fwd.push_back(kt.t(step));
      step.backward = true;
      k.attn_bwd.push_back(kt.t(step));
    };
    if (p.cp > 1 && p.cp_algorithm == CpAlgorithm::ring) {
      a.q_len = s.seq_local;
      a.kv_len = s.seq_local;
      a.causal = true;
      add_step(a);
      a.kv_len = s.seq_local / 2;
      a.causal = false;
      for (int i = 1; i < p.cp; ++i)
        add_step(a);
      const double merge_elems = T * s.heads_local * s.head_dim_v;
      k.attn_merge = kt.t(mem(MemoryBoundKind::elementwise, 6.0 * merge_elems * (p.cp - 1)));
    } else {
      if (p.cp > 1) {
        a.heads /= p.cp;
        a.kv_heads = std::max(1, a.kv_heads / p.cp);
      }
      a.q_len = t.seq_len;
      a.kv_len = a.q_len;
      a.causal = true;
      add_step(a);
    }
  }
  k.out = kt.linear(T, s.attn_out_in_local, h);

  const bool swiglu = m.mlp == MlpKind::swiglu;
  auto act = [&](double elems, bool backward) {
    const double per = swiglu ? (backward ? 10.0 : 6.0) : (backward ? 6.0 : 4.0);
    return kt.t(mem(MemoryBoundKind::activation, per * elems, 2.0));
  };
  if (!moe_layer) {
    k.fc1 = kt.linear(T, h, s.dense_fc1_out_local);
    k.fc2 = kt.linear(T, s.dense_ffn_local, h);
    k.act_fwd = act(T * s.dense_ffn_local, false);
    k.act_bwd = act(T * s.dense_ffn_local, true);
    return k;
  }
  k.moe = true;
  const auto& e = m.moe;
  k.router = kt.linear(Tsp, h, e.num_experts);
  k.route_fwd = kt.t(mem(MemoryBoundKind::softmax, 12.0 * Tsp * e.num_experts, 1.0));
  k.route_bwd = k.route_fwd;
  const double routed = s.routed_tokens_sent;
  k.permute = kt.t(mem(MemoryBoundKind::copy, 4.0 * routed * h, 0.0));
  k.unpermute = kt.t(mem(MemoryBoundKind::copy, 6.0 * routed * h, 0.5));
  const std::int64_t te = rows(s.tokens_per_local_expert);
  const auto E = static_cast<std::int32_t>(s.local_experts);
  k.expert_fc1 = kt.grouped(te, E, m.hidden, s.expert_fc1_out_local, p.expert_gemm_streams());
  k.expert_fc2 = kt.grouped(te, E, s.expert_ffn_local, m.hidden, p.expert_gemm_streams());
  const double expert_elems = static_cast<double>(te) * E * s.expert_ffn_local;
  k.expert_act_fwd = act(expert_elems, false);
  k.expert_act_bwd = act(expert_elems, true);
  if (s.shared_ffn_local > 0) {
    k.shared = true;
    k.shared_fc1 = kt.linear(T, h, s.shared_fc1_out_local);
    k.shared_fc2 = kt.linear(T, s.shared_ffn_local, h);
    k.shared_act_fwd = act(T * s.shared_ffn_local, false);
    k.shared_act_bwd = act(T * s.shared_ffn_local, true);
  }
  return k;
}

// The chains of layer_emitter.cc, op by op.
class LayerChains {
 public:
  LayerChains(const ModelSpec& m, const ParallelConfig& p, const Kernels& k,
              const BlockingCommTimes& c)
      : m_(m), p_(p), k_(k), c_(c) {
    // Layer TP collectives: blocking unless pipelined with their GEMM (--tp-comm-overlap).
    const bool sp = p.sequence_parallel && p.tp > 1;
    gather_raw_ = sp ? c.tp_gather : 0.0;
    exit_raw_ = p.tp > 1 ? c.tp_exit : 0.0;
    gather_ = c.tp_overlapped ? 0.0 : gather_raw_;
    exit_ = c.tp_overlapped ? 0.0 : exit_raw_;
  }

  // A layer's TP all-gather / block exit: waited for, or beside its GEMM with --tp-comm-overlap.
  void tp_gather(Chain& ch) const {
    ch.c(gather_, CommStream::tp);
    ch.side(gather_raw_ - gather_, CommStream::tp);
  }
  void tp_exit(Chain& ch) const {
    ch.c(exit_, CommStream::tp);
    ch.side(exit_raw_ - exit_, CommStream::tp);
  }

  // Ring attention: step i computes on the key/value block that i shifts brought (the shifts run
  // one after another on the cp stream, the first as the pass's q, k, v are ready), so step i
  // starts no earlier than i shifts after the core began, nor before step i - 1 ends.
  static void ring_steps(Chain& ch, const std::vector<double>& steps, double shift_s) {
    double end = 0;
    double compute = 0;
    for (std::size_t i = 0; i < steps.size(); ++i) {
      end = std::max(end, static_cast<double>(i) * shift_s) + steps[i];
      compute += steps[i];
    }
    ch.compute += compute;
    ch.chain += end;
    if (!steps.empty()) ch.side(static_cast<double>(steps.size() - 1) * shift_s, CommStream::cp);
  }

  void attention_core_forward(Chain& ch) const {
    if (k_.unfused) {
      ch.k(k_.qk_fwd);
      ch.k(k_.softmax_fwd);
      ch.k(k_.av_fwd);
      return;
    }
    if (p_.cp > 1 && p_.cp_algorithm == CpAlgorithm::ring) {
      ring_steps(ch, k_.attn_fwd, c_.cp_ring_kv);
      ch.k(k_.attn_merge);
      return;
    }
    if (p_.cp > 1) ch.c(c_.cp_a2a_qkv, CommStream::cp);
    ch.k(k_.attn_fwd[0]);
    if (p_.cp > 1) ch.c(c_.cp_a2a_out, CommStream::cp);
  }

  void attention_core_backward(Chain& ch) const {
    if (p_.recomputes(kRecomputeCoreAttn)) attention_core_forward(ch);
    if (k_.unfused) {
      ch.k(k_.av_dgrad_probs);
      ch.k(k_.av_dgrad_v);
      ch.k(k_.softmax_bwd);
      ch.k(k_.qk_dgrad_q);
      ch.k(k_.qk_dgrad_k);
      return;
    }
    if (p_.cp > 1 && p_.cp_algorithm == CpAlgorithm::ring) {
      // Key/value blocks travel with their gradients; a last shift returns the finished gradients
      // to their owner.
      ring_steps(ch, k_.attn_bwd, c_.cp_ring_kv_grad);
      ch.c(c_.cp_ring_kv, CommStream::cp);
      return;
    }
    if (p_.cp > 1) ch.c(c_.cp_a2a_out, CommStream::cp);
    ch.k(k_.attn_bwd[0]);
    if (p_.cp > 1) ch.c(c_.cp_a2a_qkv, CommStream::cp);
  }

  void forward_attention(Chain& ch) const {
    ch.k(k_.norm_fwd);
    tp_gather(ch);
    if (k_.mla) {
      if (k_.mla_q_lora) {
        ch.k(k_.q_down.fwd);
        ch.k(k_.q_norm_fwd);
        ch.k(k_.q_up.fwd);
      } else {
        ch.k(k_.q_direct.fwd);
      }
      ch.k(k_.kv_down.fwd);
      ch.k(k_.kv_norm_fwd);
      ch.k(k_.kv_up.fwd);
    } else {
      ch.k(k_.qkv.fwd);
    }
    if (m_.position == PositionKind::rope) ch.k(k_.rope_fwd);
    attention_core_forward(ch);
    ch.k(k_.out.fwd);
    tp_exit(ch);
    ch.k(k_.residual_fwd);
  }

  void forward_mlp(Chain& ch) const {
    ch.k(k_.norm_fwd);
    mlp_block_forward(ch);
    ch.k(k_.residual_fwd);
  }

  void mlp_block_forward(Chain& ch) const {
    if (!k_.moe) {
      tp_gather(ch);
      ch.k(k_.fc1.fwd);
      ch.k(k_.act_fwd);
      ch.k(k_.fc2.fwd);
      tp_exit(ch);
      return;
    }
    ch.k(k_.router.fwd);
    ch.k(k_.route_fwd);
    ch.k(k_.permute);
    const double shared = k_.shared_fc1.fwd + k_.shared_act_fwd + k_.shared_fc2.fwd;
    const double expert = k_.expert_fc1.fwd + k_.expert_act_fwd + k_.expert_fc2.fwd;
    moe_segment(ch, shared, expert);
    ch.k(k_.unpermute);
  }

  // Dispatch (or combine, in backward) runs beside the shared experts; the routed path waits for
  // it and the expert-TP gather, the closing kernel for both paths.
  void moe_segment(Chain& ch, double shared_compute, double expert_compute) const {
    const double a2a = p_.ep > 1 ? c_.ep_a2a : 0.0;
    const double eg = p_.etp > 1 ? c_.etp_gather : 0.0;
    const double er = p_.etp > 1 ? c_.etp_reduce : 0.0;
    const double se = k_.shared ? gather_ : 0.0;
    const double sl = k_.shared ? exit_ : 0.0;
    const double shared_end = se + shared_compute;
    const double expert_start = std::max(shared_end, a2a + eg);
    const double close = std::max(expert_start + expert_compute + er + a2a, shared_end + sl);
    ch.compute += shared_compute + expert_compute;
    ch.chain += close;
    ch.side(2 * a2a + eg + er, CommStream::ep);
    if (k_.shared) ch.side(gather_raw_ + exit_raw_, CommStream::tp);
  }

  // Returns the leading collective (the dense MLP's entry all-gather) when the block starts with
  // it.
  double backward_mlp(Chain& ch, bool weights_now) const {
    double lead = 0;
    if (p_.recompute == Recompute::full) {
      forward_attention(ch);
      forward_mlp(ch);
    }
    if (p_.recomputes(kRecomputeLayernorm)) ch.k(k_.norm_fwd);
    const bool block_recomputed = p_.recomputes(k_.moe ? kRecomputeMoe : kRecomputeMlp);
    if (block_recomputed) mlp_block_forward(ch);
    if (!k_.moe) {
      // The block opens with its entry all-gather unless a recomputed norm comes first.
      if (p_.recompute != Recompute::full && !p_.recomputes(kRecomputeLayernorm)) lead = gather_;
      tp_gather(ch);
      // Weight gradients under SP all-gather the stored MLP input again, beside the GEMMs.
      if (weights_now) ch.side(gather_raw_, CommStream::tp);
      linear_backward(ch, k_.fc2, weights_now);
      ch.k(k_.act_bwd);
      linear_backward(ch, k_.fc1, weights_now);
      tp_exit(ch);
    } else {
      ch.k(k_.unpermute);
      const double w = weights_now ? 1.0 : 0.0;
      const double shared = k_.shared_fc2.dgrad + w * k_.shared_fc2.wgrad + k_.shared_act_bwd +
                            k_.shared_fc1.dgrad + w * k_.shared_fc1.wgrad;
      const double act_again =
          p_.recomputes(kRecomputeMoeAct) && !block_recomputed ? k_.expert_act_fwd : 0.0;
      const double expert = k_.expert_fc2.dgrad + w * k_.expert_fc2.wgrad + act_again +
                            k_.expert_act_bwd + k_.expert_fc1.dgrad + w * k_.expert_fc1.wgrad;
      moe_segment(ch, shared, expert);
      ch.k(k_.permute);
      ch.k(k_.route_bwd);
      linear_backward(ch, k_.router, weights_now);
    }
    ch.k(k_.norm_bwd);
    ch.k(k_.residual_bwd);
    return lead;
  }

  void backward_attention(Chain& ch, bool weights_now) const {
    if (p_.recomputes(kRecomputeLayernorm)) ch.k(k_.norm_fwd);
    tp_gather(ch);
    linear_backward(ch, k_.out, weights_now);
    if (k_.mla && p_.recomputes(kRecomputeMlaUpProj)) {
      ch.k(k_.mla_q_lora ? k_.q_up.fwd : k_.q_direct.fwd);
      ch.k(k_.kv_up.fwd);
      if (m_.position == PositionKind::rope) ch.k(k_.rope_fwd);
    }
    attention_core_backward(ch);
    if (m_.position == PositionKind::rope) ch.k(k_.rope_bwd);
    if (weights_now) ch.side(gather_raw_, CommStream::tp);  // the input again, for the wgrads
    if (k_.mla) {
      linear_backward(ch, k_.kv_up, weights_now);
      ch.k(k_.kv_norm_bwd);
      linear_backward(ch, k_.kv_down, weights_now);
      if (k_.mla_q_lora) {
        linear_backward(ch, k_.q_up, weights_now);
        ch.k(k_.q_norm_bwd);
        linear_backward(ch, k_.q_down, weights_now);
      } else {
        linear_backward(ch, k_.q_direct, weights_now);
      }
    } else {
      linear_backward(ch, k_.qkv, weights_now);
    }
    tp_exit(ch);
    ch.k(k_.norm_bwd);
    ch.k(k_.residual_bwd);
  }

  void weight_grads(Chain& ch) const {
    if (k_.moe) {
      ch.k(k_.expert_fc2.wgrad);
      ch.k(k_.expert_fc1.wgrad);
      if (k_.shared) {
        ch.k(k_.shared_fc2.wgrad);
        ch.k(k_.shared_fc1.wgrad);
      }
      ch.k(k_.router.wgrad);
    } else {
      ch.k(k_.fc2.wgrad);
      ch.k(k_.fc1.wgrad);
    }
    ch.k(k_.out.wgrad);
    if (k_.mla) {
      ch.k(k_.kv_up.wgrad);
      ch.k(k_.kv_down.wgrad);
      if (k_.mla_q_lora) {
        ch.k(k_.q_up.wgrad);
        ch.k(k_.q_down.wgrad);
      } else {
        ch.k(k_.q_direct.wgrad);
      }
    } else {
      ch.k(k_.qkv.wgrad);
    }
  }

 private:
  static void linear_backward(Chain& ch, const Linear& l, bool weights_now) {
    ch.k(l.dgrad);
    if (weights_now) ch.k(l.wgrad);
  }

  const ModelSpec& m_;
  const ParallelConfig& p_;
  const Kernels& k_;
  const BlockingCommTimes& c_;
  double gather_raw_ = 0, exit_raw_ = 0;  // as the tp stream runs them
  double gather_ = 0, exit_ = 0;          // as the chain waits for them
};

}  // namespace

LayerCostModel::LayerCostModel(const ModelSpec& model, const TrainingConfig& training,
                               const ParallelConfig& parallel, const ComputeCostModel& compute,
                               const BlockingCommTimes& comm)
    : m_(model),
      t_(training),
      p_(parallel),
      cm_(compute),
      comm_(comm),
      shapes_(rank_shapes(model, training, parallel)) {
  dense_ = layer_costs(false);
  if (m_.is_moe()) moe_ = layer_costs(true);

  const Dtype dtype = t_.precision == Precision::fp8 ? Dtype::fp8 : Dtype::bf16;
  const KernelTimer kt(cm_, dtype);
  const RankShapes& s = shapes_;
  const double h = m_.hidden;
  const double T = s.tokens_tp;
  const double Tsp = s.tokens_sp;
  const double embed_fwd = kt.t(mem(MemoryBoundKind::copy, 4.0 * T * h, 0.0));
  const double embed_bwd = kt.t(mem(MemoryBoundKind::copy, 10.0 * T * h, 0.1));
  const double norm_fwd = kt.t(mem(MemoryBoundKind::norm, 8.0 * Tsp * h));
  const double norm_bwd = kt.t(mem(MemoryBoundKind::norm, 10.0 * Tsp * h));
  const Linear head = kt.linear(T, h, s.vocab_local);
  const double loss_fwd = kt.t(mem(MemoryBoundKind::softmax, 38.0 * T * s.vocab_local, 0.2));
  const double loss_bwd = kt.t(mem(MemoryBoundKind::softmax, 22.0 * T * s.vocab_local, 0.2));
  // Embedding and head collectives are never pipelined with a GEMM.
  const double gather = (p_.tp > 1 && p_.sequence_parallel) ? comm_.tp_gather : 0.0;
  const double exit = p_.tp > 1 ? comm_.tp_exit : 0.0;
  const double loss = p_.tp > 1 ? comm_.tp_loss : 0.0;

  Chain ef;
  ef.k(embed_fwd);
  ef.c(exit, CommStream::tp);
  edges_.embed_forward = ef.cost();
  Chain eb;
  eb.c(gather, CommStream::tp);
  eb.k(embed_bwd);
  edges_.embed_backward = eb.cost();
  Chain hf;
  hf.k(norm_fwd);
  hf.c(gather, CommStream::tp);
  hf.k(head.fwd);
  hf.k(loss_fwd);
  hf.c(loss, CommStream::tp);
  edges_.head_forward = hf.cost();
  edges_.head_forward.trail_s = loss;
  Chain hb;
  hb.k(loss_bwd);
  hb.k(head.dgrad);
  hb.k(head.wgrad);
  hb.c(exit, CommStream::tp);
  hb.k(norm_bwd);
  edges_.head_backward = hb.cost();
}

LayerCosts LayerCostModel::layer_costs(bool moe_layer) const {
  const Dtype dtype = t_.precision == Precision::fp8 ? Dtype::fp8 : Dtype::bf16;
  const KernelTimer kt(cm_, dtype);
  const Kernels k = layer_kernels(m_, t_, p_, shapes_, kt, dtype, moe_layer);
  const LayerChains chains(m_, p_, k, comm_);
  LayerCosts out;
  Chain f;
  chains.forward_attention(f);
  chains.forward_mlp(f);  // ends with the residual add, a kernel: nothing trails
  out.forward = f.cost();
  for (bool weights_now : {true, false}) {
    Chain b;
    const double lead = chains.backward_mlp(b, weights_now);
    chains.backward_attention(b, weights_now);
    PassCost& dst = weights_now ? out.backward : out.backward_input;
    dst = b.cost();
    dst.lead_s = lead;
  }
  Chain w;
  chains.weight_grads(w);
  out.backward_weight = w.cost();
  return out;
}

const LayerCosts& LayerCostModel::layer(int index) const {
  return m_.is_moe_layer(index) ? moe_ : dense_;
}

double LayerCostModel::optimizer_s(double rank_params, double shard_params) const {
  return cm_.time_s(optimizer_step_kernel(p_, rank_params, shard_params));
}

}  // namespace ptsim
