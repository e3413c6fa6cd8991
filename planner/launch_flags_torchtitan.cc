// A torchtitan job config (TOML) for a planned configuration. Section and key names are those of
// torchtitan/config/job_config.py (pytorch/torchtitan, late 2025, the TOML-config releases) and its
// train_configs/*.toml; planner/LAUNCH_FLAGS.md lists each with its source.
#include <fmt/format.h>

#include <string>
#include <vector>

#include "planner/launch_flags.h"
#include "planner/launch_flags_plan.h"
#include "sim/workload/config_rules.h"

namespace ptsim {

namespace {

// torchtitan's model family ([model] name) and flavor for a model, and whether it ships one.
struct TitanModel {
  std::string name;
  std::string flavor;
  bool family_exists = true;   // torchtitan has a model of this architecture
  bool builtin_flavor = true;  // ... and a flavor with exactly these dimensions
};

TitanModel titan_model(const ModelSpec& m) {
  struct Builtin {
    const char* preset;
    const char* name;
    const char* flavor;
  };
  // torchtitan/models/{llama3,qwen3,deepseek_v3}/__init__.py flavor tables.
  static constexpr Builtin kBuiltin[] = {{"llama3-8b", "llama3", "8B"},
                                         {"llama3-70b", "llama3", "70B"},
                                         {"llama3-405b", "llama3", "405B"},
                                         {"qwen3-235b-a22b", "qwen3", "235B-A22B"},
                                         {"deepseek-v3", "deepseek_v3", "671B"}};
  for (const auto& b : kBuiltin) {
    if (m.name == b.preset) return {b.name, b.flavor, true, true};
  }
  switch (m.architecture) {
    case Architecture::llama:
    case Architecture::mistral:
      return {"llama3", m.name, true, false};
    case Architecture::qwen3:
    case Architecture::qwen3_moe:
      return {"qwen3", m.name, true, false};
    case Architecture::deepseek_v3:
      return {"deepseek_v3", m.name, true, false};
    case Architecture::gpt2:
      return {"gpt2", m.name, false, false};
    case Architecture::qwen2:
      return {"qwen2", m.name, false, false};
    case Architecture::mixtral:
      return {"mixtral", m.name, false, false};
  }
  return {"?", m.name, false, false};
}

std::string quoted(const std::string& s) {
  return fmt::format("\"{}\"", s);
}

// module_fqns_per_model_part: the modules of each model stage in stage order (torchtitan places
// stage k on pipeline rank k % pp for looped schedules, as the plan does).
std::string module_fqns(const std::vector<int>& layers) {
  std::string out = "[\n";
  int next = 0;
  for (std::size_t s = 0; s < layers.size(); ++s) {
    std::vector<std::string> names;
    if (s == 0) names.push_back("tok_embeddings");
    for (int i = 0; i < layers[s]; ++i)
      names.push_back("layers." + std::to_string(next++));
    if (s + 1 == layers.size()) {
      names.push_back("norm");
      names.push_back("output");
    }
    out += "  [";
    for (std::size_t i = 0; i < names.size(); ++i)
      out += (i ? ", " : "") + quoted(names[i]);
    out += "],\n";
  }
  return out + "]";
}

const char* titan_schedule(Schedule s) {
  switch (s) {
    case Schedule::gpipe:
      return "GPipe";
    case Schedule::interleaved:
      return "Interleaved1F1B";
    case Schedule::one_f_one_b:
    case Schedule::zb_h1:  // nearest; see the notes
    case Schedule::dualpipe:
      return "1F1B";
  }
  return "1F1B";
}

void not_expressible(LaunchFlags& out, std::string why) {
  out.expressible = false;
  out.notes.push_back(std::move(why));
}

}  // namespace

LaunchFlags torchtitan_toml(const ModelSpec& m, const TrainingConfig& t, const ParallelConfig& p,
                            int gpus, int gpus_per_node) {
  if (auto bad = launch::invalid_plan(kTorchtitan, m, t, p, gpus)) return *bad;
  LaunchFlags out;
  out.framework = kTorchtitan;
  const launch::NodeLayout nodes = launch::node_layout(gpus, gpus_per_node);

  // --- model
  const TitanModel tm = titan_model(m);
  if (!tm.family_exists) {
    not_expressible(out, "torchtitan has no " + std::string(architecture_name(m.architecture)) +
                             " model: [model] names one that would have to be written");
  } else if (!tm.builtin_flavor) {
    out.notes.push_back("torchtitan has no " + tm.name + " flavor for " + m.name +
                        ": register one named \"" + tm.flavor + "\" with these dimensions");
  }
  if (t.attention == AttentionImpl::unfused) {
    not_expressible(out, "torchtitan always runs fused attention (SDPA or FlexAttention)");
  }

  // --- data parallelism: FSDP2 (shard) or DDP (replicate)
  int replicate = 1;
  int shard = p.dp;
  const char* reshard = nullptr;
  switch (p.zero_stage) {
    case 0:
      replicate = p.dp;
      shard = 1;
      if (p.tp * p.pp * p.cp > 1) {
        out.notes.push_back(
            "DDP (data_parallel_replicate_degree) with other parallelism needs a recent "
            "torchtitan; older releases stop with \"DDP has not supported > 1D parallelism\"");
      }
      if (p.cp > 1) {
        out.notes.push_back(
            "with cp > 1 torchtitan shards parameters over the context-parallel ranks (FSDP), "
            "where the plan replicates them");
      }
      break;
    case 1:
      reshard = "never";
      if (p.dp * p.cp > 1) {
        not_expressible(out,
                        "torchtitan cannot shard the optimizer state alone (ZeRO-1, Megatron's "
                        "distributed optimizer): this runs FSDP with parameters kept after "
                        "forward, which also shards gradients");
      }
      break;
    case 2:
      reshard = "never";
      if (p.dp * p.cp > 1) {
        out.notes.push_back(
            "ZeRO-2 is FSDP2 with reshard_after_forward off: parameters are gathered once per "
            "micro-batch's forward and kept through its backward");
      }
      break;
    default:
      reshard = "always";
      break;
  }
  if (shard * p.cp == 1) reshard = nullptr;  // FSDP shards over dp_shard x cp

  // --- parallelism checks
  if (p.tp > 1 && !p.sequence_parallel) {
    out.notes.push_back(
        "torchtitan's tensor parallelism always shards norms and activations over the sequence "
        "(sequence parallelism), which the plan has off");
  }
  if (p.cp > 1 && p.cp_algorithm == CpAlgorithm::ulysses) {
    not_expressible(out,
                    "torchtitan's context parallelism is ring attention only, not Ulysses "
                    "all-to-all; this runs ring attention");
  }
  if (m.is_moe() && m.moe.num_experts / p.ep > 1 && p.expert_gemm == ExpertGemm::multi_stream) {
    out.notes.push_back(fmt::format(
        "torchtitan runs each rank's experts as one grouped GEMM (torch._grouped_mm), which the "
        "plan timed as one GEMM per expert on {} streams (--expert-gemm grouped times it as "
        "torchtitan runs it)",
        kExpertGemmStreams));
  }
  if (m.is_moe() && p.ep > 1) {
    // torchtitan borrows expert parallelism from dp_shard x cp (etp = tp) or dp_shard x cp x tp
    // (etp = 1); see expert_parallel_degree in job_config.py.
    bool ok = false;
    if (p.etp == p.tp) {
      ok = p.ep % p.cp == 0 && (shard * p.cp) % p.ep == 0;
    } else if (p.etp == 1) {
      ok = p.ep % (p.cp * p.tp) == 0 && (shard * p.cp * p.tp) % p.ep == 0;
    }
    if (!ok) {
      not_expressible(out, fmt::format("torchtitan forms ep = {} from data_parallel_shard_degree "
                                       "x cp (etp = tp) or x cp x tp (etp = 1); with shard degree "
                                       "{}, cp {}, tp {} and etp {} it cannot",
                                       p.ep, shard, p.cp, p.tp, p.etp));
    }
  }
  if (!launch::same_rank_order(p, kDefaultRankOrder)) {
    not_expressible(out,
                    "torchtitan's device mesh orders ranks tp innermost, then cp, dp, pp; "
                    "the plan's order " +
                        p.rank_order + " differs");
  }
  if (p.pp > 1 && p.schedule == Schedule::zb_h1) {
    not_expressible(out,
                    "PyTorch's zero-bubble schedules (InterleavedZeroBubble, ZBVZeroBubble) run "
                    "several model chunks per rank, not ZB-H1's one: this runs 1F1B");
  }
  if (p.pp > 1 && p.schedule == Schedule::dualpipe) {
    not_expressible(out,
                    "torchtitan's DualPipeV folds 2 x pp stages into a V without duplicating "
                    "parameters, unlike DualPipe's two stages per rank: this runs 1F1B");
  }

  // --- text
  std::string s = fmt::format(
      "# torchtitan job config for {} on {} GPUs\n"
      "# launch: torchrun --nnodes {} --nproc-per-node {} -m torchtitan.train --job.config_file "
      "<this file>\n\n",
      launch::model_label(m), gpus, nodes.nodes, nodes.procs_per_node);
  s += "[model]\n";
  s += "name = " + quoted(tm.name) + "\n";
  s += "flavor = " + quoted(tm.flavor) + "\n";
  if (t.precision == Precision::fp8) s += "converters = [\"quantize.linear.float8\"]\n";

  // torchtitan accumulates gradients when global_batch_size exceeds local_batch_size x dp; under
  // pipeline parallelism the local batch is split into micro-batches instead.
  const int micro_batches = micro_batches_per_step(t, p);
  s += "\n[training]\n";
  s += fmt::format("seq_len = {}\n", t.seq_len);
  s += fmt::format("local_batch_size = {}\n",
                   p.pp > 1 ? p.micro_batch * micro_batches : p.micro_batch);
  s += fmt::format("global_batch_size = {}\n", t.global_batch);
  s += "mixed_precision_param = \"bfloat16\"\n";

  s += "\n[parallelism]\n";
  s += fmt::format("data_parallel_replicate_degree = {}\n", replicate);
  s += fmt::format("data_parallel_shard_degree = {}\n", shard);
  if (reshard) s += "fsdp_reshard_after_forward = " + quoted(reshard) + "\n";
  s += fmt::format("tensor_parallel_degree = {}\n", p.tp);
  s += fmt::format("pipeline_parallel_degree = {}\n", p.pp);
  if (p.pp > 1) {
    s += "pipeline_parallel_schedule = " + quoted(titan_schedule(p.schedule)) + "\n";
    s += fmt::format("pipeline_parallel_microbatch_size = {}\n", p.micro_batch);
    s += "module_fqns_per_model_part = " + module_fqns(launch::layers_per_model_stage(m, p)) + "\n";
  }
  s += fmt::format("context_parallel_degree = {}\n", p.cp);
  if (p.cp > 1) {
    // "alltoall" passes key/value shards from rank to rank as ring attention does; the default
    // "allgather" gathers all of them at once.
    s += "context_parallel_rotate_method = \"alltoall\"\n";
  }
  // TP communication pipelined with its GEMMs: torchtitan's async TP, which needs the model
  // compiled (torchtitan/distributed/tensor_parallel.py raises otherwise).
  const bool async_tp = p.tp_comm_overlap && p.sequence_parallel && p.tp > 1;
  if (async_tp) s += "enable_async_tensor_parallel = true\n";
  if (m.is_moe()) {
    s += fmt::format("expert_parallel_degree = {}\n", p.ep);
    s += fmt::format("expert_tensor_parallel_degree = {}\n", p.etp);
  }

  s += "\n[activation_checkpoint]\n";
  switch (p.recompute) {
    case Recompute::none:
      s += "mode = \"none\"\n";
      break;
    case Recompute::selective:
      s += "mode = \"selective\"\nselective_ac_option = \"op\"\n";
      out.notes.push_back(
          "torchtitan's selective checkpointing (per op) keeps matmul and attention outputs and "
          "recomputes the rest, not the plan's recomputation of " +
          recompute_modules_phrase(p.recompute_modules));
      break;
    case Recompute::full:
      s += "mode = \"full\"\n";
      if (p.recomputes_some_layers()) {
        not_expressible(out,
                        "torchtitan checkpoints every layer in full mode (or every k-th with "
                        "selective_ac_option = \"k\"), not the first " +
                            std::to_string(p.recompute_layers) +
                            " of each stage; this runs full recomputation");
      }
      break;
  }

  if (t.precision == Precision::fp8) {
    s += "\n[quantize.linear.float8]\n";
    s += "recipe_name = \"tensorwise\"\n";
    s += "filter_fqns = [\"output\"]\n";
    if (m.is_moe()) {
      out.notes.push_back(
          "float8 covers the dense linear layers; expert GEMMs stay bf16 unless "
          "[quantize.grouped_mm.float8] (a prototype) is set");
    }
  }

  // float8 linears and async TP both run under torch.compile.
  if (t.precision == Precision::fp8 || async_tp) {
    s += "\n[compile]\nenable = true\ncomponents = [\"model\", \"loss\"]\n";
  }

  if (!nodes.exact) {
    out.notes.push_back(
        fmt::format("{} GPUs do not fill whole nodes of {}: {} processes on each of {} nodes", gpus,
                    gpus_per_node, nodes.procs_per_node, nodes.nodes));
  }
  out.notes.push_back(
      "add what the plan does not choose: hf_assets_path (tokenizer), dataset, [optimizer], "
      "[lr_scheduler], training.steps and [checkpoint]");
  out.text = std::move(s);
  return out;
}

}  // namespace ptsim
