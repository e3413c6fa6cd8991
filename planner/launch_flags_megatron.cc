// Megatron-LM command-line flags for a planned configuration. Flag names and their constraints are
// those of megatron/training/arguments.py (NVIDIA/Megatron-LM, late 2025); planner/LAUNCH_FLAGS.md
// lists each one with its source.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "planner/launch_flags.h"
#include "planner/launch_flags_plan.h"

namespace ptsim {

namespace {

// Flags in the order they are added; a flag without a value is a switch.
class FlagList {
 public:
  void add(std::string flag, std::string value = "") {
    items_.emplace_back(std::move(flag), std::move(value));
  }
  void add(std::string flag, long long value) { add(std::move(flag), std::to_string(value)); }

  // A torchrun command line, one flag per line, continued with backslashes.
  std::string render(const launch::NodeLayout& nodes) const {
    std::string out = fmt::format("torchrun --nnodes {} --nproc-per-node {} pretrain_gpt.py",
                                  nodes.nodes, nodes.procs_per_node);
    for (const auto& [flag, value] : items_) {
      out += " \\\n  " + flag;
      if (!value.empty()) out += " " + value;
    }
    return out + "\n";
  }

 private:
  std::vector<std::pair<std::string, std::string>> items_;
};

// Megatron's --moe-layer-freq for the model's MoE pattern, or "" when every layer is MoE (the
// default). An integer N means layer i is MoE iff i % N == 0; otherwise a Python list expression
// of runs, e.g. "([0]*3+[1]*58)" for DeepSeek-V3's three leading dense layers.
std::string moe_layer_freq(const ModelSpec& m) {
  bool all_moe = true;
  for (int i = 0; i < m.layers; ++i)
    all_moe = all_moe && m.is_moe_layer(i);
  if (all_moe) return "";
  if (m.moe.first_dense_layers == 0 && m.moe.dense_layers.empty()) {
    return std::to_string(m.moe.layer_freq);
  }
  std::string expr;
  int i = 0;
  while (i < m.layers) {
    const bool moe = m.is_moe_layer(i);
    int run = 0;
    while (i < m.layers && m.is_moe_layer(i) == moe) {
      ++run;
      ++i;
    }
    expr += fmt::format("{}{}", expr.empty() ? "" : "+", moe ? "[1]" : "[0]");
    if (run > 1) expr += fmt::format("*{}", run);
  }
  return fmt::format("\"({})\"", expr);
}

// --pipeline-model-parallel-layout (megatron/core/transformer/pipeline_parallel_layer_layout.py):
// stages split by '|' in model-stage order (stage k on pipeline rank k % pp), 'E' the embedding,
// 't' a decoder layer, 'L' the loss; "(x|)*n" repeats a stage n times, commas are cosmetic.
std::string pipeline_layout(const std::vector<int>& layers) {
  std::vector<std::string> stages;
  const std::size_t n = layers.size();
  for (std::size_t s = 0; s < n; ++s) {
    std::string st = s == 0 ? "E" : "";
    st += layers[s] == 1 ? "t" : "t*" + std::to_string(layers[s]);
    if (s + 1 == n) st += "L";
    stages.push_back(std::move(st));
  }
  std::string out;
  std::size_t s = 0;
  while (s + 1 < n) {
    std::size_t run = 1;
    while (s + run + 1 < n && stages[s + run] == stages[s])
      ++run;
    out += run > 1 ? "(" + stages[s] + "|)*" + std::to_string(run) + "," : stages[s] + "|";
    s += run;
  }
  out += stages[n - 1];
  return fmt::format("\"{}\"", out);
}

void add_model_shape(const ModelSpec& m, const TrainingConfig& t, FlagList& f, LaunchFlags& out) {
  f.add("--num-layers", m.layers);
  f.add("--hidden-size", m.hidden);
  f.add("--ffn-hidden-size", m.ffn_hidden);
  f.add("--num-attention-heads", m.heads);
  if (m.attention == AttentionKind::mla) {
    f.add("--multi-latent-attention");
    if (m.mla.q_lora_rank > 0) f.add("--q-lora-rank", m.mla.q_lora_rank);
    f.add("--kv-lora-rank", m.mla.kv_lora_rank);
    f.add("--qk-head-dim", m.mla.qk_nope_head_dim);
    f.add("--qk-pos-emb-head-dim", m.mla.qk_rope_head_dim);
    f.add("--v-head-dim", m.mla.v_head_dim);
  } else {
    f.add("--kv-channels", m.head_dim);
    if (m.kv_heads != m.heads) {
      f.add("--group-query-attention");
      f.add("--num-query-groups", m.kv_heads);
    }
  }
  f.add("--seq-length", t.seq_len);
  // Megatron asserts max_position_embeddings >= seq_length.
  f.add("--max-position-embeddings", std::max(t.seq_len, m.max_positions));
  switch (m.position) {
    case PositionKind::rope:
      f.add("--position-embedding-type", "rope");
      break;
    case PositionKind::learned:
      f.add("--position-embedding-type", "learned_absolute");
      break;
    case PositionKind::alibi:
      out.expressible = false;
      out.notes.push_back(
          "Megatron-LM has no ALiBi position embedding (--position-embedding-type takes "
          "learned_absolute, rope, mrope, relative or none)");
      break;
  }
  if (m.mlp == MlpKind::swiglu) f.add("--swiglu");
  f.add("--normalization", m.norm == NormKind::rmsnorm ? "RMSNorm" : "LayerNorm");
  if (!m.tied_embeddings) f.add("--untie-embeddings-and-output-weights");
  if (!m.linear_bias) {
    f.add("--disable-bias-linear");
    if (m.qkv_bias) f.add("--add-qkv-bias");
    if (m.attention_out_bias || m.mlp_bias) {
      out.expressible = false;
      out.notes.push_back(
          "Megatron-LM puts biases on all linear layers or none (--disable-bias-linear, "
          "--add-qkv-bias); this model has them on the attention output or MLP only");
    }
  }
  if (m.qk_norm) f.add("--qk-layernorm");
  if (!m.dropout) {  // Megatron's defaults are 0.1
    f.add("--attention-dropout", "0.0");
    f.add("--hidden-dropout", "0.0");
  }
}

void add_moe(const ModelSpec& m, const TrainingConfig& t, const ParallelConfig& p, FlagList& f,
             LaunchFlags& out) {
  if (!m.is_moe()) return;
  f.add("--num-experts", m.moe.num_experts);
  f.add("--moe-router-topk", m.moe.top_k);
  f.add("--moe-ffn-hidden-size", m.moe.expert_ffn_hidden);
  if (m.moe.shared_experts > 0) {
    // Megatron takes the total width of all shared experts.
    f.add("--moe-shared-expert-intermediate-size",
          static_cast<long long>(m.moe.shared_experts) * m.moe.shared_expert_ffn_hidden);
  }
  const std::string freq = moe_layer_freq(m);
  if (!freq.empty()) f.add("--moe-layer-freq", freq);
  if (m.moe.router_bias) {
    // DeepSeek-V3 routing: sigmoid scores plus the aux-loss-free per-expert bias.
    f.add("--moe-router-score-function", "sigmoid");
    f.add("--moe-router-enable-expert-bias");
  }
  if (t.moe_capacity_factor > 0) {
    f.add("--moe-expert-capacity-factor", launch::decimal(t.moe_capacity_factor));
  }
  if (p.ep > 1 && p.moe_dispatcher == MoeDispatcher::deepep) {
    // Megatron-Core's flex dispatcher runs DeepEP's node-deduplicated dispatch.
    f.add("--moe-token-dispatcher-type", "flex");
    f.add("--moe-enable-deepep");
  } else if (p.ep > 1) {
    f.add("--moe-token-dispatcher-type", "alltoall");
  }
  if (p.ep_a2a_overlap) {
    // Megatron-Core 0.14's batch-level EP overlap (combined 1F1B). Its TransformerConfig asserts
    // expert parallelism, and virtual pipeline stages when pp > 1 (the combined schedule exists
    // for no pipeline and for the interleaved one), and refuses full recomputation.
    std::string missing;
    if (p.ep < 2) missing = "expert parallelism (ep > 1)";
    if (p.pp > 1 && p.schedule != Schedule::interleaved) {
      missing = "virtual pipeline stages when pp > 1 (the interleaved schedule)";
    }
    if (p.recompute == Recompute::full) missing = "no full recomputation";
    if (missing.empty()) {
      f.add("--overlap-moe-expert-parallel-comm");
    } else {
      out.expressible = false;
      out.notes.push_back(
          "the expert all-to-all overlap (--overlap-moe-expert-parallel-comm, "
          "Megatron-Core 0.14+) needs " +
          missing + "; these flags run without it");
    }
  }
  if (m.moe.num_experts / p.ep > 1) {
    f.add("--moe-grouped-gemm");
    if (p.expert_gemm == ExpertGemm::grouped) {
      // Transformer Engine's grouped linear runs one cuBLAS GEMM per expert unless told otherwise.
      out.notes.push_back(
          "the plan runs each rank's experts as one grouped GEMM: set "
          "NVTE_USE_CUTLASS_GROUPED_GEMM=1 (Transformer Engine's CUTLASS grouped GEMM, Hopper, "
          "bf16)");
    }
  }
}

void add_pipeline_split(const ModelSpec& m, const ParallelConfig& p, FlagList& f,
                        LaunchFlags& out) {
  if (p.pp == 1) return;
  const std::vector<int> layers = launch::layers_per_model_stage(m, p);
  bool even = true;
  for (int c : layers)
    even = even && c == layers.front();
  if (p.schedule == Schedule::interleaved) {
    // Overlapped pipeline sends are Megatron-LM's default for this schedule.
    if (!p.overlap_p2p) f.add("--no-overlap-p2p-communication");
    if (even) {
      f.add("--num-virtual-stages-per-pipeline-rank", p.vpp);
    } else {
      // --decoder-first/last-pipeline-num-layers would spread the first rank's layers evenly over
      // its virtual stages; only the explicit layout shortens model stage 0 alone.
      f.add("--pipeline-model-parallel-layout", pipeline_layout(layers));
      out.notes.push_back(
          "the uneven interleaved split uses --pipeline-model-parallel-layout, which is "
          "experimental in Megatron-LM and sets the virtual stages itself");
    }
    return;
  }
  if (even) return;
  // Without virtual stages Megatron spreads the layers that the first and last stage do not take
  // evenly over the middle stages.
  const int last = p.pp - 1;
  bool middle_even = true;
  for (int s = 2; s < last; ++s)
    middle_even = middle_even && layers[s] == layers[1];
  if (!middle_even) {
    f.add("--pipeline-model-parallel-layout", pipeline_layout(layers));
    out.notes.push_back(
        "the middle pipeline stages hold different layer counts, so the split uses "
        "--pipeline-model-parallel-layout (experimental in Megatron-LM)");
    return;
  }
  const int middle = layers[1];
  if (p.pp == 2 || layers[0] != middle) f.add("--decoder-first-pipeline-num-layers", layers[0]);
  if (p.pp > 2 && layers[last] != middle) {
    f.add("--decoder-last-pipeline-num-layers", layers[last]);
  }
}

void add_schedule_notes(const ParallelConfig& p, LaunchFlags& out) {
  switch (p.schedule) {
    case Schedule::one_f_one_b:
    case Schedule::interleaved:
      return;
    case Schedule::gpipe:
      out.notes.push_back(
          "Megatron-LM has no GPipe schedule: with pp > 1 these flags run 1F1B (the same bubble, "
          "fewer micro-batches' activations held)");
      break;
    case Schedule::zb_h1:
      out.notes.push_back(
          "the zero-bubble ZB-H1 schedule is not in upstream Megatron-LM: these flags run 1F1B, "
          "with its larger bubble; plan with --schedule 1f1b,interleaved for Megatron-LM's own");
      break;
    case Schedule::dualpipe:
      out.notes.push_back(
          "DualPipe is not in upstream Megatron-LM: these flags run 1F1B over the same pp stages, "
          "one model stage per rank instead of two; plan with --schedule 1f1b,interleaved for "
          "Megatron-LM's own");
      break;
  }
  out.expressible = false;
}

void add_data_parallel(const ParallelConfig& p, FlagList& f, LaunchFlags& out) {
  // Megatron's --ddp-bucket-size counts parameters; the plan's buckets hold 2-byte gradients.
  const long long bucket_params = std::llround(p.dp_bucket_bytes / 2.0);
  switch (p.zero_stage) {
    case 0:
      f.add("--overlap-grad-reduce");
      f.add("--ddp-bucket-size", bucket_params);
      break;
    case 1:
      // The distributed optimizer shards optimizer state, reduce-scatters gradients and
      // all-gathers parameters: the plan's ZeRO-1.
      f.add("--use-distributed-optimizer");
      f.add("--overlap-grad-reduce");
      f.add("--overlap-param-gather");
      f.add("--ddp-bucket-size", bucket_params);
      break;
    default:
      f.add("--use-megatron-fsdp");
      f.add("--data-parallel-sharding-strategy",
            p.zero_stage == 2 ? "optim_grads" : "optim_grads_params");
      f.add("--use-distributed-optimizer");
      f.add("--no-gradient-accumulation-fusion");
      f.add("--ckpt-format", "fsdp_dtensor");
      f.add("--overlap-grad-reduce");
      f.add("--overlap-param-gather");
      out.notes.push_back(fmt::format(
          "ZeRO-{} runs on Megatron-FSDP (Megatron-Core 0.14+): Megatron's distributed optimizer "
          "alone shards only optimizer state; unset CUDA_DEVICE_MAX_CONNECTIONS",
          p.zero_stage));
      if (p.pp > 1) {
        out.expressible = false;
        out.notes.push_back(
            "Megatron-FSDP is documented with tensor, context and expert parallelism, not with "
            "pipeline parallelism (pp > 1)");
      }
      break;
  }
}

}  // namespace

LaunchFlags megatron_flags(const ModelSpec& m, const TrainingConfig& t, const ParallelConfig& p,
                           int gpus, int gpus_per_node) {
  if (auto bad = launch::invalid_plan(kMegatronLm, m, t, p, gpus)) return *bad;
  LaunchFlags out;
  out.framework = kMegatronLm;
  FlagList f;

  add_model_shape(m, t, f, out);
  add_moe(m, t, p, f, out);

  f.add("--tensor-model-parallel-size", p.tp);
  f.add("--pipeline-model-parallel-size", p.pp);
  add_pipeline_split(m, p, f, out);
  f.add("--context-parallel-size", p.cp);
  if (p.cp > 1) f.add("--cp-comm-type", p.cp_algorithm == CpAlgorithm::ring ? "p2p" : "a2a");
  if (m.is_moe()) {
    f.add("--expert-model-parallel-size", p.ep);
    f.add("--expert-tensor-parallel-size", p.etp);
  }
  if (p.sequence_parallel) f.add("--sequence-parallel");
  // Userbuffers pipelining of the TP all-gather and reduce-scatter with their GEMMs (Transformer
  // Engine); the simulator applies it only with sequence parallelism, as Megatron-LM requires.
  if (p.tp_comm_overlap && p.sequence_parallel && p.tp > 1) f.add("--tp-comm-overlap");
  if (!launch::same_rank_order(p, kDefaultRankOrder)) {
    if (launch::same_rank_order(p, launch::kTpPpDpOrder)) {
      f.add("--use-tp-pp-dp-mapping");
    } else {
      out.expressible = false;
      out.notes.push_back("Megatron-LM orders ranks " + std::string(kDefaultRankOrder) +
                          " or, with --use-tp-pp-dp-mapping, " + launch::kTpPpDpOrder +
                          "; the plan's order " + p.rank_order + " is neither");
    }
  }
  add_data_parallel(p, f, out);

  f.add("--micro-batch-size", p.micro_batch);
  f.add("--global-batch-size", t.global_batch);

  if (p.recompute == Recompute::selective) {
    f.add("--recompute-granularity", "selective");
    if (p.recompute_modules != kRecomputeCoreAttn) {
      // Megatron-Core takes the module names space-separated (its default is core_attn).
      std::string modules = recompute_modules_name(p.recompute_modules);
      std::replace(modules.begin(), modules.end(), ',', ' ');
      f.add("--recompute-modules", modules);
    }
  } else if (p.recomputes_some_layers()) {
    // Megatron-LM's block method: the first N layers of each (virtual) pipeline stage.
    f.add("--recompute-granularity", "full");
    f.add("--recompute-method", "block");
    f.add("--recompute-num-layers", p.recompute_layers);
  } else if (p.recompute == Recompute::full) {
    f.add("--recompute-granularity", "full");
    f.add("--recompute-method", "uniform");
    f.add("--recompute-num-layers", 1);
  }

  f.add("--bf16");
  if (t.precision == Precision::fp8) f.add("--fp8-format", "hybrid");
  if (t.attention == AttentionImpl::unfused) f.add("--attention-backend", "unfused");

  add_schedule_notes(p, out);

  const launch::NodeLayout nodes = launch::node_layout(gpus, gpus_per_node);
  if (!nodes.exact) {
    out.notes.push_back(
        fmt::format("{} GPUs do not fill whole nodes of {}: {} processes on each of {} nodes", gpus,
                    gpus_per_node, nodes.procs_per_node, nodes.nodes));
  }
  if (p.zero_stage < 2 && (p.tp > 1 || p.cp > 1)) {
    out.notes.push_back(
        "export CUDA_DEVICE_MAX_CONNECTIONS=1 (Megatron-LM requires it with tp or cp > 1 before "
        "Blackwell)");
  }
  out.notes.push_back(fmt::format(
      "add what the plan does not choose: data (--data-path or --mock-data), tokenizer "
      "(--tokenizer-type, --tokenizer-model; vocabulary {}), optimizer and schedule (--lr, "
      "--train-iters), rotary base, norm epsilon, checkpointing, and torchrun's rendezvous flags",
      m.vocab));
  out.text = f.render(nodes);
  return out;
}

}  // namespace ptsim
