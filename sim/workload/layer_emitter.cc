// The ops of one transformer layer's forward and backward on one rank.
//
// Tensor parallelism follows Megatron (Shoeybi et al. 2019; Korthikanti et al. 2022): without
// sequence parallelism the block input is replicated and the block output all-reduced (f / g
// operators: identity + all-reduce forward, all-reduce + identity backward); with it, all-gather
// before the column-parallel projection and reduce-scatter after the row-parallel one, conjugates
// in backward, and one extra all-gather in backward to rebuild the gathered input for the weight
// gradient. Collectives run on the "tp" stream and the next compute op waits for them.
#include "sim/workload/step_builder.h"

namespace ptsim::builder {

namespace {
OpLabel lbl(const Labels& l, int slot, int layer, int mb) {
  return OpLabel{l.layer_op[slot], layer, mb};
}
}  // namespace

void StepBuilder::tp_enter(RankState& rs, PassState& ps, int layer, bool backward) {
  // Forward: f is the identity without SP, an all-gather with SP. Backward: the conjugate of the
  // block's exit, an all-gather of the output gradient with SP, the identity without.
  if (p_.tp == 1 || !p_.sequence_parallel) return;
  const double bytes = shapes_.tokens_tp * m_.hidden * 2.0;
  const OpId gather = collective(
      rs, streams_.tp, Category::tp, CollectiveKind::all_gather, rs.groups.tp, p_.tp, bytes,
      lbl(labels_, backward ? kTpBwd : kTpFwd, layer, ps.micro_batch), {front(rs, ps)});
  if (tp_overlapped()) {
    // Pipelined with the GEMM that consumes it (userbuffers): both start now.
    ps.join_after_next = gather;
    ps.has_join_after_next = true;
  } else {
    after(rs, ps, gather);
  }
}

void StepBuilder::tp_leave(RankState& rs, PassState& ps, int layer, bool backward) {
  // Forward: g is an all-reduce without SP, a reduce-scatter with SP. Backward: the conjugate of
  // the block's entry, the same collective.
  if (p_.tp == 1) return;
  const double bytes = shapes_.tokens_tp * m_.hidden * 2.0;
  const CollectiveKind kind =
      p_.sequence_parallel ? CollectiveKind::reduce_scatter : CollectiveKind::all_reduce;
  const OpLabel label = lbl(labels_, backward ? kTpBwd : kTpFwd, layer, ps.micro_batch);
  if (tp_overlapped() && !ps.run.empty()) {
    // Pipelined with the GEMM that produces it: take that GEMM out of the pending run, start the
    // reduce-scatter with it, and make what follows wait for both.
    const std::uint32_t gemm = ps.run.back();
    ps.run.pop_back();
    const OpId before = front(rs, ps);
    ps.join_after_next = collective(rs, streams_.tp, Category::tp, kind, rs.groups.tp, p_.tp, bytes,
                                    label, {before});
    ps.has_join_after_next = true;
    compute(rs, ps, gemm, ps.run_last_label);
    return;
  }
  after(rs, ps,
        collective(rs, streams_.tp, Category::tp, kind, rs.groups.tp, p_.tp, bytes, label,
                   {front(rs, ps)}));
}

void StepBuilder::linear_backward(RankState& rs, PassState& ps, const LinearKernels& k, int layer,
                                  std::uint32_t label_dgrad, std::uint32_t label_wgrad,
                                  bool weights_now) {
  compute(rs, ps, k.dgrad, OpLabel{label_dgrad, layer, ps.micro_batch});
  if (weights_now) compute(rs, ps, k.wgrad, OpLabel{label_wgrad, layer, ps.micro_batch});
}

void StepBuilder::attention_core_forward(RankState& rs, PassState& ps, int layer, bool recompute) {
  const LayerKernels& k = m_.is_moe_layer(layer) ? moe_ : dense_;
  const int mb = ps.micro_batch;
  const int label = recompute ? kAttnRecompute : kAttnFwd;
  if (k.unfused) {
    compute(rs, ps, k.qk_fwd, lbl(labels_, label, layer, mb));
    compute(rs, ps, k.softmax_fwd, lbl(labels_, label, layer, mb));
    compute(rs, ps, k.av_fwd, lbl(labels_, label, layer, mb));
    return;
  }
  const double kv_bytes =
      shapes_.tokens_tp * shapes_.kv_heads_local * (shapes_.head_dim_qk + shapes_.head_dim_v) * 2.0;
  if (p_.cp > 1 && p_.cp_algorithm == CpAlgorithm::ring) {
    // Ring attention: while step i computes on the key/value block it holds, the block for step
    // i + 1 rotates one rank along the context-parallel ring.
    OpId shifted = 0;
    const OpId qkv_ready = front(rs, ps);
    for (int i = 0; i < p_.cp; ++i) {
      OpId next_shift = 0;
      if (i + 1 < p_.cp) {
        next_shift = collective(rs, streams_.cp, Category::cp, CollectiveKind::ring_shift,
                                rs.groups.cp, p_.cp, kv_bytes, lbl(labels_, kCpShiftFwd, layer, mb),
                                {i == 0 ? qkv_ready : shifted});
      }
      if (i > 0) {
        ps.extra_dep = shifted;  // this step's key/value block has arrived
        ps.has_extra_dep = true;
      }
      compute(rs, ps, k.attn_fwd[static_cast<std::size_t>(i)], lbl(labels_, label, layer, mb));
      shifted = next_shift;
    }
    compute(rs, ps, k.attn_merge, lbl(labels_, kAttnMerge, layer, mb));
    return;
  }
  if (p_.cp > 1) {  // Ulysses: all-to-all q, k, v from sequence- to head-sharded
    const double qkv_bytes = shapes_.tokens_tp *
                             (shapes_.heads_local * shapes_.head_dim_qk +
                              shapes_.kv_heads_local * (shapes_.head_dim_qk + shapes_.head_dim_v)) *
                             2.0;
    after(rs, ps,
          collective(rs, streams_.cp, Category::cp, CollectiveKind::all_to_all, rs.groups.cp, p_.cp,
                     qkv_bytes, lbl(labels_, kCpA2aFwd, layer, mb), {front(rs, ps)}));
  }
  compute(rs, ps, k.attn_fwd[0], lbl(labels_, label, layer, mb));
  if (p_.cp > 1) {
    const double o_bytes = shapes_.tokens_tp * shapes_.heads_local * shapes_.head_dim_v * 2.0;
    after(rs, ps,
          collective(rs, streams_.cp, Category::cp, CollectiveKind::all_to_all, rs.groups.cp, p_.cp,
                     o_bytes, lbl(labels_, kCpA2aFwd, layer, mb), {front(rs, ps)}));
  }
}

void StepBuilder::attention_core_backward(RankState& rs, PassState& ps, int layer) {
  const LayerKernels& k = m_.is_moe_layer(layer) ? moe_ : dense_;
  const int mb = ps.micro_batch;
  if (p_.recomputes(kRecomputeCoreAttn)) attention_core_forward(rs, ps, layer, true);
  if (k.unfused) {
    compute(rs, ps, k.av_dgrad_probs, lbl(labels_, kAttnBwd, layer, mb));
    compute(rs, ps, k.av_dgrad_v, lbl(labels_, kAttnBwd, layer, mb));
    compute(rs, ps, k.softmax_bwd, lbl(labels_, kAttnBwd, layer, mb));
    compute(rs, ps, k.qk_dgrad_q, lbl(labels_, kAttnBwd, layer, mb));
    compute(rs, ps, k.qk_dgrad_k, lbl(labels_, kAttnBwd, layer, mb));
    return;
  }
  const double kv_bytes =
      shapes_.tokens_tp * shapes_.kv_heads_local * (shapes_.head_dim_qk + shapes_.head_dim_v) * 2.0;
  if (p_.cp > 1 && p_.cp_algorithm == CpAlgorithm::ring) {
    // Backward ring: key/value blocks and their accumulated gradients travel together; a last
    // shift returns the finished key/value gradients to their owner: (2 cp - 1) blocks per rank.
    OpId shifted = 0;
    const OpId start = front(rs, ps);
    for (int i = 0; i < p_.cp; ++i) {
      OpId next_shift = 0;
      if (i + 1 < p_.cp) {
        next_shift = collective(rs, streams_.cp, Category::cp, CollectiveKind::ring_shift,
                                rs.groups.cp, p_.cp, 2.0 * kv_bytes,
                                lbl(labels_, kCpShiftBwd, layer, mb), {i == 0 ? start : shifted});
      }
      if (i > 0) {
        ps.extra_dep = shifted;  // this step's key/value block has arrived
        ps.has_extra_dep = true;
      }
      compute(rs, ps, k.attn_bwd[static_cast<std::size_t>(i)], lbl(labels_, kAttnBwd, layer, mb));
      shifted = next_shift;
    }
    after(rs, ps,
          collective(rs, streams_.cp, Category::cp, CollectiveKind::ring_shift, rs.groups.cp, p_.cp,
                     kv_bytes, lbl(labels_, kCpShiftBwd, layer, mb), {front(rs, ps)}));
    return;
  }
  if (p_.cp > 1) {
    const double o_bytes = shapes_.tokens_tp * shapes_.heads_local * shapes_.head_dim_v * 2.0;
    after(rs, ps,
          collective(rs, streams_.cp, Category::cp, CollectiveKind::all_to_all, rs.groups.cp, p_.cp,
                     o_bytes, lbl(labels_, kCpA2aBwd, layer, mb), {front(rs, ps)}));
  }
  compute(rs, ps, k.attn_bwd[0], lbl(labels_, kAttnBwd, layer, mb));
  if (p_.cp > 1) {
    const double qkv_bytes = shapes_.tokens_tp *
                             (shapes_.heads_local * shapes_.head_dim_qk +
                              shapes_.kv_heads_local * (shapes_.head_dim_qk + shapes_.head_dim_v)) *
                             2.0;
    after(rs, ps,
          collective(rs, streams_.cp, Category::cp, CollectiveKind::all_to_all, rs.groups.cp, p_.cp,
                     qkv_bytes, lbl(labels_, kCpA2aBwd, layer, mb), {front(rs, ps)}));
  }
}

void StepBuilder::layer_forward_attention(RankState& rs, PassState& ps, int layer, bool recompute) {
  const LayerKernels& k = m_.is_moe_layer(layer) ? moe_ : dense_;
  const int mb = ps.micro_batch;
  const int slot = layer - ps.first_layer;
  if (!recompute) {
    zero3_before_layer(rs, ps, layer, false);
    after(rs, ps,
          g_.add_memory(rs.rank, streams_.compute, true, MemoryTag::activations,
                        kept_activation_bytes(ps, layer), OpLabel{labels_.mem_act, layer, mb},
                        front_deps(rs, ps)));
  }
  if (!recompute && !rs.param_gather_of_layer.empty()) {
    auto& waited = rs.param_gather_waited[static_cast<std::size_t>(ps.chunk)];
    if (!waited[static_cast<std::size_t>(slot)]) {
      // The first forward of this layer in the step waits for its bucket's parameter all-gather.
      ps.extra_dep = rs.param_gather_of_layer[static_cast<std::size_t>(ps.chunk)]
                                             [static_cast<std::size_t>(slot)];
      ps.has_extra_dep = true;
      waited[static_cast<std::size_t>(slot)] = 1;
    }
  }
  compute(rs, ps, k.norm_fwd, lbl(labels_, kNorm1Fwd, layer, mb));
  tp_enter(rs, ps, layer, false);
  if (k.mla) {
    if (k.mla_q_lora) {
      compute(rs, ps, k.q_down.fwd, lbl(labels_, kMlaDownFwd, layer, mb));
      compute(rs, ps, k.q_norm_fwd, lbl(labels_, kMlaDownFwd, layer, mb));
      compute(rs, ps, k.q_up.fwd, lbl(labels_, kMlaUpFwd, layer, mb));
    } else {
      compute(rs, ps, k.q_direct.fwd, lbl(labels_, kMlaUpFwd, layer, mb));
    }
    compute(rs, ps, k.kv_down.fwd, lbl(labels_, kMlaDownFwd, layer, mb));
    compute(rs, ps, k.kv_norm_fwd, lbl(labels_, kMlaDownFwd, layer, mb));
    compute(rs, ps, k.kv_up.fwd, lbl(labels_, kMlaUpFwd, layer, mb));
  } else {
    compute(rs, ps, k.qkv.fwd, lbl(labels_, kQkvFwd, layer, mb));
  }
  if (m_.position == PositionKind::rope)
    compute(rs, ps, k.rope_fwd, lbl(labels_, kRopeFwd, layer, mb));
  attention_core_forward(rs, ps, layer, recompute);
  compute(rs, ps, k.out.fwd, lbl(labels_, kOutFwd, layer, mb));
  tp_leave(rs, ps, layer, false);
  compute(rs, ps, k.residual_fwd, lbl(labels_, kResidualFwd, layer, mb));
}

int StepBuilder::mlp_parts(int layer) const {
  return m_.is_moe_layer(layer) && (p_.ep > 1 || p_.etp > 1) ? 3 : 1;
}

double StepBuilder::moe_a2a_bytes() const {
  return shapes_.routed_tokens_sent * m_.hidden * 2.0 *
         (t_.moe_capacity_factor > 0 ? t_.moe_capacity_factor : std::max(1.0, t_.moe_imbalance));
}

double StepBuilder::etp_bytes() const {
  return shapes_.routed_tokens_sent * p_.etp * m_.hidden * 2.0;
}

void StepBuilder::layer_forward_mlp(RankState& rs, PassState& ps, int layer, bool recompute) {
  for (int part = 0; part < mlp_parts(layer); ++part)
    layer_forward_mlp_part(rs, ps, layer, recompute, part);
}

void StepBuilder::layer_forward_mlp_part(RankState& rs, PassState& ps, int layer, bool recompute,
                                         int part) {
  const LayerKernels& k = m_.is_moe_layer(layer) ? moe_ : dense_;
  const int mb = ps.micro_batch;
  if (part == 0) compute(rs, ps, k.norm_fwd, lbl(labels_, kNorm2Fwd, layer, mb));
  mlp_block_forward_part(rs, ps, layer, part);
  if (part + 1 < mlp_parts(layer)) return;
  compute(rs, ps, k.residual_fwd, lbl(labels_, kResidualFwd, layer, mb));
  if (!recompute) zero3_after_layer(rs, ps, layer, false);
}

void StepBuilder::mlp_block_forward(RankState& rs, PassState& ps, int layer) {
  for (int part = 0; part < mlp_parts(layer); ++part)
    mlp_block_forward_part(rs, ps, layer, part);
}

void StepBuilder::mlp_block_forward_part(RankState& rs, PassState& ps, int layer, int part) {
  const bool moe_layer = m_.is_moe_layer(layer);
  const LayerKernels& k = moe_layer ? moe_ : dense_;
  const int mb = ps.micro_batch;
  if (!moe_layer) {
    tp_enter(rs, ps, layer, false);
    compute(rs, ps, k.fc1.fwd, lbl(labels_, kFc1Fwd, layer, mb));
    compute(rs, ps, k.act_fwd, lbl(labels_, kActFwd, layer, mb));
    compute(rs, ps, k.fc2.fwd, lbl(labels_, kFc2Fwd, layer, mb));
    tp_leave(rs, ps, layer, false);
    return;
  }
  const bool whole = mlp_parts(layer) == 1;
  if (part == 0) {
    // Router on this rank's tokens, permutation, dispatch all-to-all; shared experts compute
    // while the dispatch is in flight (Megatron-Core --moe-shared-expert-overlap).
    compute(rs, ps, k.router.fwd, lbl(labels_, kRouterFwd, layer, mb));
    compute(rs, ps, k.route_fwd, lbl(labels_, kRouteFwd, layer, mb));
    compute(rs, ps, k.permute, lbl(labels_, kPermute, layer, mb));
    OpId dispatched = front(rs, ps);
    if (p_.ep > 1) {
      dispatched = collective(rs, streams_.ep, Category::ep, CollectiveKind::all_to_all,
                              rs.groups.ep, p_.ep, moe_a2a_bytes(),
                              lbl(labels_, kDispatch, layer, mb), {front(rs, ps)}, expert_dedup());
    }
    ps.moe_shared_done = dispatched;
    if (k.shared_experts) {
      tp_enter(rs, ps, layer, false);
      compute(rs, ps, k.shared_fc1.fwd, lbl(labels_, kSharedFc1Fwd, layer, mb));
      compute(rs, ps, k.shared_act_fwd, lbl(labels_, kSharedFc1Fwd, layer, mb));
      compute(rs, ps, k.shared_fc2.fwd, lbl(labels_, kSharedFc2Fwd, layer, mb));
      tp_leave(rs, ps, layer, false);
      ps.moe_shared_done = front(rs, ps);
    }
    ps.frontier = dispatched;  // the routed path continues from the dispatched tokens
    if (!whole) return;
  }
  if (part == 1 || whole) {
    if (p_.etp > 1) {
      after(rs, ps,
            collective(rs, streams_.ep, Category::ep, CollectiveKind::all_gather, rs.groups.etp,
                       p_.etp, etp_bytes(), lbl(labels_, kEtpGather, layer, mb), {front(rs, ps)}));
    }
    compute(rs, ps, k.expert_fc1.fwd, lbl(labels_, kExpFc1Fwd, layer, mb));
    compute(rs, ps, k.expert_act_fwd, lbl(labels_, kExpActFwd, layer, mb));
    compute(rs, ps, k.expert_fc2.fwd, lbl(labels_, kExpFc2Fwd, layer, mb));
    if (p_.etp > 1) {
      after(rs, ps,
            collective(rs, streams_.ep, Category::ep, CollectiveKind::reduce_scatter, rs.groups.etp,
                       p_.etp, etp_bytes(), lbl(labels_, kEtpReduce, layer, mb), {front(rs, ps)}));
    }
    if (p_.ep > 1) {
      after(rs, ps,
            collective(rs, streams_.ep, Category::ep, CollectiveKind::all_to_all, rs.groups.ep,
                       p_.ep, moe_a2a_bytes(), lbl(labels_, kCombine, layer, mb), {front(rs, ps)},
                       expert_dedup()));
    }
    if (!whole) return;
  }
  // Unpermute and add the shared experts' output.
  ps.extra_dep = ps.moe_shared_done;
  ps.has_extra_dep = true;
  compute(rs, ps, k.unpermute, lbl(labels_, kUnpermute, layer, mb));
}

void StepBuilder::layer_backward_mlp(RankState& rs, PassState& ps, int layer) {
  for (int part = 0; part < mlp_parts(layer); ++part)
    layer_backward_mlp_part(rs, ps, layer, part);
}

void StepBuilder::layer_backward_mlp_part(RankState& rs, PassState& ps, int layer, int part) {
  const bool moe_layer = m_.is_moe_layer(layer);
  const LayerKernels& k = moe_layer ? moe_ : dense_;
  const int mb = ps.micro_batch;
  const bool weights_now = ps.pass == Pass::backward;
  const bool whole = mlp_parts(layer) == 1;
  const bool block_recomputed = p_.recomputes(moe_layer ? kRecomputeMoe : kRecomputeMlp);
  if (part == 0) {
    zero3_before_layer(rs, ps, layer, true);
    if (layer_recomputed(ps, layer)) {
      // Re-materialise the layer from its stored input, tensor-parallel collectives included.
      after(rs, ps,
            g_.add_memory(rs.rank, streams_.compute, true, MemoryTag::activations,
                          moe_layer ? act_moe_full_ : act_dense_full_,
                          OpLabel{labels_.mem_act, layer, mb}, front_deps(rs, ps)));
      layer_forward_attention(rs, ps, layer, true);
      layer_forward_mlp(rs, ps, layer, true);
      zero3_after_recompute(rs, ps, layer);
    }
    // The norm output is the block's input, which its recomputation and its first weight
    // gradient read.
    if (p_.recomputes(kRecomputeLayernorm))
      compute(rs, ps, k.norm_fwd, lbl(labels_, kNorm2Fwd, layer, mb));
    if (block_recomputed) mlp_block_forward(rs, ps, layer);
  }
  if (!moe_layer) {
    tp_enter(rs, ps, layer, true);
    if (p_.sequence_parallel && weights_now) {
      // Extra all-gather of the stored (sequence-sharded) MLP input for the fc1 weight gradient.
      collective(rs, streams_.tp, Category::tp, CollectiveKind::all_gather, rs.groups.tp, p_.tp,
                 shapes_.tokens_tp * m_.hidden * 2.0, lbl(labels_, kTpBwd, layer, mb),
                 {front(rs, ps)});
    }
    linear_backward(rs, ps, k.fc2, layer, labels_.layer_op[kFc2Dgrad], labels_.layer_op[kFc2Wgrad],
                    weights_now);
    compute(rs, ps, k.act_bwd, lbl(labels_, kActBwd, layer, mb));
    linear_backward(rs, ps, k.fc1, layer, labels_.layer_op[kFc1Dgrad], labels_.layer_op[kFc1Wgrad],
                    weights_now);
    tp_leave(rs, ps, layer, true);
  } else {
    if (part == 0) {
      compute(rs, ps, k.unpermute, lbl(labels_, kUnpermute, layer, mb));
      OpId combined = front(rs, ps);
      if (p_.ep > 1) {
        combined = collective(
            rs, streams_.ep, Category::ep, CollectiveKind::all_to_all, rs.groups.ep, p_.ep,
            moe_a2a_bytes(), lbl(labels_, kCombineBwd, layer, mb), {front(rs, ps)}, expert_dedup());
      }
      if (k.shared_experts) {
        tp_enter(rs, ps, layer, true);
        linear_backward(rs, ps, k.shared_fc2, layer, labels_.layer_op[kSharedFc2Dgrad],
                        labels_.layer_op[kSharedFc2Wgrad], weights_now);
        compute(rs, ps, k.shared_act_bwd, lbl(labels_, kSharedFc1Dgrad, layer, mb));
        linear_backward(rs, ps, k.shared_fc1, layer, labels_.layer_op[kSharedFc1Dgrad],
                        labels_.layer_op[kSharedFc1Wgrad], weights_now);
        tp_leave(rs, ps, layer, true);
      }
      ps.moe_shared_done = front(rs, ps);
      ps.frontier = combined;  // the routed path continues from the combined gradients
      if (!whole) return;
    }
    if (part == 1 || whole) {
      if (p_.etp > 1) {
        after(
            rs, ps,
            collective(rs, streams_.ep, Category::ep, CollectiveKind::all_gather, rs.groups.etp,
                       p_.etp, etp_bytes(), lbl(labels_, kEtpGather, layer, mb), {front(rs, ps)}));
      }
      linear_backward(rs, ps, k.expert_fc2, layer, labels_.layer_op[kExpFc2Dgrad],
                      labels_.layer_op[kExpFc2Wgrad], weights_now);
      if (p_.recomputes(kRecomputeMoeAct) && !block_recomputed)
        compute(rs, ps, k.expert_act_fwd, lbl(labels_, kExpActFwd, layer, mb));
      compute(rs, ps, k.expert_act_bwd, lbl(labels_, kExpActBwd, layer, mb));
      linear_backward(rs, ps, k.expert_fc1, layer, labels_.layer_op[kExpFc1Dgrad],
                      labels_.layer_op[kExpFc1Wgrad], weights_now);
      if (p_.etp > 1) {
        after(
            rs, ps,
            collective(rs, streams_.ep, Category::ep, CollectiveKind::reduce_scatter, rs.groups.etp,
                       p_.etp, etp_bytes(), lbl(labels_, kEtpReduce, layer, mb), {front(rs, ps)}));
      }
      if (p_.ep > 1) {
        after(rs, ps,
              collective(rs, streams_.ep, Category::ep, CollectiveKind::all_to_all, rs.groups.ep,
                         p_.ep, moe_a2a_bytes(), lbl(labels_, kDispatchBwd, layer, mb),
                         {front(rs, ps)}, expert_dedup()));
      }
      if (!whole) return;
    }
    ps.extra_dep = ps.moe_shared_done;
    ps.has_extra_dep = true;
    compute(rs, ps, k.permute, lbl(labels_, kPermute, layer, mb));
    compute(rs, ps, k.route_bwd, lbl(labels_, kRouteBwd, layer, mb));
    linear_backward(rs, ps, k.router, layer, labels_.layer_op[kRouterDgrad],
                    labels_.layer_op[kRouterWgrad], weights_now);
  }
  compute(rs, ps, k.norm_bwd, lbl(labels_, kNorm2Bwd, layer, mb));
  compute(rs, ps, k.residual_bwd, lbl(labels_, kResidualBwd, layer, mb));
}

void StepBuilder::layer_backward_attention(RankState& rs, PassState& ps, int layer) {
  const bool moe_layer = m_.is_moe_layer(layer);
  const LayerKernels& k = moe_layer ? moe_ : dense_;
  const int mb = ps.micro_batch;
  const bool weights_now = ps.pass == Pass::backward;
  if (p_.recomputes(kRecomputeLayernorm))
    compute(rs, ps, k.norm_fwd, lbl(labels_, kNorm1Fwd, layer, mb));
  tp_enter(rs, ps, layer, true);
  linear_backward(rs, ps, k.out, layer, labels_.layer_op[kOutDgrad], labels_.layer_op[kOutWgrad],
                  weights_now);
  if (k.mla && p_.recomputes(kRecomputeMlaUpProj)) {
    // The heads the forward discarded, rebuilt from the stored latents before the core needs them.
    compute(rs, ps, k.mla_q_lora ? k.q_up.fwd : k.q_direct.fwd,
            lbl(labels_, kMlaUpRecompute, layer, mb));
    compute(rs, ps, k.kv_up.fwd, lbl(labels_, kMlaUpRecompute, layer, mb));
    if (m_.position == PositionKind::rope)
      compute(rs, ps, k.rope_fwd, lbl(labels_, kMlaUpRecompute, layer, mb));
  }
  attention_core_backward(rs, ps, layer);
  if (m_.position == PositionKind::rope)
    compute(rs, ps, k.rope_bwd, lbl(labels_, kRopeBwd, layer, mb));
  if (p_.sequence_parallel && weights_now) {
    collective(rs, streams_.tp, Category::tp, CollectiveKind::all_gather, rs.groups.tp, p_.tp,
               shapes_.tokens_tp * m_.hidden * 2.0, lbl(labels_, kTpBwd, layer, mb),
               {front(rs, ps)});
  }
  if (k.mla) {
    linear_backward(rs, ps, k.kv_up, layer, labels_.layer_op[kMlaBwd], labels_.layer_op[kMlaBwd],
                    weights_now);
    compute(rs, ps, k.kv_norm_bwd, lbl(labels_, kMlaBwd, layer, mb));
    linear_backward(rs, ps, k.kv_down, layer, labels_.layer_op[kMlaBwd], labels_.layer_op[kMlaBwd],
                    weights_now);
    if (k.mla_q_lora) {
      linear_backward(rs, ps, k.q_up, layer, labels_.layer_op[kMlaBwd], labels_.layer_op[kMlaBwd],
                      weights_now);
      compute(rs, ps, k.q_norm_bwd, lbl(labels_, kMlaBwd, layer, mb));
      linear_backward(rs, ps, k.q_down, layer, labels_.layer_op[kMlaBwd], labels_.layer_op[kMlaBwd],
                      weights_now);
    } else {
      linear_backward(rs, ps, k.q_direct, layer, labels_.layer_op[kMlaBwd],
                      labels_.layer_op[kMlaBwd], weights_now);
    }
  } else {
    linear_backward(rs, ps, k.qkv, layer, labels_.layer_op[kQkvDgrad], labels_.layer_op[kQkvWgrad],
                    weights_now);
  }
  tp_leave(rs, ps, layer, true);
  compute(rs, ps, k.norm_bwd, lbl(labels_, kNorm1Bwd, layer, mb));
  compute(rs, ps, k.residual_bwd, lbl(labels_, kResidualBwd, layer, mb));
  // The weight-gradient pass (dW = X^T dY, zero-bubble schedules) does not read the parameters:
  // their gathered copy goes when the input gradients are done.
  if (!weights_now) zero3_after_layer(rs, ps, layer, true);
  if (weights_now) {
    const double dense =
        moe_layer ? shapes_.layer_moe_params_dense_part : shapes_.layer_dense_params;
    const double expert = moe_layer ? shapes_.layer_moe_params_expert_part : 0.0;
    if (ps.reduce_grads) grad_ready(rs, dense, expert, front(rs, ps));
    zero3_after_layer(rs, ps, layer, true);
    double bytes = kept_activation_bytes(ps, layer);
    if (layer_recomputed(ps, layer)) bytes += moe_layer ? act_moe_full_ : act_dense_full_;
    after(rs, ps,
          g_.add_memory(rs.rank, streams_.compute, false, MemoryTag::activations, bytes,
                        OpLabel{labels_.mem_free, layer, mb}, front_deps(rs, ps)));
  }
}

void StepBuilder::layer_weight_grads(RankState& rs, PassState& ps, int layer) {
  const bool moe_layer = m_.is_moe_layer(layer);
  const LayerKernels& k = moe_layer ? moe_ : dense_;
  const int mb = ps.micro_batch;
  auto w = [&](const LinearKernels& l, int slot) {
    compute(rs, ps, l.wgrad, lbl(labels_, slot, layer, mb));
  };
  if (moe_layer) {
    w(k.expert_fc2, kExpFc2Wgrad);
    w(k.expert_fc1, kExpFc1Wgrad);
    if (k.shared_experts) {
      w(k.shared_fc2, kSharedFc2Wgrad);
      w(k.shared_fc1, kSharedFc1Wgrad);
    }
    w(k.router, kRouterWgrad);
  } else {
    w(k.fc2, kFc2Wgrad);
    w(k.fc1, kFc1Wgrad);
  }
  w(k.out, kOutWgrad);
  if (k.mla) {
    w(k.kv_up, kMlaBwd);
    w(k.kv_down, kMlaBwd);
    if (k.mla_q_lora) {
      w(k.q_up, kMlaBwd);
      w(k.q_down, kMlaBwd);
    } else {
      w(k.q_direct, kMlaBwd);
    }
  } else {
    w(k.qkv, kQkvWgrad);
  }
  const double dense = moe_layer ? shapes_.layer_moe_params_dense_part : shapes_.layer_dense_params;
  const double expert = moe_layer ? shapes_.layer_moe_params_expert_part : 0.0;
  if (ps.reduce_grads) grad_ready(rs, dense, expert, front(rs, ps));
  double bytes = kept_activation_bytes(ps, layer);
  if (layer_recomputed(ps, layer)) bytes += moe_layer ? act_moe_full_ : act_dense_full_;
  after(rs, ps,
        g_.add_memory(rs.rank, streams_.compute, false, MemoryTag::activations, bytes,
                      OpLabel{labels_.mem_free, layer, mb}, front_deps(rs, ps)));
}

}  // namespace ptsim::builder
