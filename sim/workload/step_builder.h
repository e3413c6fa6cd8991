// Private to the graph builder: the state shared by its translation units (step_builder.cc:
// ranks, groups, schedule and data parallelism; layer_emitter.cc: the ops of one layer pass;
// layer_kernels.cc: the kernels of each layer kind).
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "sim/workload/graph_builder.h"
#include "sim/workload/pipeline_schedule.h"
#include "sim/workload/rank_layout.h"
#include "sim/workload/rank_shapes.h"

namespace ptsim::builder {

struct Streams {
  std::uint8_t compute, tp, cp, ep, dp, pp_fwd_send, pp_fwd_recv, pp_bwd_send, pp_bwd_recv;
  // Direction 1 of DualPipe (kDualPipeReverseStreams); the same as the above otherwise.
  std::uint8_t rev_fwd_send, rev_fwd_recv, rev_bwd_send, rev_bwd_recv;
};

// Interned kernels of one linear layer y = x W (x: rows x in, W: in x out).
struct LinearKernels {
  std::uint32_t fwd = 0;    // rows x out = (rows x in)(in x out)
  std::uint32_t dgrad = 0;  // rows x in = (rows x out)(out x in)
  std::uint32_t wgrad = 0;  // in x out = (in x rows)(rows x out)
  double flops_fwd = 0;
};

// The kernels of one kind of layer (dense or MoE) on this configuration, interned once.
struct LayerKernels {
  std::uint32_t norm_fwd = 0, norm_bwd = 0;
  // Residual add after each block (bias + dropout + add when the model has them) and, backward,
  // the sum of the two gradients of the residual stream.
  std::uint32_t residual_fwd = 0, residual_bwd = 0;
  // Standard attention.
  LinearKernels qkv;
  std::uint32_t rope_fwd = 0, rope_bwd = 0;
  // MLA.
  bool mla = false;
  bool mla_q_lora = false;
  LinearKernels q_down, q_up, kv_down, kv_up, q_direct;
  std::uint32_t q_norm_fwd = 0, q_norm_bwd = 0, kv_norm_fwd = 0, kv_norm_bwd = 0;
  // Attention core: fused kernels per context-parallel step, or the unfused path.
  std::vector<std::uint32_t> attn_fwd, attn_bwd;  // one per ring step (one without CP)
  std::uint32_t attn_merge = 0;                   // combining ring partial results
  bool unfused = false;
  std::uint32_t qk_fwd = 0, softmax_fwd = 0, av_fwd = 0;
  std::uint32_t av_dgrad_probs = 0, av_dgrad_v = 0, softmax_bwd = 0, qk_dgrad_q = 0, qk_dgrad_k = 0;
  LinearKernels out;
  // Dense MLP (also the dense layers of MoE models).
  LinearKernels fc1, fc2;
  std::uint32_t act_fwd = 0, act_bwd = 0;
  // MoE.
  bool moe = false;
  LinearKernels router;
  std::uint32_t route_fwd = 0, route_bwd = 0, permute = 0, unpermute = 0;
  LinearKernels expert_fc1, expert_fc2;
  std::uint32_t expert_act_fwd = 0, expert_act_bwd = 0;
  bool shared_experts = false;
  LinearKernels shared_fc1, shared_fc2;
  std::uint32_t shared_act_fwd = 0, shared_act_bwd = 0;
};

struct EdgeKernels {
  std::uint32_t embed_fwd = 0, embed_bwd = 0;
  std::uint32_t final_norm_fwd = 0, final_norm_bwd = 0;
  LinearKernels head;
  std::uint32_t loss_fwd = 0, loss_bwd = 0;
  std::uint32_t optimizer = 0;
};

// Interned op labels.
struct Labels {
  std::uint32_t layer_op[64] = {};  // indexed by LayerOpLabel
  std::uint32_t embed_fwd, embed_bwd, embed_tp, head_fwd, head_bwd, head_tp, loss_fwd, loss_bwd,
      final_norm_fwd, final_norm_bwd, send_fwd, recv_fwd, send_bwd, recv_bwd, dp_reduce, dp_gather,
      ep_reduce, ep_gather, embed_sync, optimizer, mem_grad_fp32, mem_static, mem_act, mem_free,
      zero3_gather, zero3_reduce, join, grad_copy;
};

// Groups of one graph rank.
struct RankGroups {
  GroupId tp = 0, cp = 0, dp_cp = 0, ep = 0, etp = 0, edp = 0, embed = 0;
  int tp_size = 1, cp_size = 1, dp_cp_size = 1, ep_size = 1, etp_size = 1, edp_size = 1;
  bool has_embed_group = false;
};

// Gradient bucket being filled during the last backward of a chunk.
struct Bucket {
  double params = 0;  // elements
  OpId last_producer = 0;
  bool has_producer = false;
};

// ParallelConfig::serial_p2p: a pass's send, issued with the next pass's receive.
struct DeferredSend {
  bool has = false;
  std::uint8_t stream = 0;
  GraphRank peer = 0;
  std::uint32_t match = 0;
  OpLabel label;
  OpId after = 0;             // the end of the pass that produced what is sent
  bool from_forward = false;  // an activation (else a gradient)
  int micro_batch = 0;        // of the pass that produced it
};

// One graph rank while its ops are emitted.
struct RankState {
  GraphRank rank = 0;
  int global = 0;
  int pipeline_rank = 0;
  RankGroups groups;
  // Pipeline peers: graph rank of the previous / next position of each (direction, position).
  std::array<double, kCategoryCount> comm_bytes{};
  // Blocking point-to-point: the next compute op waits for this send (1F1B-style schedules).
  OpId pending_send = 0;
  bool has_pending_send = false;
  // serial_p2p: the send waiting for the next pass. The last op of the previous pass: a blocking
  // receive is launched only after it.
  DeferredSend deferred_send;
  OpId last_op = 0;
  bool has_last_op = false;
  // Data-parallel reduction state.
  Bucket dense_bucket, expert_bucket;
  std::vector<OpId> reductions;  // all gradient reductions (the optimizer waits for them)
  double optimizer_gradient_copy_bytes = 0;  // held during the optimizer step
  // ZeRO-1/2: parameter all-gathers issued at the start of the step, by (chunk, layer slot); a
  // layer's first forward waits for its bucket.
  std::vector<std::vector<OpId>> param_gather_of_layer;
  std::vector<std::vector<char>> param_gather_waited;
};

// The state of one pass (forward, backward, B or W over one chunk for one micro-batch).
struct PassState {
  Pass pass = Pass::forward;
  int chunk = 0;
  int micro_batch = 0;
  int model_stage = 0;
  int first_layer = 0;  // global index of the chunk's first layer
  int layer_count = 0;
  bool first_position = false;  // embedding here
  bool last_position = false;   // LM head and loss here
  bool reduce_grads = false;    // gradients of this pass are the step's last for the chunk
  OpId frontier = 0;            // the op the pass's next op depends on
  bool has_frontier = false;
  OpId extra_dep = 0;  // one more op the pass's next compute op must wait for
  bool has_extra_dep = false;
  // Tensor-parallel overlap: a collective that runs alongside the next GEMM; the op after that
  // GEMM waits for it.
  OpId join_after_next = 0;
  bool has_join_after_next = false;
  OpId zero3_prefetch = 0;  // ZeRO-3: all-gather already issued for the pass's next layer
  int zero3_prefetch_layer = -1;
  // Kernels waiting to become one compute op (flushed when anything must depend on them).
  std::vector<std::uint32_t> run;
  OpLabel run_label;
  OpLabel run_last_label;
  Category run_category = Category::compute;
  std::array<OpId, 3> run_deps{};
  std::size_t run_dep_count = 0;
  int next_step = 0;  // interleaving cursor (segments emitted so far)
  int step_count = 0;
  int mlp_part = 0;  // the next part of a segment emitted in parts (StepBuilder::mlp_parts)
  // The shared experts' last op, which the MoE block's output waits for, across its parts.
  OpId moe_shared_done = 0;
};

class StepBuilder {
 public:
  StepBuilder(const ModelSpec& m, const TrainingConfig& t, const ParallelConfig& p, GraphMode mode);
  StepGraph build();

