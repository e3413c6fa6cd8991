// Published measured training runs (tests/data/validation/published_runs.json, a copy of the
// team's shared validation data) turned into configurations the simulator can re-run.
//
// Each record states a model's dimensions, the parallel layout, the hardware and a measured
// throughput in one of several forms. What it leaves unstated is filled from a completions file
// (tests/data/validation/run_completions.json), each completion with its reason, so that every
// convention is data reviewed by hand rather than code. The measured throughput becomes tokens per
// second per GPU: directly, from the step time, or by inverting the FLOP formula the source used
// (Megatron-LM 2021 eq. 3 with full recompute; Megatron-Core's model FLOPs with the causal
// attention-core count for the 2025 Megatron-MoE model zoo, which reproduces its published
// 276 TFLOP/s at 17.6 s for Qwen3-235B on 256 H100). Per-layer records (Korthikanti Table 4) are
// compared on one layer's forward + backward time.
#pragma once

#include <string>
#include <vector>

#include "common/json_reader.h"
#include "common/result.h"
#include "hardware_profiles/cluster_profile.h"
#include "sim/workload/model_spec.h"
#include "sim/workload/parallel_config.h"
#include "sim/workload/training_config.h"

namespace ptsim {

struct PublishedRun {
  std::string id;
  std::string family;  // id prefix: mlm21, k22, mcore08, mzoo, bloom176b
  std::string source;
  bool per_layer = false;
  ModelSpec model;
  TrainingConfig training;
  ParallelConfig parallel;
  std::string cluster;        // catalogue cluster name
  std::string gpu;            // catalogue GPU name (overrides the cluster's)
  std::string nic_bandwidth;  // "" = the cluster's
  int gpus = 0;
  // The pipeline schedules the run's framework offered (empty: not stated). The planner's
  // ranking of the run searches only these, as it holds the rest of the run's software.
  std::vector<Schedule> framework_schedules;
  // Layout fields the source leaves unstated, whose value here is a convention (completion field
  // `ranking_searches`: micro_batch_size, vpp, tp_pp_split). The planner's ranking does not hold
  // the published layout to the convention: it stands for the fastest layout that agrees with
  // everything the source states, these fields searched (published_ranking.h).
  //
  // `layout`: the source gives a measured throughput for a job but not the layout that reached
  // it (completion value "layout"). Its unstated tp, pp and dp are 0 in `parallel`, so that no
  // caller can simulate them by mistake; the planner's fastest layout with the run's software
  // stands for it (plan_published_layout, published_ranking.h), and there is nothing to rank.
  struct ConventionalLayout {
    bool micro_batch = false;
    bool vpp = false;          // the chunk count, and with it whether the schedule interleaves
    bool tp_pp_split = false;  // only tp x pp (the model-parallel size) stated
    bool layout = false;       // tp, pp and dp not all stated: the planner chooses the layout
    bool any() const { return micro_batch || vpp || tp_pp_split || layout; }
  };
  ConventionalLayout ranking_searches;
  // The highest ZeRO stage the run's framework could pipeline (completion field
  // `framework_pipeline_zero_max`; -1: no limit stated). DeepSpeed's pipeline engine refuses
  // ZeRO-2 and -3, so the ranking of a DeepSpeed ZeRO-3 run searches no pipelines.
  int framework_pipeline_zero_max = -1;
  // Measured: tokens per second per GPU (end to end) or seconds per layer (per_layer).
  double measured = 0;
  std::string measured_from;             // which field it came from
  std::vector<std::string> completions;  // reasons of the completions applied
};

struct SkippedRun {
  std::string id;
  std::string reason;
};

struct PublishedRuns {
  std::vector<PublishedRun> runs;
  std::vector<SkippedRun> skipped;
};

Result<PublishedRuns> load_published_runs(const Json& runs, const std::string& runs_source,
                                          const Json& completions,
                                          const std::string& completions_source);

// The run's hardware: its catalogue cluster with the run's GPU and network bandwidth.
Result<ClusterProfile> published_run_cluster(const PublishedRun& run);

// Megatron-Core's model FLOPs per step (megatron/training/training.py,
// num_floating_point_operations). Megatron-Core r0.8 counts the attention core in full; later
// versions (the 2025 Megatron-MoE model zoo) count the causal half.
enum class AttentionCoreCount { full, causal };
double megatron_core_flops(const ModelSpec& m, int seq_len, int global_batch,
                           AttentionCoreCount attention_core);

// Narayanan et al. 2021 eq. 3: 96 B s l h^2 (1 + s/(6h) + V/(16 l h)).
double megatron_eq3_flops(double batch, double seq, double layers, double hidden, double vocab);

}  // namespace ptsim
