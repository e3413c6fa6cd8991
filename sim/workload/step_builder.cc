#include "sim/workload/step_builder.h"

#include <algorithm>
#include <cstdio>
#include <map>

#include "common/check.h"
#include "sim/workload/activation_memory.h"
#include "sim/workload/config_rules.h"
#include "sim/workload/layer_split.h"
#include "sim/workload/model_state_memory.h"
#include "sim/workload/optimizer_step.h"
#include "sim/workload/overlap_pairing.h"

namespace ptsim::builder {

StepBuilder::StepBuilder(const ModelSpec& m, const TrainingConfig& t, const ParallelConfig& p,
                         GraphMode mode)
    : m_(m),
      t_(t),
      p_(p),
      mode_(mode),
      shapes_(rank_shapes(m, t, p)),
      layout_(*RankLayout::make(p)),
      g_(p.world_size()) {
  micro_batches_ = micro_batches_per_step(t_, p_);
  plan_ = make_pipeline_plan(p_.schedule, p_.pp, p_.vpp, micro_batches_);
  if (p_.ep_a2a_overlap) pair_forward_backward_passes(plan_);
  gemm_dtype_ = t_.precision == Precision::fp8 ? Dtype::fp8 : Dtype::bf16;
}

void StepBuilder::assign_layers() {
  const int stages = plan_.model_stages;
  stage_layer_count_ = split_layers_over_stages(m_.layers, stages);
  stage_first_layer_.assign(static_cast<std::size_t>(stages), 0);
  for (int s = 1; s < stages; ++s) {
    stage_first_layer_[static_cast<std::size_t>(s)] =
        stage_first_layer_[static_cast<std::size_t>(s - 1)] +
        stage_layer_count_[static_cast<std::size_t>(s - 1)];
  }
}

void StepBuilder::setup_ranks_and_groups() {
  for (const char* name : kStepStreams)
    g_.add_stream(name);
  streams_ = {0, 1, 2, 3, 4, 5, 6, 7, 8, 5, 6, 7, 8};
  if (p_.schedule == Schedule::dualpipe) {
    for (const char* name : kDualPipeReverseStreams)
      g_.add_stream(name);
    streams_.rev_fwd_send = 9;
    streams_.rev_fwd_recv = 10;
    streams_.rev_bwd_send = 11;
    streams_.rev_bwd_recv = 12;
  }

  // Representatives: every rank (full) or the rank with tp = cp = dp = 0 of each pipeline rank.
  std::vector<int> globals;
  if (mode_ == GraphMode::full) {
    for (int r = 0; r < layout_.world_size(); ++r)
      globals.push_back(r);
  } else {
    for (int s = 0; s < p_.pp; ++s)
      globals.push_back(layout_.rank_of(0, 0, 0, s));
  }
  std::sort(globals.begin(), globals.end());
  const int represents = mode_ == GraphMode::full ? 1 : p_.tp * p_.cp * p_.dp;
  for (int gr : globals) {
    const auto c = layout_.coords(gr);
    const GraphRank id = g_.add_rank(gr, represents, "pp" + std::to_string(c.pp));
    if (mode_ == GraphMode::reduced && represents > 1) {
      // Members in (dp, cp, tp) order on every pipeline rank, so that the i-th members of adjacent
      // pipeline ranks are send/receive peers.
      std::vector<int> members;
      members.reserve(static_cast<std::size_t>(represents));
      for (int dp = 0; dp < p_.dp; ++dp) {
        for (int cp = 0; cp < p_.cp; ++cp) {
          for (int tp = 0; tp < p_.tp; ++tp)
            members.push_back(layout_.rank_of(tp, cp, dp, c.pp));
        }
      }
      g_.set_rank_members(id, std::move(members));
    }
  }

  // Groups by kind; each graph rank refers to the group containing it. Reduced graphs list the
  // other groups of the same kind on the same pipeline rank as replicas.
  auto add_kind = [&](const std::vector<std::vector<int>>& all, Category dim, auto member) {
    std::map<int, GroupId> group_of_rank;
    std::map<int, std::vector<const std::vector<int>*>> by_pp;
    for (const auto& grp : all)
      by_pp[layout_.coords(grp.front()).pp].push_back(&grp);
    for (const auto& grp : all) {
      bool present = false;
      for (int r : grp)
        present = present || g_.graph_rank_of(r) >= 0;
      if (!present) continue;
      Group group;
      group.dimension = dim;
      group.ranks = grp;
      if (mode_ == GraphMode::reduced) {
        for (const auto* other : by_pp[layout_.coords(grp.front()).pp]) {
          if (other != &grp) group.replicas.push_back(*other);
        }
      }
      const GroupId id = g_.add_group(std::move(group));
      for (int r : grp)
        group_of_rank[r] = id;
    }
    for (auto& rs : ranks_)
      member(rs) = group_of_rank.at(rs.global);
  };

  ranks_.resize(g_.rank_count());
  for (GraphRank i = 0; i < g_.rank_count(); ++i) {
    auto& rs = ranks_[i];
    rs.rank = i;
    rs.global = g_.ranks()[i].global_rank;
    rs.pipeline_rank = layout_.coords(rs.global).pp;
    rs.groups.tp_size = p_.tp;
    rs.groups.cp_size = p_.cp;
    rs.groups.dp_cp_size = p_.dp * p_.cp;
    rs.groups.ep_size = p_.ep;
    rs.groups.etp_size = p_.etp;
    rs.groups.edp_size = p_.expert_dp();
  }
  add_kind(layout_.tp_groups(), Category::tp, [](RankState& r) -> GroupId& { return r.groups.tp; });
  add_kind(layout_.cp_groups(), Category::cp, [](RankState& r) -> GroupId& { return r.groups.cp; });
  add_kind(layout_.dp_cp_groups(), Category::dp,
           [](RankState& r) -> GroupId& { return r.groups.dp_cp; });
  if (m_.is_moe()) {
    add_kind(layout_.ep_groups(), Category::ep,
             [](RankState& r) -> GroupId& { return r.groups.ep; });
    add_kind(layout_.etp_groups(), Category::ep,
             [](RankState& r) -> GroupId& { return r.groups.etp; });
    add_kind(layout_.edp_groups(), Category::dp,
             [](RankState& r) -> GroupId& { return r.groups.edp; });
  }
  // Tied embeddings with pp > 1: the first and last pipeline ranks all-reduce the embedding
  // gradient (Megatron's embedding group).
  if (m_.tied_embeddings && p_.pp > 1) {
    std::vector<std::vector<int>> pairs;
    for (const auto& pipe : layout_.pp_groups())
      pairs.push_back({pipe.front(), pipe.back()});
    std::map<int, GroupId> of;
    for (const auto& pair : pairs) {
      if (g_.graph_rank_of(pair[0]) < 0 && g_.graph_rank_of(pair[1]) < 0) continue;
      Group group;
      group.dimension = Category::dp;
      group.ranks = pair;
      if (mode_ == GraphMode::reduced) {
        for (const auto& other : pairs) {
          if (other != pair) group.replicas.push_back(other);
        }
      }
      const GroupId id = g_.add_group(std::move(group));
      of[pair[0]] = id;
      of[pair[1]] = id;
    }
    for (auto& rs : ranks_) {
      if (auto it = of.find(rs.global); it != of.end()) {
        rs.groups.embed = it->second;
        rs.groups.has_embed_group = true;
      }
    }
  }
}

int StepBuilder::pipeline_peer(const RankState& rs, int pipeline_rank) const {
  const auto c = layout_.coords(rs.global);
  const auto gr = g_.graph_rank_of(layout_.rank_of(c.tp, c.cp, c.dp, pipeline_rank));
  PTSIM_CHECK(gr >= 0, "pipeline peer missing from the graph");
  return static_cast<int>(gr);
}

void StepBuilder::account(RankState& rs, Category c, CollectiveKind k, int n, double bytes) {
  rs.comm_bytes[static_cast<std::size_t>(c)] += wire_bytes_per_rank(k, n, bytes);
}

OpId StepBuilder::collective(RankState& rs, std::uint8_t stream, Category c, CollectiveKind k,
                             GroupId group, int n, double bytes, OpLabel label,
                             std::initializer_list<OpId> deps, DomainDedup dedup,
                             double rate_cap_bytes_per_s) {
  account(rs, c, k, n, bytes);
  return g_.add_collective(rs.rank, stream, c, k, group, bytes, label,
                           std::span<const OpId>(deps.begin(), deps.size()), dedup,
                           rate_cap_bytes_per_s);
}

DomainDedup StepBuilder::expert_dedup() const {
  return expert_a2a_dedup(m_, p_);
}

OpId StepBuilder::after(RankState& rs, PassState& ps, OpId op) {
  (void)rs;
  ps.frontier = op;
  ps.has_frontier = true;
  return op;
}

OpId StepBuilder::compute(RankState& rs, PassState& ps, std::uint32_t kernel, OpLabel label,
                          Category c) {
  // Consecutive kernels of a pass with nothing else to wait for become one op.
  const bool new_deps = ps.has_extra_dep || rs.has_pending_send || ps.has_join_after_next;
  if (!ps.run.empty() && (new_deps || c != ps.run_category)) flush(rs, ps);
  if (ps.run.empty()) {
    ps.run_dep_count = 0;
    if (ps.has_frontier) ps.run_deps[ps.run_dep_count++] = ps.frontier;
    if (ps.has_extra_dep) {
      ps.run_deps[ps.run_dep_count++] = ps.extra_dep;
      ps.has_extra_dep = false;
    }
    if (rs.has_pending_send) {
      ps.run_deps[ps.run_dep_count++] = rs.pending_send;
      rs.has_pending_send = false;
    }
    ps.run_label = label;
    ps.run_category = c;
  }
  ps.run.push_back(kernel);
  ps.run_last_label = label;
  if (ps.has_join_after_next) {
    // This kernel runs alongside a collective: make it its own op, and whatever follows waits for
    // both.
    flush(rs, ps);
    ps.extra_dep = ps.join_after_next;
    ps.has_extra_dep = true;
    ps.has_join_after_next = false;
  }
  return 0;
}

void StepBuilder::flush(RankState& rs, PassState& ps) {
  if (ps.run.empty()) return;
  after(rs, ps,
        g_.add_compute_sequence(rs.rank, streams_.compute, ps.run_category, ps.run, ps.run_label,
                                std::span<const OpId>(ps.run_deps.data(), ps.run_dep_count)));
  ps.run.clear();
}

OpId StepBuilder::front(RankState& rs, PassState& ps) {
  flush(rs, ps);
  if (ps.has_extra_dep && ps.has_frontier) {
    // A non-compute op must also wait for the pending extra dependency: join both in an
    // instantaneous no-op (an empty workspace allocation).
    const OpId d[] = {ps.frontier, ps.extra_dep};
    after(rs, ps,
          g_.add_memory(rs.rank, streams_.compute, true, MemoryTag::workspace, 0.0,
                        OpLabel{labels_.join, -1, ps.micro_batch}, d));
    ps.has_extra_dep = false;
  }
  return ps.frontier;
}

std::span<const OpId> StepBuilder::front_deps(RankState& rs, PassState& ps) {
  front(rs, ps);
  return std::span<const OpId>(&ps.frontier, ps.has_frontier ? 1 : 0);
}

void StepBuilder::grad_ready(RankState& rs, double dense_params, double expert_params,
                             OpId producer) {
  if (p_.zero_stage == 3) {
    // FSDP: each layer's gradients are reduce-scattered as soon as they exist, every micro-batch.
    if (rs.groups.dp_cp_size > 1 && dense_params > 0) {
      rs.reductions.push_back(collective(rs, streams_.dp, Category::dp,
                                         CollectiveKind::reduce_scatter, rs.groups.dp_cp,
                                         rs.groups.dp_cp_size, p_.grad_bytes() * dense_params,
                                         OpLabel{labels_.zero3_reduce, -1, -1}, {producer}));
    }
    if (m_.is_moe() && rs.groups.edp_size > 1 && expert_params > 0) {
      rs.reductions.push_back(collective(rs, streams_.dp, Category::dp,
                                         CollectiveKind::reduce_scatter, rs.groups.edp,
                                         rs.groups.edp_size, p_.grad_bytes() * expert_params,
                                         OpLabel{labels_.zero3_reduce, -1, -1}, {producer}));
    }
    return;
  }
  // Without overlap the whole gradient is reduced once, after the backward (flush at the end).
  if (!p_.overlap_grad_reduce && p_.zero_stage < 2) {
    rs.dense_bucket.params += dense_params;
    rs.dense_bucket.last_producer = producer;
    rs.dense_bucket.has_producer = true;
    rs.expert_bucket.params += expert_params;
    rs.expert_bucket.last_producer = producer;
    rs.expert_bucket.has_producer = true;
    return;
  }
  rs.dense_bucket.params += dense_params;
  rs.dense_bucket.last_producer = producer;
  rs.dense_bucket.has_producer = true;
  rs.expert_bucket.params += expert_params;
  rs.expert_bucket.last_producer = producer;
  rs.expert_bucket.has_producer = true;
  flush_buckets(rs, false);
}

void StepBuilder::flush_buckets(RankState& rs, bool final) {
  const CollectiveKind kind =
      p_.zero_stage == 0 ? CollectiveKind::all_reduce : CollectiveKind::reduce_scatter;
  auto flush = [&](Bucket& b, GroupId group, int n, bool expert) {
    const double bytes = b.params * p_.grad_bytes();
    if (!b.has_producer || b.params <= 0 || (!final && bytes < p_.dp_bucket_bytes)) return;
    if (n > 1) {
      rs.reductions.push_back(collective(rs, streams_.dp, Category::dp, kind, group, n, bytes,
                                         OpLabel{expert ? labels_.ep_reduce : labels_.dp_reduce,
                                                 static_cast<int>(rs.reductions.size()), -1},
                                         {b.last_producer}));
    }
    b = Bucket{};
  };
  flush(rs.dense_bucket, rs.groups.dp_cp, rs.groups.dp_cp_size, false);
  if (m_.is_moe()) flush(rs.expert_bucket, rs.groups.edp, rs.groups.edp_size, true);
}

OpId StepBuilder::zero3_gather(RankState& rs, PassState& ps, double dense, double expert,
                               OpLabel label) {
  // Gathered parameters (2 bytes each) live until the layer's pass ends (zero3_release).
  const OpId alloc = g_.add_memory(rs.rank, streams_.compute, true, MemoryTag::comm_buffers,
                                   2.0 * (dense + expert), label, front_deps(rs, ps));
  OpId done = alloc;
  // On demand, the gather sits on the compute stream: the layer's kernels wait behind it.
  const bool on_demand = p_.zero3_gather == Zero3Gather::on_demand;
  const std::uint8_t stream = on_demand ? streams_.compute : streams_.dp;
  const double cap = on_demand ? kOnDemandGatherBytesPerS : 0.0;
  if (rs.groups.dp_cp_size > 1 && dense > 0) {
    done = collective(rs, stream, Category::dp, CollectiveKind::all_gather, rs.groups.dp_cp,
                      rs.groups.dp_cp_size, 2.0 * dense, label, {alloc}, {}, cap);
  }
  if (expert > 0 && rs.groups.edp_size > 1) {
    done = collective(rs, stream, Category::dp, CollectiveKind::all_gather, rs.groups.edp,
                      rs.groups.edp_size, 2.0 * expert, label, {alloc}, {}, cap);
  }
  return done;
}

void StepBuilder::zero3_release(RankState& rs, PassState& ps, double params, OpLabel label) {
  after(rs, ps,
        g_.add_memory(rs.rank, streams_.compute, false, MemoryTag::comm_buffers, 2.0 * params,
                      label, front_deps(rs, ps)));
}

void StepBuilder::zero3_before_layer(RankState& rs, PassState& ps, int layer, bool backward) {
  if (p_.zero_stage != 3) return;
  // FSDP / ZeRO-3: all-gather a layer's parameters before its forward and again before its
  // backward, issuing the next layer's all-gather as this one starts (one-layer prefetch).
  auto gather = [&](int l) {
    const bool moe_layer = m_.is_moe_layer(l);
    return zero3_gather(
        rs, ps, moe_layer ? shapes_.layer_moe_params_dense_part : shapes_.layer_dense_params,
        moe_layer ? shapes_.layer_moe_params_expert_part : 0.0,
        OpLabel{labels_.zero3_gather, l, ps.micro_batch});
  };
  const OpId ready = ps.zero3_prefetch_layer == layer ? ps.zero3_prefetch : gather(layer);
  const int next = backward ? layer - 1 : layer + 1;
  const bool prefetch = p_.zero3_gather == Zero3Gather::prefetch;
  if (prefetch && next >= ps.first_layer && next < ps.first_layer + ps.layer_count) {
    ps.zero3_prefetch = gather(next);
    ps.zero3_prefetch_layer = next;
  } else {
    ps.zero3_prefetch_layer = -1;
  }
  ps.extra_dep = ready;
  ps.has_extra_dep = true;
}

void StepBuilder::zero3_after_layer(RankState& rs, PassState& ps, int layer, bool backward) {
  if (p_.zero_stage != 3) return;
  (void)backward;
  // FSDP reshards after forward and after backward: the gathered copy is dropped.
  const bool moe_layer = m_.is_moe_layer(layer);
  const double params =
      moe_layer ? shapes_.layer_moe_params_dense_part + shapes_.layer_moe_params_expert_part
                : shapes_.layer_dense_params;
  zero3_release(rs, ps, params, OpLabel{labels_.mem_free, layer, ps.micro_batch});
}

double StepBuilder::kept_activation_bytes(const PassState& ps, int layer) const {
  const bool moe_layer = m_.is_moe_layer(layer);
  // A layer left out of a partial full recomputation keeps what it would without any.
  if (p_.recompute == Recompute::full && !layer_recomputed(ps, layer))
    return moe_layer ? act_moe_full_ : act_dense_full_;
  return moe_layer ? act_moe_ : act_dense_;
}

void StepBuilder::zero3_after_recompute(RankState& rs, PassState& ps, int layer) {
  if (p_.zero_stage != 3 || p_.zero3_gather != Zero3Gather::on_demand) return;
  // DeepSpeed's module hooks release the parameters when the recomputed forward ends, and the
  // backward hooks gather them again.
  zero3_after_layer(rs, ps, layer, false);
  zero3_before_layer(rs, ps, layer, true);
}

// Embedding and LM head under ZeRO-3: gathered around their own forward and backward.
void StepBuilder::zero3_edge(RankState& rs, PassState& ps, double params, bool gather) {
  if (p_.zero_stage != 3 || params <= 0) return;
  const OpLabel label{labels_.zero3_gather, -1, ps.micro_batch};
  if (gather) {
    ps.extra_dep = zero3_gather(rs, ps, params, 0.0, label);
    ps.has_extra_dep = true;
  } else {
    zero3_release(rs, ps, params, label);
  }
}

void StepBuilder::embedding_forward(RankState& rs, PassState& ps) {
  const int mb = ps.micro_batch;
  after(rs, ps,
        g_.add_memory(rs.rank, streams_.compute, true, MemoryTag::activations, act_embed_,
                      OpLabel{labels_.mem_act, -1, mb}, front_deps(rs, ps)));
  zero3_edge(rs, ps, shapes_.embedding_params, true);
  compute(rs, ps, edge_.embed_fwd, OpLabel{labels_.embed_fwd, -1, mb});
  zero3_edge(rs, ps, shapes_.embedding_params, false);
  if (p_.tp > 1) {
    // Vocabulary-parallel embedding: partial lookups summed over the TP group.
    const CollectiveKind kind =
        p_.sequence_parallel ? CollectiveKind::reduce_scatter : CollectiveKind::all_reduce;
    after(rs, ps,
          collective(rs, streams_.tp, Category::tp, kind, rs.groups.tp, p_.tp,
                     shapes_.tokens_tp * m_.hidden * 2.0, OpLabel{labels_.embed_tp, -1, mb},
                     {front(rs, ps)}));
  }
}

void StepBuilder::embedding_backward(RankState& rs, PassState& ps) {
  const int mb = ps.micro_batch;
  if (p_.tp > 1 && p_.sequence_parallel) {
    after(rs, ps,
          collective(rs, streams_.tp, Category::tp, CollectiveKind::all_gather, rs.groups.tp, p_.tp,
                     shapes_.tokens_tp * m_.hidden * 2.0, OpLabel{labels_.embed_tp, -1, mb},
                     {front(rs, ps)}));
  }
  zero3_edge(rs, ps, shapes_.embedding_params, true);
  compute(rs, ps, edge_.embed_bwd, OpLabel{labels_.embed_bwd, -1, mb});
  zero3_edge(rs, ps, shapes_.embedding_params, false);
  after(rs, ps,
        g_.add_memory(rs.rank, streams_.compute, false, MemoryTag::activations, act_embed_,
                      OpLabel{labels_.mem_free, -1, mb}, front_deps(rs, ps)));
  if (ps.reduce_grads) grad_ready(rs, shapes_.embedding_params, 0.0, front(rs, ps));
}

void StepBuilder::head_forward(RankState& rs, PassState& ps) {
  const int mb = ps.micro_batch;
  after(rs, ps,
        g_.add_memory(rs.rank, streams_.compute, true, MemoryTag::activations, act_head_,
                      OpLabel{labels_.mem_act, -1, mb}, front_deps(rs, ps)));
  compute(rs, ps, edge_.final_norm_fwd, OpLabel{labels_.final_norm_fwd, -1, mb});
  if (p_.tp > 1 && p_.sequence_parallel) {
    after(rs, ps,
          collective(rs, streams_.tp, Category::tp, CollectiveKind::all_gather, rs.groups.tp, p_.tp,
                     shapes_.tokens_tp * m_.hidden * 2.0, OpLabel{labels_.head_tp, -1, mb},
                     {front(rs, ps)}));
  }
  const double head_params = shapes_.lm_head_params + shapes_.final_norm_params;
  zero3_edge(rs, ps, head_params, true);
  compute(rs, ps, edge_.head.fwd, OpLabel{labels_.head_fwd, -1, mb});
  zero3_edge(rs, ps, head_params, false);
  compute(rs, ps, edge_.loss_fwd, OpLabel{labels_.loss_fwd, -1, mb});
  if (p_.tp > 1) {
    // Vocabulary-parallel cross-entropy: max and sum of exponentials over the TP group (fp32).
    after(rs, ps,
          collective(rs, streams_.tp, Category::tp, CollectiveKind::all_reduce, rs.groups.tp, p_.tp,
                     shapes_.tokens_tp * 8.0, OpLabel{labels_.head_tp, -1, mb}, {front(rs, ps)}));
  }
}

void StepBuilder::head_backward(RankState& rs, PassState& ps) {
  const int mb = ps.micro_batch;
  const bool weights_now = ps.pass == Pass::backward;
  const double head_params = shapes_.lm_head_params + shapes_.final_norm_params;
  compute(rs, ps, edge_.loss_bwd, OpLabel{labels_.loss_bwd, -1, mb});
  zero3_edge(rs, ps, head_params, true);
  compute(rs, ps, edge_.head.dgrad, OpLabel{labels_.head_bwd, -1, mb});
  compute(rs, ps, edge_.head.wgrad, OpLabel{labels_.head_bwd, -1, mb});
  zero3_edge(rs, ps, head_params, false);
  if (p_.tp > 1) {
    const CollectiveKind kind =
        p_.sequence_parallel ? CollectiveKind::reduce_scatter : CollectiveKind::all_reduce;
    after(rs, ps,
          collective(rs, streams_.tp, Category::tp, kind, rs.groups.tp, p_.tp,
                     shapes_.tokens_tp * m_.hidden * 2.0, OpLabel{labels_.head_tp, -1, mb},
                     {front(rs, ps)}));
  }
  compute(rs, ps, edge_.final_norm_bwd, OpLabel{labels_.final_norm_bwd, -1, mb});
  after(rs, ps,
        g_.add_memory(rs.rank, streams_.compute, false, MemoryTag::activations, act_head_,
                      OpLabel{labels_.mem_free, -1, mb}, front_deps(rs, ps)));
  (void)weights_now;
  if (ps.reduce_grads) {
    grad_ready(rs, shapes_.lm_head_params + shapes_.final_norm_params, 0.0, front(rs, ps));
  }
}

PassState StepBuilder::make_pass(const RankState& rs, const PipelineWork& w) const {
  PassState ps;
  ps.pass = w.pass;
  ps.chunk = w.chunk;
  ps.micro_batch = w.micro_batch;
  const int r = rs.pipeline_rank;
  ps.model_stage =
      plan_.model_stage[static_cast<std::size_t>(r)][static_cast<std::size_t>(w.chunk)];
  ps.first_layer = stage_first_layer_[static_cast<std::size_t>(ps.model_stage)];
  ps.layer_count = stage_layer_count_[static_cast<std::size_t>(ps.model_stage)];
  ps.first_position = ps.model_stage == 0;
  ps.last_position = ps.model_stage == plan_.model_stages - 1;
  ps.step_count = 2 * ps.layer_count;
  return ps;
}

void StepBuilder::emit_pass_prologue(RankState& rs, PassState& ps) {
  const int d = plan_.direction_of_micro_batch[static_cast<std::size_t>(ps.micro_batch)];
  const auto& dir = plan_.directions[static_cast<std::size_t>(d)];
  // Position of this chunk in the micro-batch's direction.
  int pos = 0;
  for (std::size_t i = 0; i < dir.size(); ++i) {
    if (dir[i].rank == rs.pipeline_rank && dir[i].chunk == ps.chunk) pos = static_cast<int>(i);
  }
  const int K = static_cast<int>(dir.size());
  const auto key = [&](int boundary, bool backward) {
    return static_cast<std::uint32_t>((ps.micro_batch * K + boundary) * 2 + (backward ? 1 : 0));
  };
  const bool forward = ps.pass == Pass::forward;
  const bool backward = ps.pass == Pass::backward || ps.pass == Pass::backward_input;
  const bool receives = (forward && pos > 0) || (backward && pos + 1 < K);
  const auto post_recv = [&](std::span<const OpId> deps) {
    if (forward) {
      const int peer = pipeline_peer(rs, dir[static_cast<std::size_t>(pos - 1)].rank);
      return g_.add_recv(rs.rank, d == 0 ? streams_.pp_fwd_recv : streams_.rev_fwd_recv,
                         Category::pp, static_cast<GraphRank>(peer), key(pos - 1, false),
                         p2p_bytes_, OpLabel{labels_.recv_fwd, ps.chunk, ps.micro_batch}, deps);
    }
    const int peer = pipeline_peer(rs, dir[static_cast<std::size_t>(pos + 1)].rank);
    return g_.add_recv(rs.rank, d == 0 ? streams_.pp_bwd_recv : streams_.rev_bwd_recv, Category::pp,
                       static_cast<GraphRank>(peer), key(pos, true), p2p_bytes_,
                       OpLabel{labels_.recv_bwd, ps.chunk, ps.micro_batch}, deps);
  };
  if (p_.serial_p2p && (forward || backward)) {
    // DeepSpeed's pipeline engine: the previous pass's send goes out with this pass's receive,
    // each waited for, in TrainSchedule's order, which its neighbours mirror. Its steps alternate
    // forward and backward on every stage (a step whose micro-batch does not exist only sends):
    // the backward step after F(j) on stage s is B(j - w), w = pp - 1 - s, and receives that
    // gradient before sending F(j)'s activation; every other step sends first.
    DeferredSend& pending = rs.deferred_send;
    const OpId before = pending.has ? pending.after : rs.last_op;
    const bool has_before = pending.has || rs.has_last_op;
    const std::span<const OpId> before_deps(&before, has_before ? 1 : 0);
    OpId send = 0;
    const bool sends = pending.has;
    const int warmup = p_.pp - 1 - rs.pipeline_rank;
    if (sends && pending.from_forward && backward && receives &&
        ps.micro_batch == pending.micro_batch - warmup) {
      const OpId recv = post_recv(before_deps);
      after(rs, ps, recv);
      send = issue_deferred_send(rs, std::span<const OpId>(&recv, 1));
    } else {
      if (sends) send = issue_deferred_send(rs, before_deps);
      if (receives) {
        after(rs, ps, post_recv(sends ? std::span<const OpId>(&send, 1) : before_deps));
      }
    }
    if (sends) {
      rs.pending_send = send;
      rs.has_pending_send = true;
    }
  } else if (receives) {
    // Posted ahead: the receive waits for its sender from the moment it reaches the head of its
    // stream, and its kernel counts as holding SMs while it waits (sim/simulator.h). Megatron
    // launches the receives of its non-interleaved schedules only after the work before them;
    // posted that way (as serial_p2p posts them), the eight published 1F1B runs with pp > 1
    // simulate 8 to 15 % faster, up to 14 % faster than measured (README, "Accuracy"), so the
    // earlier posting stays until a measurement separates the two.
    after(rs, ps, post_recv({}));
  }
  if (receives) return;
  if (forward) {
    embedding_forward(rs, ps);
  } else if (backward) {
    head_backward(rs, ps);
  }
}

OpId StepBuilder::issue_deferred_send(RankState& rs, std::span<const OpId> deps) {
  DeferredSend& pending = rs.deferred_send;
  pending.has = false;
  return g_.add_send(rs.rank, pending.stream, Category::pp, pending.peer, pending.match, p2p_bytes_,
                     pending.label, deps);
}

void StepBuilder::emit_pass_epilogue(RankState& rs, PassState& ps) {
  const int d = plan_.direction_of_micro_batch[static_cast<std::size_t>(ps.micro_batch)];
  const auto& dir = plan_.directions[static_cast<std::size_t>(d)];
  int pos = 0;
  for (std::size_t i = 0; i < dir.size(); ++i) {
    if (dir[i].rank == rs.pipeline_rank && dir[i].chunk == ps.chunk) pos = static_cast<int>(i);
  }
  const int K = static_cast<int>(dir.size());
  const auto key = [&](int boundary, bool backward) {
    return static_cast<std::uint32_t>((ps.micro_batch * K + boundary) * 2 + (backward ? 1 : 0));
  };
  // Megatron's non-interleaved schedules wait for their sends (batched isend/irecv + wait);
  // the interleaved schedule overlaps them unless told not to (ParallelConfig::overlap_p2p), and
  // DualPipe always does.
  const bool blocking = p_.schedule == Schedule::one_f_one_b || p_.schedule == Schedule::gpipe ||
                        p_.schedule == Schedule::zb_h1 ||
                        (p_.schedule == Schedule::interleaved && !p_.overlap_p2p);
  // A send: issued now, or under serial_p2p with the next pass's receive (emit_pass_prologue).
  const auto send = [&](std::uint8_t stream, int peer, std::uint32_t match, std::uint32_t label) {
    account(rs, Category::pp, CollectiveKind::ring_shift, 2, p2p_bytes_);
    const OpLabel op_label{label, ps.chunk, ps.micro_batch};
    if (p_.serial_p2p) {
      rs.deferred_send =
          DeferredSend{true,     stream,        static_cast<GraphRank>(peer), match,
                       op_label, front(rs, ps), ps.pass == Pass::forward,     ps.micro_batch};
      return;
    }
    const OpId op = g_.add_send(rs.rank, stream, Category::pp, static_cast<GraphRank>(peer), match,
                                p2p_bytes_, op_label, front_deps(rs, ps));
    if (blocking) {
      rs.pending_send = op;
      rs.has_pending_send = true;
    }
  };
  if (ps.pass == Pass::forward) {
    if (pos + 1 < K) {
      send(d == 0 ? streams_.pp_fwd_send : streams_.rev_fwd_send,
           pipeline_peer(rs, dir[static_cast<std::size_t>(pos + 1)].rank), key(pos, false),
           labels_.send_fwd);
    } else {
      head_forward(rs, ps);
    }
  } else if (ps.pass == Pass::backward || ps.pass == Pass::backward_input) {
    if (pos > 0) {
      if (ps.pass == Pass::backward) fp32_grad_copy(rs, ps);
      send(d == 0 ? streams_.pp_bwd_send : streams_.rev_bwd_send,
           pipeline_peer(rs, dir[static_cast<std::size_t>(pos - 1)].rank), key(pos - 1, true),
           labels_.send_bwd);
    } else {
      embedding_backward(rs, ps);
      if (ps.pass == Pass::backward) fp32_grad_copy(rs, ps);
    }
  } else if (ps.pass == Pass::backward_weight) {
    fp32_grad_copy(rs, ps);
  }
  flush(rs, ps);
  if (ps.reduce_grads && ps.pass != Pass::backward_input && ps.pass != Pass::forward &&
      (p_.overlap_grad_reduce || p_.zero_stage >= 2)) {
    flush_buckets(rs, true);
  }
  if (p_.serial_p2p) {
    rs.last_op = front(rs, ps);
    rs.has_last_op = ps.has_frontier;
  }
}

bool StepBuilder::emit_pass_segment(RankState& rs, PassState& ps) {
  if (ps.next_step >= ps.step_count) return false;
  const int i = ps.next_step;
  const int half = i % 2;
  // A layer whose MLP comes in parts (mlp_parts) is cut where its all-to-alls are issued, as
  // DeepSeek-V3's DualPipe cuts it (arXiv:2412.19437, figure 4): forward, attention with the
  // router up to the dispatch | the experts up to the combine | the rest; backward, up to the
  // combine's gradient | the experts up to the dispatch's gradient | the rest with the attention.
  // Run beside another pass, each all-to-all then has the other's next segment to hide behind.
  if (ps.pass == Pass::forward) {
    const int layer = ps.first_layer + i / 2;
    const int parts = mlp_parts(layer);
    if (half == 0) {
      layer_forward_attention(rs, ps, layer, false);
      if (parts > 1) layer_forward_mlp_part(rs, ps, layer, false, ps.mlp_part++);
      ++ps.next_step;
    } else {
      layer_forward_mlp_part(rs, ps, layer, false, ps.mlp_part++);
      if (ps.mlp_part >= parts) {
        ps.mlp_part = 0;
        ++ps.next_step;
      }
    }
  } else if (ps.pass == Pass::backward_weight) {
    if (half == 0) layer_weight_grads(rs, ps, ps.first_layer + ps.layer_count - 1 - i / 2);
    ++ps.next_step;
  } else {
    const int layer = ps.first_layer + ps.layer_count - 1 - i / 2;
    const int parts = mlp_parts(layer);
    if (half == 0) {
      layer_backward_mlp_part(rs, ps, layer, ps.mlp_part++);
      if (ps.mlp_part >= parts) {
        ps.mlp_part = 0;
        ++ps.next_step;
        if (parts > 1) {
          layer_backward_attention(rs, ps, layer);
          ++ps.next_step;
        }
      }
    } else {
      layer_backward_attention(rs, ps, layer);
      ++ps.next_step;
    }
  }
  return ps.next_step < ps.step_count;
}

std::array<double, 2> StepBuilder::stage_params(int stage) const {
  double dense = 0;
  double expert = 0;
  const int first = stage_first_layer_[static_cast<std::size_t>(stage)];
  for (int l = first; l < first + stage_layer_count_[static_cast<std::size_t>(stage)]; ++l) {
    if (m_.is_moe_layer(l)) {
      dense += shapes_.layer_moe_params_dense_part;
      expert += shapes_.layer_moe_params_expert_part;
    } else {
      dense += shapes_.layer_dense_params;
    }
  }
  if (stage == 0) dense += shapes_.embedding_params;
  if (stage == plan_.model_stages - 1) dense += shapes_.lm_head_params + shapes_.final_norm_params;
  return {dense, expert};
}

void StepBuilder::fp32_grad_copy(RankState& rs, PassState& ps) {
  if (!p_.fp32_grad_copy) return;
  // Cast the bf16 gradients to an fp32 temporary (read 2, write 4), then add it into the fp32
  // buffer (read 4 + 4, write 4): 18 bytes per parameter of the chunk, every micro-batch.
  const std::array<double, 2> params = stage_params(ps.model_stage);
  const double bytes = 18.0 * (params[0] + params[1]);
  compute(rs, ps,
          g_.intern_kernel(
              MemoryBoundKernel{MemoryBoundKind::elementwise, bytes, (params[0] + params[1])}),
          OpLabel{labels_.grad_copy, ps.chunk, ps.micro_batch});
  // What is reduced is the fp32 buffer: its reduction waits for the copy.
  const OpId copied = front(rs, ps);
  for (Bucket* b : {&rs.dense_bucket, &rs.expert_bucket}) {
    if (b->has_producer) b->last_producer = copied;
  }
}

void StepBuilder::emit_static_memory(RankState& rs) {
  // Parameters held by this rank (all its chunks; DualPipe holds two model stages).
  double dense = 0;
  double expert = 0;
  for (int stage : plan_.model_stage[static_cast<std::size_t>(rs.pipeline_rank)]) {
    const std::array<double, 2> params = stage_params(stage);
    dense += params[0];
    expert += params[1];
  }
  const ModelStateBytes state_bytes =
      model_state_bytes(dense, expert, rs.groups.dp_cp_size, rs.groups.edp_size, p_.zero_stage,
                        p_.grad_memory_bytes());
  const std::array<double, 3> state = {state_bytes.weights, state_bytes.gradients,
                                       state_bytes.optimizer};
  const MemoryTag tags[3] = {MemoryTag::weights, MemoryTag::gradients, MemoryTag::optimizer};
  for (int i = 0; i < 3; ++i) {
    g_.add_memory(rs.rank, streams_.compute, true, tags[i], state[static_cast<std::size_t>(i)],
                  OpLabel{labels_.mem_static, -1, -1}, {});
  }
  // The optimizer phase over this rank's shard (optimizer_step.h).
  const double shard_params = p_.zero_stage >= 1
                                  ? dense / rs.groups.dp_cp_size + expert / rs.groups.edp_size
                                  : dense + expert;
  edge_.optimizer = g_.intern_kernel(optimizer_step_kernel(p_, dense + expert, shard_params));
  rs.optimizer_gradient_copy_bytes =
      optimizer_gradient_copy_bytes(dense, expert, rs.groups.dp_cp_size, rs.groups.edp_size,
                                    p_.zero_stage, p_.grad_memory_bytes());
  params_by_pipeline_rank_[static_cast<std::size_t>(rs.pipeline_rank)] = dense + expert;
  model_state_by_pipeline_rank_[static_cast<std::size_t>(rs.pipeline_rank)] = state;
}

void StepBuilder::emit_param_gathers(RankState& rs) {
  // ZeRO-1/2 (Megatron's distributed optimizer with --overlap-param-gather): the updated
  // parameters are all-gathered bucket by bucket while the next forward runs; in a steady-state
  // step that is this step's forward, so the first forward of a layer waits for its bucket.
  if (p_.zero_stage != 1 && p_.zero_stage != 2) return;
  const auto& stages = plan_.model_stage[static_cast<std::size_t>(rs.pipeline_rank)];
  rs.param_gather_of_layer.assign(stages.size(), {});
  rs.param_gather_waited.assign(stages.size(), {});
  for (std::size_t c = 0; c < stages.size(); ++c) {
    const int stage = stages[c];
    const int first = stage_first_layer_[static_cast<std::size_t>(stage)];
    const int count = stage_layer_count_[static_cast<std::size_t>(stage)];
    rs.param_gather_of_layer[c].assign(static_cast<std::size_t>(count), 0);
    rs.param_gather_waited[c].assign(static_cast<std::size_t>(count), 0);
    double dense = stage == 0 ? shapes_.embedding_params : 0.0;
    double expert = 0;
    int pending_from = 0;
    for (int i = 0; i < count; ++i) {
      const int l = first + i;
      dense +=
          m_.is_moe_layer(l) ? shapes_.layer_moe_params_dense_part : shapes_.layer_dense_params;
      expert += m_.is_moe_layer(l) ? shapes_.layer_moe_params_expert_part : 0.0;
      const bool last = i + 1 == count;
      if (last && stage == plan_.model_stages - 1) {
        dense += shapes_.lm_head_params + shapes_.final_norm_params;
      }
      if (2.0 * (dense + expert) < p_.dp_bucket_bytes && !last) continue;
      OpId op = 0;
      bool any = false;
      if (rs.groups.dp_cp_size > 1 && dense > 0) {
        op = collective(rs, streams_.dp, Category::dp, CollectiveKind::all_gather, rs.groups.dp_cp,
                        rs.groups.dp_cp_size, 2.0 * dense, OpLabel{labels_.dp_gather, l, -1}, {});
        any = true;
      }
      if (m_.is_moe() && rs.groups.edp_size > 1 && expert > 0) {
        op = collective(rs, streams_.dp, Category::dp, CollectiveKind::all_gather, rs.groups.edp,
                        rs.groups.edp_size, 2.0 * expert, OpLabel{labels_.ep_gather, l, -1}, {});
        any = true;
      }
      for (int j = pending_from; j <= i; ++j) {
        rs.param_gather_of_layer[c][static_cast<std::size_t>(j)] = op;
        rs.param_gather_waited[c][static_cast<std::size_t>(j)] = any ? 0 : 1;
      }
      pending_from = i + 1;
      dense = 0;
      expert = 0;
    }
  }
}

void StepBuilder::emit_optimizer(RankState& rs) {
  if (m_.tied_embeddings && rs.groups.has_embed_group) {
    const auto& stages = plan_.model_stage[static_cast<std::size_t>(rs.pipeline_rank)];
    const bool holds_embedding =
        std::find(stages.begin(), stages.end(), 0) != stages.end() ||
        std::find(stages.begin(), stages.end(), plan_.model_stages - 1) != stages.end();
    if (holds_embedding) {
      rs.reductions.push_back(collective(rs, streams_.dp, Category::dp, CollectiveKind::all_reduce,
                                         rs.groups.embed, 2, 2.0 * shapes_.vocab_local * m_.hidden,
                                         OpLabel{labels_.embed_sync, -1, -1}, {}));
    }
  }
  const double copy_bytes = rs.optimizer_gradient_copy_bytes;
  if (copy_bytes <= 0) {
    g_.add_compute_interned(rs.rank, streams_.compute, Category::optimizer, edge_.optimizer,
                            OpLabel{labels_.optimizer, -1, -1}, rs.reductions);
    return;
  }
  // 16-bit gradients: the step works on an fp32 copy of its shard (model_state_memory.h).
  const OpId copy = g_.add_memory(rs.rank, streams_.compute, true, MemoryTag::gradients, copy_bytes,
                                  OpLabel{labels_.mem_grad_fp32, -1, -1}, rs.reductions);
  const OpId step =
      g_.add_compute_interned(rs.rank, streams_.compute, Category::optimizer, edge_.optimizer,
                              OpLabel{labels_.optimizer, -1, -1}, std::span<const OpId>(&copy, 1));
  g_.add_memory(rs.rank, streams_.compute, false, MemoryTag::gradients, copy_bytes,
                OpLabel{labels_.mem_grad_fp32, -1, -1}, std::span<const OpId>(&step, 1));
}

void StepBuilder::emit_rank(RankState& rs) {
  emit_static_memory(rs);
  emit_param_gathers(rs);
  const std::vector<PipelineWork>& work = plan_.work[static_cast<std::size_t>(rs.pipeline_rank)];
  // The last weight-producing pass of each chunk triggers the gradient reduction.
  std::vector<std::size_t> last_weight_pass(static_cast<std::size_t>(plan_.chunks_per_rank), 0);
  for (std::size_t i = 0; i < work.size(); ++i) {
    if (work[i].pass == Pass::backward || work[i].pass == Pass::backward_weight) {
      last_weight_pass[static_cast<std::size_t>(work[i].chunk)] = i;
    }
  }
  std::size_t i = 0;
  while (i < work.size()) {
    PassState a = make_pass(rs, work[i]);
    a.reduce_grads = p_.zero_stage >= 2 || last_weight_pass[static_cast<std::size_t>(a.chunk)] == i;
    if (work[i].overlap_with_next && i + 1 < work.size()) {
      PassState b = make_pass(rs, work[i + 1]);
      b.reduce_grads =
          p_.zero_stage >= 2 || last_weight_pass[static_cast<std::size_t>(b.chunk)] == i + 1;
      emit_pass_prologue(rs, a);
      emit_pass_prologue(rs, b);
      // The backward leads (DeepSeek-V3's order, arXiv:2412.19437 figure 4): its combine
      // gradient runs beside the forward's attention, the forward's dispatch beside the backward's
      // experts, the backward's dispatch gradient beside the forward's experts, and the forward's
      // combine beside the backward's attention. Each segment's kernels go on the stream before
      // the other pass's next segment (a pass alone may keep a kernel run open across segments;
      // a pair must not, or the run would land behind the other's segment and wait for its
      // communication).
      PassState& lead = a.pass == Pass::forward && b.pass != Pass::forward ? b : a;
      PassState& follow = &lead == &a ? b : a;
      bool more_lead = true;
      bool more_follow = true;
      while (more_lead || more_follow) {
        if (more_lead) {
          more_lead = emit_pass_segment(rs, lead);
          flush(rs, lead);
        }
        if (more_follow) {
          more_follow = emit_pass_segment(rs, follow);
          flush(rs, follow);
        }
      }
      emit_pass_epilogue(rs, a);
      emit_pass_epilogue(rs, b);
      i += 2;
      continue;
    }
    emit_pass_prologue(rs, a);
    while (emit_pass_segment(rs, a)) {
    }
    emit_pass_epilogue(rs, a);
    ++i;
  }
  if (rs.deferred_send.has) {
    // The last gradient send (DeepSpeed sends it before reducing gradients): the optimizer waits.
    const OpId before = rs.deferred_send.after;
    rs.reductions.push_back(issue_deferred_send(rs, std::span<const OpId>(&before, 1)));
  }
  flush_buckets(rs, true);
  emit_optimizer(rs);
}

StepGraph StepBuilder::build() {
  assign_layers();
  setup_ranks_and_groups();
  intern_kernels();

  // Labels.
  static constexpr const char* kLayerLabels[kLayerOpLabelCount] = {
      "L{0}.norm1.fwd mb{1}",        "L{0}.norm1.bwd mb{1}",        "L{0}.qkv.fwd mb{1}",
      "L{0}.qkv.dgrad mb{1}",        "L{0}.qkv.wgrad mb{1}",        "L{0}.rope.fwd mb{1}",
      "L{0}.rope.bwd mb{1}",         "L{0}.attn.fwd mb{1}",         "L{0}.attn.bwd mb{1}",
      "L{0}.attn.recompute mb{1}",   "L{0}.cp_kv_shift.fwd mb{1}",  "L{0}.cp_kv_shift.bwd mb{1}",
      "L{0}.cp_a2a.fwd mb{1}",       "L{0}.cp_a2a.bwd mb{1}",       "L{0}.attn.merge mb{1}",
      "L{0}.proj.fwd mb{1}",         "L{0}.proj.dgrad mb{1}",       "L{0}.proj.wgrad mb{1}",
      "L{0}.tp.fwd mb{1}",           "L{0}.tp.bwd mb{1}",           "L{0}.norm2.fwd mb{1}",
      "L{0}.norm2.bwd mb{1}",        "L{0}.fc1.fwd mb{1}",          "L{0}.fc1.dgrad mb{1}",
      "L{0}.fc1.wgrad mb{1}",        "L{0}.act.fwd mb{1}",          "L{0}.act.bwd mb{1}",
      "L{0}.fc2.fwd mb{1}",          "L{0}.fc2.dgrad mb{1}",        "L{0}.fc2.wgrad mb{1}",
      "L{0}.router.fwd mb{1}",       "L{0}.router.dgrad mb{1}",     "L{0}.router.wgrad mb{1}",
      "L{0}.route.fwd mb{1}",        "L{0}.route.bwd mb{1}",        "L{0}.permute mb{1}",
      "L{0}.unpermute mb{1}",        "L{0}.ep_dispatch.fwd mb{1}",  "L{0}.ep_combine.fwd mb{1}",
      "L{0}.ep_dispatch.bwd mb{1}",  "L{0}.ep_combine.bwd mb{1}",   "L{0}.etp_gather mb{1}",
      "L{0}.etp_reduce mb{1}",       "L{0}.expert_fc1.fwd mb{1}",   "L{0}.expert_fc1.dgrad mb{1}",
      "L{0}.expert_fc1.wgrad mb{1}", "L{0}.expert_act.fwd mb{1}",   "L{0}.expert_act.bwd mb{1}",
      "L{0}.expert_fc2.fwd mb{1}",   "L{0}.expert_fc2.dgrad mb{1}", "L{0}.expert_fc2.wgrad mb{1}",
      "L{0}.shared_fc1.fwd mb{1}",   "L{0}.shared_fc1.dgrad mb{1}", "L{0}.shared_fc1.wgrad mb{1}",
      "L{0}.shared_fc2.fwd mb{1}",   "L{0}.shared_fc2.dgrad mb{1}", "L{0}.shared_fc2.wgrad mb{1}",
      "L{0}.recompute mb{1}",        "L{0}.mla_down.fwd mb{1}",     "L{0}.mla_up.fwd mb{1}",
      "L{0}.mla.bwd mb{1}",          "L{0}.mla_up.recompute mb{1}", "L{0}.residual.fwd mb{1}",
      "L{0}.residual.bwd mb{1}"};
  for (int i = 0; i < kLayerOpLabelCount; ++i)
    labels_.layer_op[i] = g_.intern_label(kLayerLabels[i]);
  labels_.embed_fwd = g_.intern_label("embed.fwd mb{1}");
  labels_.embed_bwd = g_.intern_label("embed.bwd mb{1}");
  labels_.embed_tp = g_.intern_label("embed.tp mb{1}");
  labels_.head_fwd = g_.intern_label("head.fwd mb{1}");
  labels_.head_bwd = g_.intern_label("head.bwd mb{1}");
  labels_.head_tp = g_.intern_label("head.tp mb{1}");
  labels_.loss_fwd = g_.intern_label("loss.fwd mb{1}");
  labels_.loss_bwd = g_.intern_label("loss.bwd mb{1}");
  labels_.final_norm_fwd = g_.intern_label("final_norm.fwd mb{1}");
  labels_.final_norm_bwd = g_.intern_label("final_norm.bwd mb{1}");
  labels_.send_fwd = g_.intern_label("pp.send_act chunk{0} mb{1}");
  labels_.recv_fwd = g_.intern_label("pp.recv_act chunk{0} mb{1}");
  labels_.send_bwd = g_.intern_label("pp.send_grad chunk{0} mb{1}");
  labels_.recv_bwd = g_.intern_label("pp.recv_grad chunk{0} mb{1}");
  labels_.dp_reduce = g_.intern_label("dp.grad_reduce bucket{0}");
  labels_.dp_gather = g_.intern_label("dp.param_gather L{0}");
  labels_.ep_reduce = g_.intern_label("dp.expert_grad_reduce bucket{0}");
  labels_.ep_gather = g_.intern_label("dp.expert_param_gather L{0}");
  labels_.embed_sync = g_.intern_label("dp.embedding_grad_sync");
  labels_.optimizer = g_.intern_label("optimizer.adam");
  labels_.mem_static = g_.intern_label("mem.model_state");
  labels_.mem_grad_fp32 = g_.intern_label("mem.optimizer_fp32_grads");
  labels_.mem_act = g_.intern_label("mem.alloc L{0} mb{1}");
  labels_.mem_free = g_.intern_label("mem.free L{0} mb{1}");
  labels_.zero3_gather = g_.intern_label("zero3.param_gather L{0} mb{1}");
  labels_.zero3_reduce = g_.intern_label("zero3.grad_reduce L{0} mb{1}");
  labels_.join = g_.intern_label("join mb{1}");
  labels_.grad_copy = g_.intern_label("grad.fp32_accumulate chunk{0} mb{1}");

  // Activation bytes per micro-batch.
  act_dense_ = layer_activation_bytes(m_, t_, p_, shapes_, false).total();
  act_moe_ = m_.is_moe() ? layer_activation_bytes(m_, t_, p_, shapes_, true).total() : 0.0;
  if (p_.recompute == Recompute::full) {
    ParallelConfig none = p_;
    none.recompute = Recompute::none;
    act_dense_full_ = layer_activation_bytes(m_, t_, none, shapes_, false).total();
    act_moe_full_ = m_.is_moe() ? layer_activation_bytes(m_, t_, none, shapes_, true).total() : 0.0;
  }
  act_embed_ = embedding_activation_bytes(m_, shapes_);
  act_head_ = head_activation_bytes(m_, shapes_);
  // Pipeline sends carry the residual stream of the micro-batch (sequence-sharded under SP).
  p2p_bytes_ = shapes_.tokens_sp * m_.hidden * 2.0;

  // Pre-size the op arrays (about 28 ops per layer pass) so that building never reallocates.
  std::size_t estimate = 0;
  for (const auto& rs : ranks_) {
    const auto& stages = plan_.model_stage[static_cast<std::size_t>(rs.pipeline_rank)];
    for (const auto& w : plan_.work[static_cast<std::size_t>(rs.pipeline_rank)]) {
      estimate += 16 + 28 * static_cast<std::size_t>(stage_layer_count_[static_cast<std::size_t>(
                                stages[static_cast<std::size_t>(w.chunk)])]);
    }
  }
  g_.reserve(estimate, estimate * 2);
  params_by_pipeline_rank_.assign(static_cast<std::size_t>(p_.pp), 0.0);
  model_state_by_pipeline_rank_.assign(static_cast<std::size_t>(p_.pp), {0, 0, 0});
  for (auto& rs : ranks_)
    emit_rank(rs);

  StepGraph out;
  out.mode = mode_;
  out.micro_batches = micro_batches_;
  out.model_stages = plan_.model_stages;
  out.layers_per_model_stage = stage_layer_count_;
  out.comm_bytes_by_pipeline_rank.assign(static_cast<std::size_t>(p_.pp), {});
  for (const auto& rs : ranks_) {
    out.pipeline_rank.push_back(rs.pipeline_rank);
    out.comm_bytes_by_pipeline_rank[static_cast<std::size_t>(rs.pipeline_rank)] = rs.comm_bytes;
  }
  out.model_state_bytes_by_pipeline_rank = model_state_by_pipeline_rank_;
  out.params_by_pipeline_rank = params_by_pipeline_rank_;
  out.graph = std::move(g_);
  return out;
}

}  // namespace ptsim::builder

