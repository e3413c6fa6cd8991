// Launch arguments that realise a planned configuration in the frameworks people train with:
// Megatron-LM command-line flags, a torchtitan job config (TOML), and a DeepSpeed config (JSON).
//
// What it covers: the model shape each framework needs to build the same network, the five
// parallel dimensions and their sub-options (sequence parallelism, virtual pipeline stages and
// the exact layer split over pipeline stages, context-parallel algorithm, expert tensor
// parallelism, ZeRO stage / FSDP, rank order), the batch (micro-batch, global batch, gradient
// accumulation), activation recomputation, the pipeline schedule and the precision.
// What it leaves out: everything the plan does not choose (data, tokenizer, optimizer
// hyper-parameters, learning-rate schedule, checkpointing, rotary base, norm epsilon); each
// framework's text says so in a note.
//
// Where a framework cannot realise part of the plan (a schedule it does not have, a ZeRO stage it
// cannot shard to, a parallel dimension that needs model code) `expressible` is false and a note
// says why; `text` then holds the nearest configuration the framework can run, and the notes say
// how it differs. Every flag and key name, with the source it was taken from, is listed in
// planner/LAUNCH_FLAGS.md.
//
// The text is deterministic: fixed flag and key order, integers printed exactly.
// Validated by tests/planner/: golden outputs for hand-checked plans, parse-back properties over
// random valid configurations, and the "cannot express" notes.
#pragma once

#include <string>
#include <vector>

#include "sim/workload/model_spec.h"
#include "sim/workload/parallel_config.h"
#include "sim/workload/training_config.h"

namespace ptsim {

struct LaunchFlags {
  std::string framework;           // "megatron-lm", "torchtitan", "deepspeed"
  bool expressible = true;         // false when the framework cannot realise this plan
  std::vector<std::string> notes;  // why not / what to watch for (one line each)
  std::string text;                // the flags / TOML / JSON, ready to paste
};

// Framework names, in the order all_launch_flags() returns them.
inline constexpr const char* kMegatronLm = "megatron-lm";
inline constexpr const char* kTorchtitan = "torchtitan";
inline constexpr const char* kDeepSpeed = "deepspeed";

// `gpus` is the number of GPUs the plan fills (tp x pp x dp x cp); `gpus_per_node` (at least 1,
// as the cluster profile guarantees) sets the launcher's node count. A configuration that breaks
// a rule of sim/workload/config_rules.h gives expressible = false, a note naming the rule, and no
// text.
LaunchFlags megatron_flags(const ModelSpec& model, const TrainingConfig& training,
                           const ParallelConfig& parallel, int gpus, int gpus_per_node);
LaunchFlags torchtitan_toml(const ModelSpec& model, const TrainingConfig& training,
                            const ParallelConfig& parallel, int gpus, int gpus_per_node);
LaunchFlags deepspeed_json(const ModelSpec& model, const TrainingConfig& training,
                           const ParallelConfig& parallel, int gpus, int gpus_per_node);

// All three, in the order Megatron-LM, torchtitan, DeepSpeed.
std::vector<LaunchFlags> all_launch_flags(const ModelSpec& model, const TrainingConfig& training,
                                          const ParallelConfig& parallel, int gpus,
                                          int gpus_per_node);

// A human-readable block for reports: per framework a header line with whether it can express the
// plan, its notes as "# " comment lines, then its text.
std::string render_launch_flags(const std::vector<LaunchFlags>& flags);

}  // namespace ptsim
