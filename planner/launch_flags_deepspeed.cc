// A DeepSpeed config (JSON) for a planned configuration. Keys are those of the DeepSpeed config
// documentation (deepspeed.ai/docs/config-json: batch sizes, bf16, zero_optimization,
// activation_checkpointing), its AutoTP training ("tensor_parallel.autotp_size") and
// Ulysses ("sequence_parallel_size") support; planner/LAUNCH_FLAGS.md lists each with its source.
// Pipeline and expert parallelism are model code in DeepSpeed, so the notes say so rather than
// inventing keys.
#include <fmt/format.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>

#include "planner/launch_flags.h"
#include "planner/launch_flags_plan.h"
#include "sim/workload/config_rules.h"

namespace ptsim {

namespace {

void not_expressible(LaunchFlags& out, std::string why) {
  out.expressible = false;
  out.notes.push_back(std::move(why));
}

nlohmann::ordered_json zero_section(const ParallelConfig& p) {
  // DeepSpeed's bucket sizes count elements; the plan's buckets hold 2-byte gradients.
  const long long bucket = std::llround(p.dp_bucket_bytes / 2.0);
  nlohmann::ordered_json z;
  z["stage"] = p.zero_stage;
  if (p.zero_stage == 0) return z;
  z["overlap_comm"] = true;
  z["contiguous_gradients"] = true;
  z["reduce_bucket_size"] = bucket;
  if (p.zero_stage < 3) {
    z["reduce_scatter"] = true;
    z["allgather_bucket_size"] = bucket;
  } else {
    z["stage3_prefetch_bucket_size"] = bucket;
  }
  return z;
}

}  // namespace

LaunchFlags deepspeed_json(const ModelSpec& m, const TrainingConfig& t, const ParallelConfig& p,
                           int gpus, int gpus_per_node) {
  if (auto bad = launch::invalid_plan(kDeepSpeed, m, t, p, gpus)) return *bad;
  LaunchFlags out;
  out.framework = kDeepSpeed;

  nlohmann::ordered_json j;
  // DeepSpeed checks train_batch_size = micro-batch x accumulation steps x data-parallel size,
  // its data-parallel size being the GPUs over tensor, pipeline and sequence parallelism.
  j["train_batch_size"] = t.global_batch;
  j["train_micro_batch_size_per_gpu"] = p.micro_batch;
  j["gradient_accumulation_steps"] = micro_batches_per_step(t, p);
  j["bf16"] = {{"enabled", true}};
  j["zero_optimization"] = zero_section(p);

  if (p.tp > 1) {
    j["tensor_parallel"] = {{"autotp_size", p.tp}};
    out.notes.push_back(
        "tensor parallelism is DeepSpeed AutoTP training (0.16.4+), which shards a Hugging Face "
        "model's linear layers; a model it has no partitioning for needs Megatron-DeepSpeed");
    // DeepSpeedConfig checks the batch against mpu.get_data_parallel_world_size() when given an
    // mpu, else against every GPU (deepspeed/runtime/config.py).
    out.notes.push_back(fmt::format(
        "pass deepspeed.initialize an mpu with the tensor- and data-parallel groups: without one "
        "DeepSpeed checks train_batch_size against all {} GPUs instead of the {} data-parallel "
        "ranks",
        gpus, gpus / (p.tp * p.pp * p.cp)));
    if (p.sequence_parallel) {
      out.notes.push_back(
          "AutoTP has no sequence parallelism: norms and dropout activations stay replicated over "
          "the tensor-parallel ranks");
    }
  }
  if (p.cp > 1) {
    if (p.cp_algorithm == CpAlgorithm::ulysses) {
      j["sequence_parallel_size"] = p.cp;
      out.notes.push_back(
          "Ulysses: the key sizes the sequence-parallel groups; attention must go through "
          "deepspeed.sequence.layer.DistributedAttention (or Arctic Long Sequence Training for "
          "Hugging Face models)");
    } else {
      not_expressible(out, "DeepSpeed has no ring-attention context parallelism (only Ulysses)");
    }
  }
  if (p.recompute == Recompute::full) {
    j["activation_checkpointing"] = {{"partition_activations", false},
                                     {"cpu_checkpointing", false},
                                     {"contiguous_memory_optimization", false}};
    out.notes.push_back(
        "full recomputation: the model checkpoints each layer (Hugging Face "
        "gradient_checkpointing_enable(), or deepspeed.checkpointing.checkpoint, which "
        "activation_checkpointing configures)");
    if (p.recomputes_some_layers()) {
      not_expressible(out, "checkpointing only the first " + std::to_string(p.recompute_layers) +
                               " layers of each pipeline stage is model code, not a DeepSpeed "
                               "key");
    }
  } else if (p.recompute == Recompute::selective) {
    not_expressible(out, "selective recomputation of " +
                             recompute_modules_phrase(p.recompute_modules) +
                             " is model code, not a DeepSpeed key (Megatron-DeepSpeed: "
                             "--recompute-granularity selective)");
  }

  if (p.pp > 1) {
    not_expressible(out, fmt::format("pipeline parallelism needs the model written as a "
                                     "deepspeed.pipe.PipelineModule with num_stages={} (or "
                                     "Megatron-DeepSpeed); the JSON cannot split a model",
                                     p.pp));
    if (p.zero_stage >= 2) {
      not_expressible(out, "DeepSpeed's pipeline engine supports ZeRO stages 0 and 1 only");
    }
    if (p.schedule != Schedule::one_f_one_b) {
      not_expressible(out, std::string("DeepSpeed's pipeline engine runs its own 1F1B schedule, "
                                       "not ") +
                               schedule_name(p.schedule));
    }
  }
  if (m.is_moe() && p.ep > 1) {
    not_expressible(out, fmt::format("expert parallelism is set in model code "
                                     "(deepspeed.moe.layer.MoE(ep_size={})), not in the JSON",
                                     p.ep));
  }
  if (t.precision == Precision::fp8) {
    not_expressible(out,
                    "FP8 GEMMs come from Transformer Engine layers in the model; the DeepSpeed "
                    "config has no FP8 switch (bf16 below)");
  }
  if (!launch::same_rank_order(p, kDefaultRankOrder)) {
    not_expressible(out,
                    "DeepSpeed places ranks tensor-parallel innermost, then data, then "
                    "pipeline; the plan's order " +
                        p.rank_order + " differs");
  }
  if (t.attention == AttentionImpl::unfused) {
    out.notes.push_back("the plan's unfused attention is the model's choice of kernel");
  }

  const launch::NodeLayout nodes = launch::node_layout(gpus, gpus_per_node);
  if (!nodes.exact) {
    out.notes.push_back(
        fmt::format("{} GPUs do not fill whole nodes of {}: {} processes on each of {} nodes", gpus,
                    gpus_per_node, nodes.procs_per_node, nodes.nodes));
  }
  out.notes.push_back(fmt::format(
      "launch: deepspeed --num_nodes {} --num_gpus {} <train.py> --deepspeed_config <this file>; "
      "add the optimizer, scheduler and data the plan does not choose",
      nodes.nodes, nodes.procs_per_node));
  out.text = j.dump(2) + "\n";
  return out;
}

}  // namespace ptsim