 private:
  // step_builder.cc
  void setup_ranks_and_groups();
  void assign_layers();
  void emit_rank(RankState& rs);
  void emit_static_memory(RankState& rs);
  // Parameters of a model stage held by one rank: {dense, expert}.
  std::array<double, 2> stage_params(int stage) const;
  // The fp32 gradient accumulation after a backward (ParallelConfig::fp32_grad_copy).
  void fp32_grad_copy(RankState& rs, PassState& ps);
  void emit_param_gathers(RankState& rs);
  PassState make_pass(const RankState& rs, const PipelineWork& w) const;
  void emit_pass_prologue(RankState& rs, PassState& ps);
  void emit_pass_epilogue(RankState& rs, PassState& ps);
  bool emit_pass_segment(RankState& rs, PassState& ps);  // false when the pass is complete
  void emit_optimizer(RankState& rs);
  void grad_ready(RankState& rs, double dense_params, double expert_params, OpId producer);
  void flush_buckets(RankState& rs, bool final);
  void account(RankState& rs, Category c, CollectiveKind k, int n, double bytes);
  OpId collective(RankState& rs, std::uint8_t stream, Category c, CollectiveKind k, GroupId g,
                  int n, double bytes, OpLabel label, std::initializer_list<OpId> deps,
                  DomainDedup dedup = {}, double rate_cap_bytes_per_s = 0);
  // The routing of the expert all-to-alls: DeepEP sends a token once per node holding one of its
  // top-k experts; the all-to-all dispatcher sends every copy.
  DomainDedup expert_dedup() const;
  OpId compute(RankState& rs, PassState& ps, std::uint32_t kernel, OpLabel label,
               Category c = Category::compute);
  OpId after(RankState& rs, PassState& ps, OpId op);               // make op the pass frontier
  void flush(RankState& rs, PassState& ps);                        // emit the pending kernel run
  OpId front(RankState& rs, PassState& ps);                        // flush, then the frontier op
  std::span<const OpId> front_deps(RankState& rs, PassState& ps);  // {frontier} or {}
  OpId issue_deferred_send(RankState& rs, std::span<const OpId> deps);
  int pipeline_peer(const RankState& rs, int pipeline_rank) const;  // graph rank

