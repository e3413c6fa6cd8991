#include "sim/workload/config_rules.h"

#include "sim/workload/rank_layout.h"

#include <cstdint>
#include <cstdio>
#include <string>

namespace ptsim {

namespace {

std::string s(int v) {
  return std::to_string(v);
}

}  // namespace

int micro_batches_per_step(const TrainingConfig& t, const ParallelConfig& p) {
  const std::int64_t per_step = static_cast<std::int64_t>(p.micro_batch) * p.dp;
  return per_step > 0 ? static_cast<int>(t.global_batch / per_step) : 0;
}

const std::vector<std::string>& config_rule_names() {
  static const std::vector<std::string> names = {"positive_sizes",
                                                 "model_sizes",
                                                 "world_size",
                                                 "zero_stage",
                                                 "tp_divides_heads",
                                                 "tp_divides_kv_heads",
                                                 "ep_needs_moe",
                                                 "tp_divides_ffn",
                                                 "etp_divides_expert_ffn",
                                                 "ep_divides_experts",
                                                 "expert_layout",
                                                 "expert_pipeline_groups",
                                                 "moe_tp_needs_sp",
                                                 "sp_needs_tp",
                                                 "sp_divides_sequence",
                                                 "cp_divides_sequence",
                                                 "ulysses_heads",
                                                 "cp_needs_flash",
                                                 "batch_divides",
                                                 "pp_layers",
                                                 "schedule_needs_pp",
                                                 "vpp_needs_interleaved",
                                                 "interleaved_microbatches",
                                                 "dualpipe_shape",
                                                 "serial_p2p_schedule",
                                                 "serial_p2p_pairs",
                                                 "fp32_grad_copy_zero"};
  return names;
}

Verdict check_config(const ModelSpec& m, const TrainingConfig& t, const ParallelConfig& p,
                     int gpus) {
  if (p.tp < 1 || p.pp < 1 || p.dp < 1 || p.cp < 1 || p.ep < 1 || p.etp < 1 || p.vpp < 1 ||
      p.micro_batch < 1 || t.seq_len < 1 || t.global_batch < 1) {
    return Verdict::fail("positive_sizes",
                         "every parallel size, the micro-batch, sequence length and global batch "
                         "must be at least 1");
  }
  if (p.recompute_layers < 0 || p.recompute_layers > kMaxConfigSize) {
    return Verdict::fail("positive_sizes",
                         "the layers recomputed per model chunk must be 0 (all) "
                         "to " +
                             s(kMaxConfigSize) + ", got " + s(p.recompute_layers));
  }
  if (p.vpp > kMaxConfigSize || p.micro_batch > kMaxConfigSize || p.ep > kMaxConfigSize ||
      p.etp > kMaxConfigSize || t.seq_len > kMaxConfigSize || t.global_batch > kMaxConfigSize) {
    return Verdict::fail("positive_sizes",
                         "virtual stages, ep, etp, the micro-batch, sequence length and global "
                         "batch must be at most " +
                             s(kMaxConfigSize));
  }
  // The model's own sizes, from a preset, a config.json or --layers: bounded like the layout's so
  // that padded widths and per-layer tables stay in range (a vocabulary of 2^31 - 1 padded to a
  // multiple of 128 x tp wrapped negative).
  for (const int size :
       {m.hidden, m.layers, m.heads, m.kv_heads, m.head_dim, m.ffn_hidden, m.vocab,
        m.moe.num_experts, m.moe.top_k, m.moe.expert_ffn_hidden, m.moe.shared_experts,
        m.moe.shared_expert_ffn_hidden, m.mla.q_lora_rank, m.mla.kv_lora_rank,
        m.mla.qk_nope_head_dim, m.mla.qk_rope_head_dim, m.mla.v_head_dim}) {
    if (size < 0 || size > kMaxConfigSize) {
      return Verdict::fail("model_sizes",
                           "the model's widths, layer, head and expert counts and "
                           "vocabulary must be at most " +
                               s(kMaxConfigSize) + ", got " + s(size));
    }
  }
  if (m.layers > kMaxLayers) {
    return Verdict::fail(
        "model_sizes", "a model may have at most " + s(kMaxLayers) + " layers, got " + s(m.layers));
  }
  // In double: the product of four ints can overflow any integer type, and a product this large
  // is exact or else far from any GPU count. Once it equals the GPU count, products of tp, pp, dp
  // and cp below fit in an int.
  const double world = static_cast<double>(p.tp) * p.pp * p.dp * p.cp;
  if (world != gpus) {
    char text[160];
    std::snprintf(text, sizeof text, "tp x pp x dp x cp = %.0f but there are %d GPUs", world, gpus);
    return Verdict::fail("world_size", text);
  }
  if (p.zero_stage < 0 || p.zero_stage > 3) {
    return Verdict::fail("zero_stage", "ZeRO stage must be 0, 1, 2 or 3");
  }
  if (m.heads % p.tp != 0) {
    return Verdict::fail("tp_divides_heads",
                         "tp " + s(p.tp) + " does not divide " + s(m.heads) + " attention heads");
  }
  if (m.attention == AttentionKind::standard && m.kv_heads % p.tp != 0) {
    return Verdict::fail("tp_divides_kv_heads", "tp " + s(p.tp) + " does not divide " +
                                                    s(m.kv_heads) + " key/value heads");
  }
  if (!m.is_moe() && (p.ep > 1 || p.etp > 1)) {
    return Verdict::fail("ep_needs_moe", "expert parallelism needs a mixture-of-experts model");
  }
  // Megatron's column- and row-parallel MLP weights split the FFN width evenly over tp (expert
  // weights over etp); a remainder has no rank to go to.
  const bool dense_mlp = !m.is_moe() || m.moe_layer_count() < m.layers;
  if (dense_mlp && m.ffn_hidden % p.tp != 0) {
    return Verdict::fail("tp_divides_ffn",
                         "tp " + s(p.tp) + " does not divide the FFN width " + s(m.ffn_hidden));
  }
  if (m.is_moe() && m.moe.shared_experts > 0 && m.moe.shared_expert_ffn_hidden % p.tp != 0) {
    return Verdict::fail("tp_divides_ffn", "tp " + s(p.tp) +
                                               " does not divide the shared experts' FFN width " +
                                               s(m.moe.shared_expert_ffn_hidden));
  }
  if (m.is_moe() && m.moe.expert_ffn_hidden % p.etp != 0) {
    return Verdict::fail("etp_divides_expert_ffn", "etp " + s(p.etp) +
                                                       " does not divide the experts' FFN width " +
                                                       s(m.moe.expert_ffn_hidden));
  }
  if (m.is_moe() && m.moe.num_experts % p.ep != 0) {
    return Verdict::fail("ep_divides_experts",
                         "ep " + s(p.ep) + " does not divide " + s(m.moe.num_experts) + " experts");
  }
  if ((p.tp * p.cp * p.dp) % (static_cast<std::int64_t>(p.etp) * p.ep) != 0) {
    return Verdict::fail("expert_layout",
                         "etp x ep = " + std::to_string(static_cast<std::int64_t>(p.etp) * p.ep) +
                             " does not divide tp x cp x dp = " + s(p.tp * p.cp * p.dp));
  }
  if (m.is_moe() && p.pp > 1) {
    // Expert and attention layers of one stage must live on the same ranks (Megatron-Core asserts
    // that both rank generators give the same pipeline groups); with pp inside another dimension
    // of different size in the two layouts they do not.
    const auto layout = RankLayout::make(p);
    if (layout.ok() && !layout->pipeline_groups_agree()) {
      return Verdict::fail("expert_pipeline_groups",
                           "rank order " + p.rank_order +
                               " gives expert layers other pipeline groups than attention layers "
                               "(put pp outermost, e.g. tp-cp-ep-dp-pp)");
    }
  }
  if (m.is_moe() && p.tp > 1 && !p.sequence_parallel) {
    return Verdict::fail("moe_tp_needs_sp",
                         "mixture-of-experts layers with tp > 1 need sequence parallelism "
                         "(as Megatron-Core requires)");
  }
  if (p.sequence_parallel && p.tp == 1) {
    return Verdict::fail("sp_needs_tp", "sequence parallelism needs tp > 1");
  }
  if (p.sequence_parallel && (t.seq_len / p.cp) % p.tp != 0) {
    return Verdict::fail("sp_divides_sequence", "tp " + s(p.tp) + " does not divide the " +
                                                    s(t.seq_len / p.cp) +
                                                    " tokens per context-parallel rank");
  }
  if (p.cp > 1 && t.seq_len % (2 * p.cp) != 0) {
    return Verdict::fail("cp_divides_sequence",
                         "sequence length " + s(t.seq_len) + " is not divisible by 2 x cp = " +
                             s(2 * p.cp) + " (causal load balancing splits it into 2cp chunks)");
  }
  if (p.cp > 1 && p.cp_algorithm == CpAlgorithm::ulysses) {
    const int kv = m.attention == AttentionKind::standard ? m.kv_heads : m.heads;
    if ((m.heads / p.tp) % p.cp != 0 || (kv / p.tp) % p.cp != 0) {
      return Verdict::fail("ulysses_heads", "Ulysses context parallelism needs cp " + s(p.cp) +
                                                " to divide the heads per tensor-parallel rank");
    }
  }
  if (p.cp > 1 && t.attention == AttentionImpl::unfused) {
    return Verdict::fail("cp_needs_flash",
                         "context parallelism needs fused (flash) attention, not the unfused path");
  }
  const std::int64_t per_step = static_cast<std::int64_t>(p.micro_batch) * p.dp;
  if (t.global_batch % per_step != 0) {
    return Verdict::fail("batch_divides",
                         "global batch " + s(t.global_batch) +
                             " is not divisible by micro-batch x dp = " + std::to_string(per_step));
  }
  // The first and last model stages also hold the embedding and the LM head, and may hold only
  // them (Megatron's --account-for-embedding/loss-in-pipeline-split); every other stage needs a
  // layer.
  const std::int64_t stages = static_cast<std::int64_t>(p.pp) * p.vpp;
  const std::int64_t layers_needed = stages > 2 ? stages - 2 : stages;
  if (m.layers < layers_needed) {
    return Verdict::fail("pp_layers",
                         s(m.layers) + " layers cannot fill pp x vpp = " + std::to_string(stages) +
                             " pipeline stages (" + std::to_string(layers_needed) +
                             " needed: only the first and last may hold no layer)");
  }
  if (p.pp == 1 && p.schedule != Schedule::one_f_one_b) {
    return Verdict::fail("schedule_needs_pp",
                         std::string("schedule ") + schedule_name(p.schedule) + " needs pp > 1");
  }
  if ((p.vpp > 1) != (p.schedule == Schedule::interleaved)) {
    return Verdict::fail("vpp_needs_interleaved",
                         "virtual stages (vpp > 1) go with the interleaved schedule and only it");
  }
  const int m_count = micro_batches_per_step(t, p);
  if (p.schedule == Schedule::interleaved && m_count % p.pp != 0) {
    return Verdict::fail("interleaved_microbatches",
                         "the interleaved schedule needs the " + s(m_count) +
                             " micro-batches to be a multiple of pp " + s(p.pp));
  }
  if (p.schedule == Schedule::dualpipe &&
      (p.pp % 2 != 0 || m_count < 2 * p.pp || m_count % 2 != 0)) {
    return Verdict::fail("dualpipe_shape",
                         "DualPipe needs an even pp and an even number of at "
                         "least 2 x pp micro-batches");
  }
  if (p.serial_p2p && p.pp > 1 && p.schedule != Schedule::one_f_one_b) {
    // Its send order (a backward step receives before it sends) matches neighbours only in 1F1B.
    return Verdict::fail("serial_p2p_schedule",
                         std::string("one-at-a-time pipeline sends (DeepSpeed's pipeline engine) "
                                     "run the 1F1B schedule, not ") +
                             schedule_name(p.schedule));
  }
  if (p.serial_p2p && p.pp > 1 && p.ep_a2a_overlap) {
    // Two passes in flight at once have no single order of sends and receives.
    return Verdict::fail("serial_p2p_pairs",
                         "one-at-a-time pipeline sends (DeepSpeed's pipeline engine) run one "
                         "pass at a time; the expert all-to-all overlap runs two together");
  }
  if (p.fp32_grad_copy && p.zero_stage >= 2) {
    // DeepSpeed runs its bf16 optimizer only without a ZeRO stage in its config (it shards the
    // optimizer states itself, ZeRO-1 here); ZeRO-2 and 3 run the ZeRO optimizers instead.
    return Verdict::fail("fp32_grad_copy_zero",
                         "the fp32 gradient copy is DeepSpeed's bf16 optimizer, which shards "
                         "optimizer states only (ZeRO 0 or 1), not ZeRO " +
                             s(p.zero_stage));
  }
  return Verdict::pass();
}

}  // namespace ptsim
