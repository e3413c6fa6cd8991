#include "tests/simulator/random_configs.h"

#include <algorithm>
#include <sstream>

#include "common/check.h"

namespace ptsim::testing {

namespace {

ModelSpec random_model(Rng& rng, bool allow_moe) {
  ModelSpec m;
  const int kind = static_cast<int>(rng.uniform_int(0, allow_moe ? 3 : 1));
  m.layers = static_cast<int>(rng.uniform_int(2, 8));
  m.hidden = static_cast<int>(rng.pick(std::vector<int>{256, 512, 1024}));
  m.heads = static_cast<int>(rng.pick(std::vector<int>{8, 16}));
  m.head_dim = m.hidden / m.heads;
  m.vocab = static_cast<int>(rng.pick(std::vector<int>{1000, 4096, 32000}));
  m.ffn_hidden = m.hidden * static_cast<int>(rng.uniform_int(2, 4));
  switch (kind) {
    case 0:  // Llama style: GQA, SwiGLU, RMSNorm, RoPE
      m.name = "rand-llama";
      m.architecture = Architecture::llama;
      m.kv_heads = m.heads / static_cast<int>(rng.pick(std::vector<int>{1, 2, 4}));
      break;
    case 1:  // GPT-3 style: MHA, GeLU, LayerNorm with biases, learned positions, dropout
      m.name = "rand-gpt";
      m.architecture = Architecture::gpt2;
      m.kv_heads = m.heads;
      m.ffn_hidden = 4 * m.hidden;
      m.max_positions = 8192;
      m.tied_embeddings = true;
      m.qkv_bias = true;
      m.linear_bias = true;
      m.dropout = true;
      m.mlp = MlpKind::gelu;
      m.norm = NormKind::layernorm;
      m.position = PositionKind::learned;
      break;
    case 2:  // Mixtral style: every layer MoE, top-2
      m.name = "rand-mixtral";
      m.architecture = Architecture::mixtral;
      m.kv_heads = m.heads / 2;
      m.moe.num_experts = static_cast<int>(rng.pick(std::vector<int>{4, 8}));
      m.moe.top_k = 2;
      m.moe.expert_ffn_hidden = m.ffn_hidden;
      break;
    default:  // DeepSeek style: MLA, shared expert, a first dense layer, top-4 of 8
      m.name = "rand-deepseek";
      m.architecture = Architecture::deepseek_v3;
      m.attention = AttentionKind::mla;
      m.kv_heads = m.heads;
      m.mla = MlaDims{m.hidden / 2, m.hidden / 4, 64, 32, 64};
      m.head_dim = 96;
      m.moe.num_experts = 8;
      m.moe.top_k = 4;
      m.moe.expert_ffn_hidden = m.hidden / 2;
      m.moe.shared_experts = 1;
      m.moe.shared_expert_ffn_hidden = m.hidden / 2;
      m.moe.first_dense_layers = 1;
      m.moe.router_bias = true;
      break;
  }
  return m;
}

template <class T>
T pick_of(Rng& rng, std::initializer_list<T> values) {
  return rng.pick(std::vector<T>(values));
}

}  // namespace

std::string RandomConfig::describe() const {
  const ParallelConfig& p = parallel;
  std::ostringstream s;
  s << model.name << " L" << model.layers << " h" << model.hidden << " a" << model.heads << "/"
    << model.kv_heads << " V" << model.vocab << " seq " << training.seq_len << " gb "
    << training.global_batch << (training.precision == Precision::fp8 ? " fp8" : " bf16")
    << " | gpus " << gpus << " tp " << p.tp << " pp " << p.pp << " dp " << p.dp << " cp " << p.cp
    << " ep " << p.ep << " vpp " << p.vpp << " mb " << p.micro_batch << " (m " << micro_batches
    << ") sp " << p.sequence_parallel << " zero " << p.zero_stage << " recompute "
    << recompute_name(p.recompute) << " " << schedule_name(p.schedule) << " cp-"
    << cp_algorithm_name(p.cp_algorithm) << " overlap " << p.overlap_grad_reduce
    << p.tp_comm_overlap << p.ep_a2a_overlap << " serial-p2p " << p.serial_p2p << " fp32-grad-copy "
    << p.fp32_grad_copy << " expert-gemm " << expert_gemm_name(p.expert_gemm) << " order "
    << p.rank_order;
  return s.str();
}

RandomConfig random_config(Rng& rng, const RandomConfigOptions& options) {
  for (int attempt = 0; attempt < 100000; ++attempt) {
    RandomConfig c;
    c.model = random_model(rng, options.allow_moe);
    c.gpus = rng.pick(options.gpu_counts);
    ParallelConfig& p = c.parallel;
    p.tp = pick_of(rng, {1, 1, 2, 4, 8});
    p.pp = pick_of(rng, {1, 1, 2, 4});
    p.cp = pick_of(rng, {1, 1, 1, 2});
    if (c.gpus % (p.tp * p.pp * p.cp) != 0) continue;
    p.dp = c.gpus / (p.tp * p.pp * p.cp);
    if (c.model.is_moe()) {
      p.ep = pick_of(rng, {1, 2, 4});
      p.etp = pick_of(rng, {1, 1, 2});
    }
    p.micro_batch = pick_of(rng, {1, 1, 2});
    p.zero_stage = rng.pick(options.zero_stages);
    p.recompute = pick_of(rng, {Recompute::none, Recompute::selective, Recompute::full});
    p.sequence_parallel = p.tp > 1 && (c.model.is_moe() || rng.uniform01() < 0.7);
    p.cp_algorithm = pick_of(rng, {CpAlgorithm::ring, CpAlgorithm::ulysses});
    p.rank_order = rng.pick(options.rank_orders);
    // MoE orders with pp inside another dimension are redrawn: check_config rejects them
    // (expert_pipeline_groups).
    p.overlap_grad_reduce = rng.uniform01() < 0.8;
    p.tp_comm_overlap = p.sequence_parallel && rng.uniform01() < 0.3;
    if (p.pp == 1) {
      p.schedule = Schedule::one_f_one_b;
    } else {
      p.schedule = pick_of(rng, {Schedule::gpipe, Schedule::one_f_one_b, Schedule::interleaved,
                                 Schedule::zb_h1, Schedule::dualpipe});
    }
    if (p.schedule == Schedule::interleaved) p.vpp = 2;
    // Micro-batches per pipeline: a multiple of pp for the interleaved schedule, of 2 (and at
    // least 2 pp) for DualPipe, and even when the caller will halve them.
    int m = static_cast<int>(rng.uniform_int(1, 8));
    if (p.schedule == Schedule::interleaved || p.schedule == Schedule::dualpipe) m *= p.pp;
    if (p.schedule == Schedule::dualpipe) m = std::max(m, 2 * p.pp);
    if (options.even_micro_batches) m *= 2;
    c.micro_batches = m;
    p.ep_a2a_overlap = c.model.is_moe() && rng.uniform01() < 0.3;
    if (c.model.is_moe() && rng.uniform01() < 0.5) p.expert_gemm = ExpertGemm::grouped;
    c.training.global_batch = m * p.micro_batch * p.dp;
    c.training.seq_len = pick_of(rng, {256, 512, 1024, 2048});
    c.training.precision =
        options.allow_fp8 && rng.uniform01() < 0.2 ? Precision::fp8 : Precision::bf16;
    // DeepSpeed's engine: its sends one at a time on 1F1B (one pass at a time), its fp32 copy.
    p.serial_p2p =
        p.schedule == Schedule::one_f_one_b && !p.ep_a2a_overlap && rng.uniform01() < 0.25;
    p.fp32_grad_copy = rng.uniform01() < 0.2;
    if (check_config(c.model, c.training, c.parallel, c.gpus).ok) return c;
  }
  PTSIM_CHECK(false, "random_config: no valid configuration drawn");
  return {};
}

}  // namespace ptsim::testing