  // layer_kernels.cc
  void intern_kernels();
  LinearKernels linear(double rows, double in, double out);

  // layer_emitter.cc: one layer's forward or backward, in two segments each: attention and MLP.
  // The MLP of a mixture-of-experts layer with expert-parallel collectives comes in mlp_parts()
  // parts, cut after the dispatch and after the combine are issued, and the layer in three
  // segments (emit_pass_segment), so that a pass running beside another (DualPipe,
  // --ep-a2a-overlap) puts the other's compute on the stream while its all-to-alls are in flight,
  // as DeepSeek-V3's DualPipe and Megatron-Core's combined 1F1B schedule them. A pass emitted
  // alone runs its segments back to back: the same ops in the same order either way.
  int mlp_parts(int layer) const;
  void layer_forward_attention(RankState& rs, PassState& ps, int layer, bool recompute);
  void layer_forward_mlp(RankState& rs, PassState& ps, int layer, bool recompute);
  void layer_forward_mlp_part(RankState& rs, PassState& ps, int layer, bool recompute, int part);
  // The MLP (or MoE block) between its norm and the residual add: the forward, and what selective
  // recomputation of the `mlp` / `moe` modules re-runs.
  void mlp_block_forward(RankState& rs, PassState& ps, int layer);
  void mlp_block_forward_part(RankState& rs, PassState& ps, int layer, int part);
  void layer_backward_mlp(RankState& rs, PassState& ps, int layer);
  void layer_backward_mlp_part(RankState& rs, PassState& ps, int layer, int part);
  double moe_a2a_bytes() const;  // one dispatch or combine all-to-all of a micro-batch
  // Whether `layer`, in the chunk `ps` runs, is recomputed in full
  // (ParallelConfig::recompute_layers).
  bool layer_recomputed(const PassState& ps, int layer) const {
    return p_.recomputes_layer(layer - ps.first_layer);
  }
  // Bytes `layer` keeps per micro-batch from its forward to its backward.
  double kept_activation_bytes(const PassState& ps, int layer) const;
  double etp_bytes() const;  // one expert-TP all-gather or reduce-scatter
  void layer_backward_attention(RankState& rs, PassState& ps, int layer);
  void layer_weight_grads(RankState& rs, PassState& ps, int layer);
  void attention_core_forward(RankState& rs, PassState& ps, int layer, bool recompute);
  void attention_core_backward(RankState& rs, PassState& ps, int layer);
  void tp_enter(RankState& rs, PassState& ps, int layer, bool backward);  // AG (SP) / AR (bwd)
  void tp_leave(RankState& rs, PassState& ps, int layer, bool backward);  // RS (SP) / AR (fwd)
  bool tp_overlapped() const { return p_.tp_comm_overlap && p_.sequence_parallel && p_.tp > 1; }
  void linear_backward(RankState& rs, PassState& ps, const LinearKernels& k, int layer,
                       std::uint32_t label_dgrad, std::uint32_t label_wgrad, bool weights_now);
  void embedding_forward(RankState& rs, PassState& ps);
  void embedding_backward(RankState& rs, PassState& ps);
  void head_forward(RankState& rs, PassState& ps);
  void head_backward(RankState& rs, PassState& ps);
  OpId zero3_gather(RankState& rs, PassState& ps, double dense, double expert, OpLabel label);
  void zero3_release(RankState& rs, PassState& ps, double params, OpLabel label);
  void zero3_edge(RankState& rs, PassState& ps, double params, bool gather);
  void zero3_before_layer(RankState& rs, PassState& ps, int layer, bool backward);
  void zero3_after_layer(RankState& rs, PassState& ps, int layer, bool backward);
  // On-demand gathering (Zero3Gather::on_demand) drops the parameters after the recomputed
  // forward and gathers them again for the backward.
  void zero3_after_recompute(RankState& rs, PassState& ps, int layer);