namespace ptsim {

namespace {

// The micro-batches from which each more adds the same ops: the fewest the shape rules of
// config_rules.h accept (DualPipe 2 pp, interleaved pp, others 1), for ZB-H1 pp, below which
// its deferred weight-gradient passes are placed differently, and with --ep-a2a-overlap 2 pp,
// below which fewer of the passes run in pairs (whose segments are separate ops).
int fewest_micro_batches(const ParallelConfig& p) {
  if (p.schedule == Schedule::dualpipe || p.ep_a2a_overlap) return 2 * p.pp;
  if (p.schedule == Schedule::interleaved || p.schedule == Schedule::zb_h1) return p.pp;
  return 1;
}

// Layers that give every model chunk of the layout one layer: the depth from which each such
// round of layers adds the same ops.
int depth_unit(const ParallelConfig& p) {
  return p.pp * p.vpp;
}

// Whether the shortest step of the model at full depth could itself be too large to build: the
// size estimate then counts cut-down depths too (estimated_step_graph_ops).
bool shortest_step_may_be_too_large(const ModelSpec& model, const TrainingConfig& training,
                                    const ParallelConfig& parallel, int gpus, GraphMode mode,
                                    double build_limit_ops = kMaxStepGraphOps) {
  TrainingConfig shortest = training;
  shortest.global_batch =
      std::min(micro_batches_per_step(training, parallel), fewest_micro_batches(parallel)) *
      parallel.micro_batch * parallel.dp;
  return step_graph_ops_ceiling(model, shortest, parallel, gpus, mode) > build_limit_ops;
}

Verdict check_graph_size(const ModelSpec& model, const TrainingConfig& training,
                         const ParallelConfig& parallel, int gpus, GraphMode mode) {
  const int micro_batches = micro_batches_per_step(training, parallel);
  auto refuse = [&](const char* about, double ops) {
    char text[320];
    std::snprintf(text, sizeof text,
                  "the step graph would hold %s %.0f M ops (%d micro-batches of %d layers), more "
                  "than the %.0f M one simulation holds in memory; fewer micro-batches per step "
                  "(a larger micro-batch or data-parallel size, or a smaller global batch) or "
                  "fewer layers shorten it",
                  about, ops / 1e6, micro_batches, model.layers, kMaxStepGraphOps / 1e6);
    return Verdict::fail("graph_size", text);
  };
  if (step_graph_ops_ceiling(model, training, parallel, gpus, mode) <= kMaxStepGraphOps) {
    return Verdict::pass();
  }
  // Refused without building anything when even the floor is over.
  const double floor_ops = step_graph_ops_floor(model, training, parallel, gpus, mode);
  if (floor_ops > kMaxStepGraphOps) return refuse("at least", floor_ops);
  // A step of no more micro-batches than fewest_micro_batches has nothing shorter to extend from:
  // it is built whole, unless it is so deep that building it could itself exhaust the memory.
  if (micro_batches <= fewest_micro_batches(parallel) &&
      !shortest_step_may_be_too_large(model, training, parallel, gpus, mode)) {
    return Verdict::pass();
  }
  const double ops = estimated_step_graph_ops(model, training, parallel, gpus, mode);
  if (ops <= kMaxStepGraphOps) return Verdict::pass();
  return refuse("about", ops);
}

}  // namespace

namespace {

double ranks_per_stage(const ParallelConfig& parallel, int gpus, GraphMode mode) {
  return mode == GraphMode::full ? static_cast<double>(gpus) / parallel.pp : 1.0;
}

}  // namespace

double step_graph_ops_floor(const ModelSpec& model, const TrainingConfig& training,
                            const ParallelConfig& parallel, int gpus, GraphMode mode) {
  return 4.0 * micro_batches_per_step(training, parallel) * model.layers *
         ranks_per_stage(parallel, gpus, mode);
}

double step_graph_ops_ceiling(const ModelSpec& model, const TrainingConfig& training,
                              const ParallelConfig& parallel, int gpus, GraphMode mode) {
  // About 30 ops per layer and micro-batch on one rank (norms, GEMM sequences, TP and EP
  // collectives, memory events), plus a few per context-parallel ring step; tests hold it above
  // the builder's counts.
  const double ops_per_layer = 64.0 + 8.0 * parallel.cp;
  const double ranks = ranks_per_stage(parallel, gpus, mode);
  return static_cast<double>(micro_batches_per_step(training, parallel)) * model.layers * ranks *
             ops_per_layer +
         1000.0 * ranks * parallel.pp;
}

// Past fewest_micro_batches, ops grow linearly with the micro-batches of a step: each adds the
// same passes on every rank. Two short steps (that many micro-batches and twice that) are built
// and the difference of their op counts extends the count to the whole step, before any large
// graph exists. A model so deep that even those short steps could be too large to build is cut
// to one and two layers per model chunk, and the difference extends the count to its depth in
// the same way, within a few percent: data-parallel gradient buckets are whole, and uneven layer
// splits and mixture-of-experts layer patterns do not repeat exactly at a cut-down depth.
double estimated_step_graph_ops(const ModelSpec& model, const TrainingConfig& training,
                                const ParallelConfig& parallel, int gpus, GraphMode mode,
                                double build_limit_ops) {
  const int m = micro_batches_per_step(training, parallel);
  const int fewest = fewest_micro_batches(parallel);
  const int unit = depth_unit(parallel);
  const bool cut_depth =
      model.layers > 2 * unit &&
      shortest_step_may_be_too_large(model, training, parallel, gpus, mode, build_limit_ops);
  const auto ops_at_depth = [&](int micro_batches, int layers) {
    ModelSpec cut = model;
    cut.layers = layers;
    cut.moe.first_dense_layers = std::min(cut.moe.first_dense_layers, layers);
    std::erase_if(cut.moe.dense_layers, [&](int layer) { return layer >= layers; });
    TrainingConfig t = training;
    t.global_batch = micro_batches * parallel.micro_batch * parallel.dp;
    builder::StepBuilder b(cut, t, parallel, mode);
    return static_cast<double>(b.build().graph.op_count());
  };
  const auto ops_with = [&](int micro_batches) {
    if (!cut_depth) return ops_at_depth(micro_batches, model.layers);
    const double one = ops_at_depth(micro_batches, unit);
    const double two = ops_at_depth(micro_batches, 2 * unit);
    return one + (two - one) * (model.layers - unit) / unit;
  };
  // Below twice the fewest, the step is no larger than the second short step would be.
  if (m <= 2 * fewest) return ops_with(m);
  const double first = ops_with(fewest);
  return first + (ops_with(2 * fewest) - first) * (m - fewest) / fewest;
}

BuildResult build_step_graph(const ModelSpec& model, const TrainingConfig& training,
                             const ParallelConfig& parallel, int gpus, GraphMode mode) {
  BuildResult result;
  result.verdict = check_config(model, training, parallel, gpus);
  if (!result.verdict.ok) return result;
  auto layout = RankLayout::make(parallel);
  if (!layout) {
    result.verdict = Verdict::fail("rank_order", layout.error().one_line());
    return result;
  }
  if (const Verdict size = check_graph_size(model, training, parallel, gpus, mode); !size.ok) {
    result.verdict = size;
    return result;
  }
  builder::StepBuilder b(model, training, parallel, mode);
  result.step = b.build();
  return result;
}

}  // namespace ptsim
