#include "planner/bounds.h"

#include <algorithm>
#include <array>
#include <optional>
#include <string>

#include "sim/workload/activation_memory.h"
#include "sim/workload/config_rules.h"
#include "sim/workload/layer_split.h"
#include "sim/workload/model_state_memory.h"
#include "sim/workload/rank_layout.h"

namespace ptsim {

namespace {

// Plans cached at once (work items); past this the cache starts over, which bounds memory on
// large searches without changing any result.
constexpr std::size_t kMaxCachedPasses = 20'000'000;

std::string layout_key(const ParallelConfig& p) {
  return std::to_string(p.tp) + "," + std::to_string(p.pp) + "," + std::to_string(p.dp) + "," +
         std::to_string(p.cp) + "," + std::to_string(p.ep) + "," + std::to_string(p.etp) + "," +
         std::to_string(p.micro_batch) + "," + (p.sequence_parallel ? "1" : "0") + "," +
         cp_algorithm_name(p.cp_algorithm) + "," + p.rank_order + "," +
         (p.tp_comm_overlap ? "1" : "0") + "," + zero3_gather_name(p.zero3_gather);
}

// (model stage -> rank, chunk) of a schedule: stages of rank r, one per chunk.
std::vector<std::vector<int>> stages_of_ranks(const ParallelConfig& p) {
  std::vector<std::vector<int>> out(static_cast<std::size_t>(p.pp));
  for (int r = 0; r < p.pp; ++r) {
    auto& s = out[static_cast<std::size_t>(r)];
    if (p.schedule == Schedule::interleaved) {
      for (int c = 0; c < p.vpp; ++c)
        s.push_back(c * p.pp + r);
    } else if (p.schedule == Schedule::dualpipe) {
      s = {r, p.pp - 1 - r};
    } else {
      s = {r};
    }
  }
  return out;
}

int model_stage_count(const ParallelConfig& p) {
  return p.schedule == Schedule::interleaved ? p.pp * p.vpp : p.pp;
}

// ZeRO-3 all-gathers of one layer's parameters per micro-batch, as the builder issues them: before
// the forward and before the backward; gathered on demand, the parameters are dropped after a
// recomputed forward and gathered once more for the backward (zero3_after_recompute).
double zero3_gathers_per_layer(const ParallelConfig& p) {
  const bool regather = p.zero3_gather == Zero3Gather::on_demand && p.recompute == Recompute::full;
  return regather ? 3.0 : 2.0;
}

}  // namespace

struct PlannerBounds::LayoutComm {
  std::unique_ptr<RankLayout> layout;
  BlockingCommTimes blocking;
  CommBounds::Zero3Layer zero3_dense, zero3_moe;
  std::map<std::pair<int, int>, double> hop_s;  // pipeline rank -> pipeline rank
};

// Everything about one configuration (but its ZeRO stage) the time bounds need.
struct PlannerBounds::Costs {
  const LayerCostModel* layers = nullptr;
  std::vector<int> stage_first, stage_count;
  std::vector<std::vector<int>> stages_of_rank;     // [rank][chunk]
  std::vector<StagePasses> stage_passes;            // per model stage
  std::vector<double> dense_params, expert_params;  // per rank
  // Per rank, per micro-batch: its layers' ZeRO-3 parameter gathers and gradient reductions.
  std::vector<double> zero3_gather_per_micro_batch_s, zero3_reduce_per_micro_batch_s;
  std::vector<std::vector<double>> p2p_forward_s, p2p_backward_s;
  int micro_batches = 0;
  bool zero3_traffic = false;  // ZeRO-3 would move parameters (data x context or expert-data > 1)
  // The relaxed pipeline, without and with ZeRO-3's layer-by-layer traffic.
  std::optional<PipelineBound> pipeline, pipeline_zero3;
};

PlannerBounds::PlannerBounds(const ModelSpec& model, const TrainingConfig& training,
                             const ClusterProfile& cluster, const Topology& topology, int gpus)
    : model_(model),
      training_(training),
      cluster_(cluster),
      topology_(topology),
      gpus_(gpus),
      compute_(cluster.gpu),
      comm_(cluster, topology) {}

PlannerBounds::~PlannerBounds() = default;

// Parameters the rank's optimizer step updates (the builder's optimizer kernel).
double PlannerBounds::shard_params(const ParallelConfig& p, const Costs& c, std::size_t rank) {
  if (p.zero_stage >= 1)
    return c.dense_params[rank] / (p.dp * p.cp) + c.expert_params[rank] / p.expert_dp();
  return c.dense_params[rank] + c.expert_params[rank];
}

std::vector<int> PlannerBounds::layers_per_stage(int layers, int stages) {
  return split_layers_over_stages(layers, stages);
}

int PlannerBounds::micro_batches(const ParallelConfig& p) const {
  return micro_batches_per_step(training_, p);
}

std::shared_ptr<const PreparedPlan> PlannerBounds::plan(const ParallelConfig& p) {
  const auto key = std::make_tuple(static_cast<int>(p.schedule), p.pp, p.vpp, micro_batches(p),
                                   p.ep_a2a_overlap);
  if (auto it = plans_.find(key); it != plans_.end()) return it->second;
  auto prepared = prepare_plan(p.schedule, p.pp, p.vpp, micro_batches(p), p.ep_a2a_overlap,
                               layers_per_stage(model_.layers, model_stage_count(p)));
  if (cached_passes_ + prepared->passes > kMaxCachedPasses) {
    plans_.clear();
    cached_passes_ = 0;
  }
  cached_passes_ += prepared->passes;
  plans_.emplace(key, prepared);
  return prepared;
}

const PlannerBounds::LayoutComm& PlannerBounds::layout_comm(const ParallelConfig& p) {
  const std::string key = layout_key(p);
  if (auto it = comm_cache_.find(key); it != comm_cache_.end()) return *it->second;
  auto c = std::make_unique<LayoutComm>();
  auto layout = RankLayout::make(p);
  PTSIM_CHECK(layout.ok(), "bounds: the configuration's rank order was not checked");
  c->layout = std::make_unique<RankLayout>(std::move(*layout));
  const RankShapes s = rank_shapes(model_, training_, p);
  c->blocking = comm_.blocking(model_, training_, p, s, *c->layout);
  if (p.dp * p.cp > 1 || p.expert_dp() > 1) {
    c->zero3_dense = comm_.zero3_layer(p, *c->layout, s.layer_dense_params, 0);
    if (model_.is_moe()) {
      c->zero3_moe = comm_.zero3_layer(p, *c->layout, s.layer_moe_params_dense_part,
                                       s.layer_moe_params_expert_part);
    }
  }
  const double p2p_bytes = s.tokens_sp * model_.hidden * 2.0;
  for (int a = 0; a < p.pp && p.pp > 1; ++a) {
    for (int b : {(a + 1) % p.pp, (a + p.pp - 1) % p.pp}) {
      c->hop_s.try_emplace({a, b}, comm_.pipeline_transfer_s(*c->layout, a, b, p2p_bytes));
    }
  }
  auto [it, inserted] = comm_cache_.emplace(key, std::move(c));
  return *it->second;
}

const LayerCostModel& PlannerBounds::layer_costs(const ParallelConfig& p) {
  const std::string key =
      layout_key(p) + "," + recompute_name(p.recompute) + "," + std::to_string(p.recompute_modules);
  if (auto it = layer_cache_.find(key); it != layer_cache_.end()) return *it->second;
  const LayoutComm& comm = layout_comm(p);
  auto lc = std::make_unique<LayerCostModel>(model_, training_, p, compute_, comm.blocking);
  auto [it, inserted] = layer_cache_.emplace(key, std::move(lc));
  return *it->second;
}

std::string PlannerBounds::costs_key(const ParallelConfig& p) {
  return layout_key(p) + "," + recompute_name(p.recompute) + "," +
         std::to_string(p.recompute_modules) + "," + schedule_name(p.schedule) + "," +
         std::to_string(p.vpp) + "," + (p.ep_a2a_overlap ? "1" : "0") + "," +
         (p.serial_p2p ? "1" : "0");
}

PlannerBounds::Costs& PlannerBounds::costs(const ParallelConfig& p) {
  std::string key = costs_key(p);
  if (auto it = costs_.find(key); it != costs_.end()) return *it->second;
  auto [it, inserted] = costs_.emplace(std::move(key), build_costs(p));
  return *it->second;
}

std::unique_ptr<PlannerBounds::Costs> PlannerBounds::build_costs(const ParallelConfig& p) {
  auto c = std::make_unique<Costs>();
  const LayoutComm& comm = layout_comm(p);
  c->layers = &layer_costs(p);
  const LayerCostModel& lc = *c->layers;

  const int stages = model_stage_count(p);
  c->stage_count = layers_per_stage(model_.layers, stages);
  c->stage_first.assign(static_cast<std::size_t>(stages), 0);
  for (int s = 1; s < stages; ++s) {
    c->stage_first[static_cast<std::size_t>(s)] = c->stage_first[static_cast<std::size_t>(s - 1)] +
                                                  c->stage_count[static_cast<std::size_t>(s - 1)];
  }
  c->stage_passes.resize(static_cast<std::size_t>(stages));
  for (int s = 0; s < stages; ++s) {
    StagePasses& sp = c->stage_passes[static_cast<std::size_t>(s)];
    const int first = c->stage_first[static_cast<std::size_t>(s)];
    const int count = c->stage_count[static_cast<std::size_t>(s)];
    const bool first_stage = s == 0;
    const bool last_stage = s == stages - 1;
    if (first_stage) {
      sp.forward += lc.edges().embed_forward;
      sp.backward += lc.edges().embed_backward;
      sp.backward_input += lc.edges().embed_backward;
    }
    if (last_stage) {
      sp.backward += lc.edges().head_backward;
      sp.backward_input += lc.edges().head_backward;
    }
    for (int l = first; l < first + count; ++l) {
      const LayerCosts& layer = lc.layer(l);
      sp.forward += layer.forward;
      sp.backward += layer.backward;
      sp.backward_input += layer.backward_input;
      sp.backward_weight += layer.backward_weight;
    }
    if (last_stage) {
      sp.forward += lc.edges().head_forward;
      sp.forward.trail_s = lc.edges().head_forward.trail_s;
    } else if (count > 0) {
      sp.forward.trail_s = lc.layer(first + count - 1).forward.trail_s;
    }
    if (!last_stage && count > 0) {
      // The backward starts with the last layer's MLP; its entry all-gather waits for the input.
      sp.backward.lead_s = lc.layer(first + count - 1).backward.lead_s;
      sp.backward_input.lead_s = lc.layer(first + count - 1).backward_input.lead_s;
    }
  }

  c->stages_of_rank = stages_of_ranks(p);
  const RankShapes& s = lc.shapes();
  c->dense_params.assign(static_cast<std::size_t>(p.pp), 0.0);
  c->expert_params.assign(static_cast<std::size_t>(p.pp), 0.0);
  c->zero3_gather_per_micro_batch_s.assign(static_cast<std::size_t>(p.pp), 0.0);
  c->zero3_reduce_per_micro_batch_s.assign(static_cast<std::size_t>(p.pp), 0.0);
  c->zero3_traffic = p.dp * p.cp > 1 || p.expert_dp() > 1;
  const double gathers = zero3_gathers_per_layer(p);
  for (int r = 0; r < p.pp; ++r) {
    for (int stage : c->stages_of_rank[static_cast<std::size_t>(r)]) {
      const int first = c->stage_first[static_cast<std::size_t>(stage)];
      const int count = c->stage_count[static_cast<std::size_t>(stage)];
      double dense = 0, expert = 0, gather = 0, reduce = 0;
      for (int l = first; l < first + count; ++l) {
        const bool moe = model_.is_moe_layer(l);
        if (moe) {
          dense += s.layer_moe_params_dense_part;
          expert += s.layer_moe_params_expert_part;
        } else {
          dense += s.layer_dense_params;
        }
        const CommBounds::Zero3Layer& z = moe ? comm.zero3_moe : comm.zero3_dense;
        gather += gathers * z.gather_s;
        reduce += z.reduce_s;
      }
      if (stage == 0) dense += s.embedding_params;
      if (stage == stages - 1) dense += s.lm_head_params + s.final_norm_params;
      c->dense_params[static_cast<std::size_t>(r)] += dense;
      c->expert_params[static_cast<std::size_t>(r)] += expert;
      if (p.fp32_grad_copy) {
        // The copy of the stage's gradients into fp32 after its weight gradients, as the builder
        // emits it (step_builder.cc fp32_grad_copy: 18 bytes per parameter).
        const double params = dense + expert;
        PassCost copy;
        copy.compute_s =
            compute_.time_s(MemoryBoundKernel{MemoryBoundKind::elementwise, 18.0 * params, params});
        copy.chain_s = copy.compute_s;
        StagePasses& sp = c->stage_passes[static_cast<std::size_t>(stage)];
        sp.backward += copy;
        sp.backward_weight += copy;
      }
      // Each micro-batch passes a chunk once (DualPipe's two chunks each take half of them).
      const double share = p.schedule == Schedule::dualpipe ? 0.5 : 1.0;
      c->zero3_gather_per_micro_batch_s[static_cast<std::size_t>(r)] += share * gather;
      c->zero3_reduce_per_micro_batch_s[static_cast<std::size_t>(r)] += share * reduce;
    }
  }

  // Point-to-point hops between consecutive positions of each direction.
  c->micro_batches = micro_batches(p);
  std::vector<std::vector<int>> directions;
  if (p.schedule == Schedule::interleaved) {
    directions.emplace_back();
    for (int k = 0; k < p.pp * p.vpp; ++k)
      directions.back().push_back(k % p.pp);
  } else {
    directions.emplace_back();
    for (int r = 0; r < p.pp; ++r)
      directions.back().push_back(r);
    if (p.schedule == Schedule::dualpipe) {
      directions.emplace_back();
      for (int r = p.pp - 1; r >= 0; --r)
        directions.back().push_back(r);
    }
  }
  auto hop_s = [&](int a, int b) { return comm.hop_s.at({a, b}); };
  for (const auto& dir : directions) {
    c->p2p_forward_s.emplace_back();
    c->p2p_backward_s.emplace_back();
    for (std::size_t k = 0; k + 1 < dir.size(); ++k) {
      c->p2p_forward_s.back().push_back(hop_s(dir[k], dir[k + 1]));
      c->p2p_backward_s.back().push_back(hop_s(dir[k + 1], dir[k]));
    }
  }
  return c;
}

PlannerBounds::MemoryParts PlannerBounds::memory_parts(const ParallelConfig& p) const {
  const RankShapes s = rank_shapes(model_, training_, p);
  const int stages = model_stage_count(p);
  const std::vector<int> count = layers_per_stage(model_.layers, stages);
  std::vector<int> first(static_cast<std::size_t>(stages), 0);
  for (int i = 1; i < stages; ++i)
    first[static_cast<std::size_t>(i)] =
        first[static_cast<std::size_t>(i - 1)] + count[static_cast<std::size_t>(i - 1)];
  const double act_dense = layer_activation_bytes(model_, training_, p, s, false).total();
  const double act_moe =
      model_.is_moe() ? layer_activation_bytes(model_, training_, p, s, true).total() : 0.0;
  const auto ranks = stages_of_ranks(p);
  MemoryParts out;
  out.frag = 1.0 + cluster_.memory.allocator_fragmentation;
  // Communicators every rank joins: one per parallel dimension of size > 1, and at least one
  // pipeline peer.
  int communicators = (p.tp > 1) + (p.cp > 1) + (p.dp * p.cp > 1) + (p.pp > 1);
  if (model_.is_moe())
    communicators += (p.ep > 1) + (p.etp > 1) + (p.expert_dp() > 1 && model_.moe_layer_count() > 0);
  out.base = cluster_.memory.cuda_context_bytes + cluster_.memory.nccl_buffer_bytes * communicators;
  out.state.assign(ranks.size(), 0.0);
  out.optimizer_copy.assign(ranks.size(), 0.0);
  out.chunk_act.resize(ranks.size());
  for (std::size_t r = 0; r < ranks.size(); ++r) {
    double dense = 0, expert = 0;
    for (int stage : ranks[r]) {
      double act = 0;
      const int f = first[static_cast<std::size_t>(stage)];
      for (int l = f; l < f + count[static_cast<std::size_t>(stage)]; ++l) {
        if (model_.is_moe_layer(l)) {
          dense += s.layer_moe_params_dense_part;
          expert += s.layer_moe_params_expert_part;
          act += act_moe;
        } else {
          dense += s.layer_dense_params;
          act += act_dense;
        }
      }
      if (stage == 0) {
        dense += s.embedding_params;
        act += embedding_activation_bytes(model_, s);
      }
      if (stage == stages - 1) {
        dense += s.lm_head_params + s.final_norm_params;
        act += head_activation_bytes(model_, s);
      }
      out.chunk_act[r].push_back(act);
    }
    out.state[r] = model_state_bytes(dense, expert, p.dp * p.cp, p.expert_dp(), p.zero_stage,
                                     p.grad_memory_bytes())
                       .total();
    out.optimizer_copy[r] = optimizer_gradient_copy_bytes(dense, expert, p.dp * p.cp, p.expert_dp(),
                                                          p.zero_stage, p.grad_memory_bytes());
  }
  return out;
}

double PlannerBounds::quick_memory_bytes(const ParallelConfig& p) const {
  // Every rank holds at least one chunk's activations at the end of its first forward.
  const MemoryParts parts = memory_parts(p);
  double worst = 0;
  for (std::size_t r = 0; r < parts.state.size(); ++r) {
    // Activations are all freed by the optimizer step, which holds the fp32 gradient copy.
    const double act =
        std::max(*std::min_element(parts.chunk_act[r].begin(), parts.chunk_act[r].end()),
                 parts.optimizer_copy[r]);
    worst = std::max(worst, (parts.state[r] + act) * parts.frag + parts.base);
  }
  // The same tensors summed in another order can differ in the last bits.
  return worst * (1.0 - 1e-9);
}

double PlannerBounds::memory_bytes(const ParallelConfig& p) {
  const MemoryParts parts = memory_parts(p);
  const auto prepared = plan(p);
  double worst = 0;
  for (std::size_t r = 0; r < parts.state.size(); ++r) {
    double held = 0;
    const auto& peak = prepared->peak_held[r];
    for (std::size_t c = 0; c < peak.size(); ++c)
      held += peak[c] * parts.chunk_act[r][c];
    held = std::max(held, parts.optimizer_copy[r]);
    worst = std::max(worst, (parts.state[r] + held) * parts.frag + parts.base);
  }
  return worst * (1.0 - 1e-9);
}

void PlannerBounds::fill_layered(const ParallelConfig& p, Costs& c) {
  // Layer by layer, for ZeRO-3 (built only when a ZeRO-3 candidate needs its full bound).
  const LayoutComm& comm = layout_comm(p);
  const LayerCostModel& lc = *c.layers;
  const int stages = static_cast<int>(c.stage_passes.size());
  // Gathers before one layer's backward (the builder's zero3_after_recompute).
  const double backward_gathers = zero3_gathers_per_layer(p) - 1.0;
  for (int stage = 0; stage < stages; ++stage) {
    StagePasses& sp = c.stage_passes[static_cast<std::size_t>(stage)];
    const int first = c.stage_first[static_cast<std::size_t>(stage)];
    const int count = c.stage_count[static_cast<std::size_t>(stage)];
    const bool first_stage = stage == 0;
    const bool last_stage = stage == stages - 1;
    const EdgeCosts& e = lc.edges();
    sp.layered_forward.pre_s = first_stage ? e.embed_forward.chain_s : 0.0;
    sp.layered_forward.post_s = last_stage ? e.head_forward.chain_s : 0.0;
    for (LayeredPass* lp : {&sp.layered_backward, &sp.layered_backward_input}) {
      lp->pre_s = last_stage ? e.head_backward.chain_s : 0.0;
      lp->post_s = first_stage ? e.embed_backward.chain_s : 0.0;
    }
    for (int l = first; l < first + count; ++l) {
      const LayerCosts& layer = lc.layer(l);
      const CommBounds::Zero3Layer& z = model_.is_moe_layer(l) ? comm.zero3_moe : comm.zero3_dense;
      sp.layered_forward.chain_s.push_back(layer.forward.chain_s);
      sp.layered_forward.gather_s.push_back(z.gather_s);
      sp.layered_forward.reduce_s.push_back(0.0);
    }
    for (int l = first + count - 1; l >= first; --l) {
      const LayerCosts& layer = lc.layer(l);
      const CommBounds::Zero3Layer& z = model_.is_moe_layer(l) ? comm.zero3_moe : comm.zero3_dense;
      sp.layered_backward.chain_s.push_back(layer.backward.chain_s);
      sp.layered_backward.gather_s.push_back(backward_gathers * z.gather_s);
      sp.layered_backward.reduce_s.push_back(z.reduce_s);
      sp.layered_backward_input.chain_s.push_back(layer.backward_input.chain_s);
      sp.layered_backward_input.gather_s.push_back(backward_gathers * z.gather_s);
      sp.layered_backward_input.reduce_s.push_back(0.0);
      sp.layered_backward_weight.chain_s.push_back(layer.backward_weight.chain_s);
      sp.layered_backward_weight.gather_s.push_back(0.0);
      sp.layered_backward_weight.reduce_s.push_back(z.reduce_s);
    }
  }
}

PlannerBounds::RankLoad PlannerBounds::rank_load(const ParallelConfig& p, const Costs& c,
                                                 std::size_t r) const {
  // Passes that run beside another (DualPipe, --ep-a2a-overlap) keep no certain waits.
  const bool pairs = p.schedule == Schedule::dualpipe || p.ep_a2a_overlap;
  const bool split = pairs || p.schedule == Schedule::zb_h1;
  const double per_chunk_mb = p.schedule == Schedule::dualpipe
                                  ? c.micro_batches / 2.0
                                  : static_cast<double>(c.micro_batches);
  RankLoad load;
  std::array<double, 3> streams{};
  for (int stage : c.stages_of_rank[r]) {
    const StagePasses& sp = c.stage_passes[static_cast<std::size_t>(stage)];
    std::vector<const PassCost*> passes = {&sp.forward};
    if (split) {
      passes.push_back(&sp.backward_input);
      passes.push_back(&sp.backward_weight);
    } else {
      passes.push_back(&sp.backward);
    }
    for (const PassCost* pc : passes) {
      load.work_s += per_chunk_mb * pc->compute_s;
      if (!pairs)
        load.blocked_s += per_chunk_mb * std::max(0.0, pc->blocked_s - pc->lead_s - pc->trail_s);
      for (std::size_t i = 0; i < streams.size(); ++i)
        streams[i] += per_chunk_mb * pc->stream_s[i];
    }
  }
  load.work_s +=
      c.layers->optimizer_s(c.dense_params[r] + c.expert_params[r], shard_params(p, c, r));
  load.comm_busy_s = std::max(load.blocked_s, *std::max_element(streams.begin(), streams.end()));
  if (p.zero_stage == 3 && c.zero3_traffic) {
    const double gather_s = c.micro_batches * c.zero3_gather_per_micro_batch_s[r];
    const double reduce_s = c.micro_batches * c.zero3_reduce_per_micro_batch_s[r];
    if (p.zero3_gather == Zero3Gather::prefetch) {
      // Gathers and reductions run one after another on the data-parallel stream.
      load.comm_busy_s = std::max(load.comm_busy_s, gather_s + reduce_s);
    } else {
      // Gathers on the compute stream, each waited for there (a wait apart from the passes' own:
      // those end within the layer that issued them, before the next layer's gather), the
      // reductions on the data-parallel stream beside them.
      if (!pairs) load.blocked_s += gather_s;
      load.comm_busy_s = std::max({load.comm_busy_s, load.blocked_s, gather_s, reduce_s});
    }
  }
  return load;
}

double PlannerBounds::load_bound_s(const RankLoad& load) const {
  // Over the step, compute progresses at 1 / (1 + s) while communication of the rank is in
  // progress (the simulator's overlap slowdown). With W the kernels' time, B the waits inside
  // passes (communication in progress, compute idle) and U >= B the time any communication is in
  // progress, the compute stream is busy or waiting at least W + B + (U - B) s / (1 + s): every
  // second of communication not spent waiting overlaps compute and costs s / (1 + s) of it.
  const double s = cluster_.gpu.efficiency.comm_overlap_slowdown;
  return load.work_s + load.blocked_s +
         std::max(0.0, load.comm_busy_s - load.blocked_s) * s / (1.0 + s);
}

// Full recomputation of some layers (recompute_layers) only adds forward kernels before those
// layers' backward: the same configuration without recomputation has every pass at most as long
// and the same dependencies, so its time bounds hold for it. (The memory bounds count every layer
// as recomputed, the least any layer keeps.)
namespace {
ParallelConfig without_partial_recompute(const ParallelConfig& p) {
  ParallelConfig q = p;
  q.recompute = Recompute::none;
  q.recompute_layers = 0;
  return q;
}
}  // namespace

double PlannerBounds::quick_time_s(const ParallelConfig& p) {
  if (p.recomputes_some_layers()) return quick_time_s(without_partial_recompute(p));
  // Cached costs when the full bound was computed; otherwise built for this call only (every
  // candidate gets a quick bound, few a full one, and the costs of all would not fit in memory).
  std::unique_ptr<Costs> transient;
  const Costs* cached = nullptr;
  if (auto it = costs_.find(costs_key(p)); it != costs_.end()) {
    cached = it->second.get();
  } else {
    transient = build_costs(p);
    cached = transient.get();
  }
  const Costs& c = *cached;
  const bool pairs = p.schedule == Schedule::dualpipe || p.ep_a2a_overlap;
  const double per_chunk_mb = p.schedule == Schedule::dualpipe
                                  ? c.micro_batches / 2.0
                                  : static_cast<double>(c.micro_batches);
  double best = 0;
  for (std::size_t r = 0; r < c.stages_of_rank.size(); ++r) {
    best = std::max(best, load_bound_s(rank_load(p, c, r)));
    if (pairs) continue;
    // The compute stream holds each pass for at least its chain between first and last kernel.
    double busy =
        c.layers->optimizer_s(c.dense_params[r] + c.expert_params[r], shard_params(p, c, r));
    for (int stage : c.stages_of_rank[r]) {
      const StagePasses& sp = c.stage_passes[static_cast<std::size_t>(stage)];
      busy += per_chunk_mb *
              (p.schedule == Schedule::zb_h1
                   ? sp.forward.body_s() + sp.backward_input.body_s() + sp.backward_weight.body_s()
                   : sp.forward.body_s() + sp.backward.body_s());
    }
    best = std::max(best, busy);
  }
  return best * (1.0 - 1e-9);
}

std::vector<double> PlannerBounds::rank_compute_s(const ParallelConfig& p) {
  Costs& c = costs(p);
  const double per_chunk_mb = p.schedule == Schedule::dualpipe
                                  ? c.micro_batches / 2.0
                                  : static_cast<double>(c.micro_batches);
  std::vector<double> out;
  for (std::size_t r = 0; r < c.stages_of_rank.size(); ++r) {
    double busy = 0;
    for (int stage : c.stages_of_rank[r]) {
      const StagePasses& sp = c.stage_passes[static_cast<std::size_t>(stage)];
      busy += per_chunk_mb * (sp.forward.compute_s + sp.backward.compute_s);
    }
    out.push_back(busy + c.layers->optimizer_s(c.dense_params[r] + c.expert_params[r],
                                               shard_params(p, c, r)));
  }
  return out;
}

double PlannerBounds::time_s(const ParallelConfig& p) {
  if (p.recomputes_some_layers()) return time_s(without_partial_recompute(p));
  const double quick = quick_time_s(p);
  Costs& c = costs(p);
  const bool zero3 = p.zero_stage == 3 && c.zero3_traffic;
  std::optional<PipelineBound>& cached = zero3 ? c.pipeline_zero3 : c.pipeline;
  if (!cached) {
    if (zero3 && c.stage_passes.front().layered_forward.chain_s.empty()) fill_layered(p, c);
    const auto prepared = plan(p);
    PipelineBoundInputs in;
    in.plan = prepared.get();
    in.zero3 = zero3;
    in.zero3_on_demand = zero3 && p.zero3_gather == Zero3Gather::on_demand;
    // Serial sends (ParallelConfig::serial_p2p) post no receive ahead: no window.
    in.comm_overlap_slowdown = p.serial_p2p ? 0.0 : cluster_.gpu.efficiency.comm_overlap_slowdown;
    in.passes.resize(c.stages_of_rank.size());
    for (std::size_t r = 0; r < c.stages_of_rank.size(); ++r) {
      for (int stage : c.stages_of_rank[r])
        in.passes[r].push_back(c.stage_passes[static_cast<std::size_t>(stage)]);
    }
    in.p2p_forward_s = c.p2p_forward_s;
    in.p2p_backward_s = c.p2p_backward_s;
    cached = relaxed_pipeline(in);
  }
  double t = cached->finish_s;
  for (std::size_t r = 0; r < c.stages_of_rank.size(); ++r) {
    const double opt =
        c.layers->optimizer_s(c.dense_params[r] + c.expert_params[r], shard_params(p, c, r));
    // The optimizer step follows the rank's last kernel and, under ZeRO-3, its last reduction.
    t = std::max(t, std::max(cached->stream_free_s[r], cached->dp_free_s[r]) + opt);
    // Nothing of the rank runs before its first input can arrive; from then until its last input
    // arrives a receive of the rank is in progress (bounds_pipeline.h), unless sends are serial.
    RankLoad load = rank_load(p, c, r);
    if (!p.serial_p2p) {
      load.comm_busy_s =
          std::max(load.comm_busy_s, cached->last_input_s[r] - cached->first_input_s[r]);
    }
    t = std::max(t, cached->first_input_s[r] + load_bound_s(load));
  }
  return std::max(quick, t * (1.0 - 1e-9));
}

}  // namespace ptsim