 public:
  // Inputs.
  const ModelSpec& m_;
  TrainingConfig t_;
  ParallelConfig p_;
  GraphMode mode_;
  RankShapes shapes_;
  PipelinePlan plan_;
  RankLayout layout_;
  int micro_batches_ = 0;
  Dtype gemm_dtype_ = Dtype::bf16;

  // Layers: first global layer and count of each model stage.
  std::vector<int> stage_first_layer_;
  std::vector<int> stage_layer_count_;
  // Activation bytes per micro-batch of a dense / MoE layer as it is kept (under full recompute,
  // its input), and all of a layer's activations under full recompute: the transient
  // re-materialisation, and what a layer that recompute_layers leaves out keeps.
  double act_dense_ = 0, act_moe_ = 0, act_dense_full_ = 0, act_moe_full_ = 0;
  double act_embed_ = 0, act_head_ = 0;
  double p2p_bytes_ = 0;  // activation (and gradient) bytes sent between pipeline positions

  // Output under construction.
  Graph g_;
  Streams streams_{};
  Labels labels_{};
  LayerKernels dense_{}, moe_{};
  EdgeKernels edge_{};
  std::vector<RankState> ranks_;
  std::vector<double> params_by_pipeline_rank_;
  std::vector<std::array<double, 3>> model_state_by_pipeline_rank_;
};

// Label slots of layer ops (index into Labels::layer_op).
enum LayerOpLabel : int {
  kNorm1Fwd,
  kNorm1Bwd,
  kQkvFwd,
  kQkvDgrad,
  kQkvWgrad,
  kRopeFwd,
  kRopeBwd,
  kAttnFwd,
  kAttnBwd,
  kAttnRecompute,
  kCpShiftFwd,
  kCpShiftBwd,
  kCpA2aFwd,
  kCpA2aBwd,
  kAttnMerge,
  kOutFwd,
  kOutDgrad,
  kOutWgrad,
  kTpFwd,
  kTpBwd,
  kNorm2Fwd,
  kNorm2Bwd,
  kFc1Fwd,
  kFc1Dgrad,
  kFc1Wgrad,
  kActFwd,
  kActBwd,
  kFc2Fwd,
  kFc2Dgrad,
  kFc2Wgrad,
  kRouterFwd,
  kRouterDgrad,
  kRouterWgrad,
  kRouteFwd,
  kRouteBwd,
  kPermute,
  kUnpermute,
  kDispatch,
  kCombine,
  kDispatchBwd,
  kCombineBwd,
  kEtpGather,
  kEtpReduce,
  kExpFc1Fwd,
  kExpFc1Dgrad,
  kExpFc1Wgrad,
  kExpActFwd,
  kExpActBwd,
  kExpFc2Fwd,
  kExpFc2Dgrad,
  kExpFc2Wgrad,
  kSharedFc1Fwd,
  kSharedFc1Dgrad,
  kSharedFc1Wgrad,
  kSharedFc2Fwd,
  kSharedFc2Dgrad,
  kSharedFc2Wgrad,
  kLayerRecompute,
  kMlaDownFwd,
  kMlaUpFwd,
  kMlaBwd,
  kMlaUpRecompute,
  kResidualFwd,
  kResidualBwd,
  kLayerOpLabelCount
};

}  // namespace ptsim::builder
