// The one set of flags that describes a configuration, shared by simulate, planner and whatif
// (DESIGN.md "Names and formats"): workload (--model --layers --seq-len --global-batch
// --precision), cluster
// (--gpus --cluster and the what-if overrides --gpu --gpus-per-node --nic-bandwidth
// --nvlink-bandwidth --oversubscription) and parallelism (--tp --pp --dp --cp --ep --etp --vpp
// --micro-batch --sequence-parallel --zero --recompute --schedule, plus --cp-algorithm and
// --rank-order). In simulate they fix the configuration; in planner each one given pins that
// dimension. Flag values are checked here and turned into one-line InputErrors naming the flag.
#pragma once

#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "common/result.h"
#include "hardware_profiles/cluster_profile.h"
#include "sim/workload/model_spec.h"
#include "sim/workload/parallel_config.h"
#include "sim/workload/training_config.h"

namespace ptsim::cli {

inline constexpr const char* kDefaultCluster = "dgx-h100";

struct ConfigFlags {
  // Workload.
  std::string model;
  std::optional<int> layers;
  std::optional<int> seq_len;
  std::optional<int> global_batch;
  std::string precision = "bf16";
  std::string attention = "flash";
  std::optional<double> moe_imbalance;
  std::optional<double> moe_capacity_factor;
  // Cluster.
  std::optional<long long> gpus;
  std::string cluster = kDefaultCluster;
  std::optional<std::string> gpu;
  std::optional<int> gpus_per_node;
  std::optional<std::string> nic_bandwidth;
  std::optional<std::string> nvlink_bandwidth;
  std::optional<double> oversubscription;
  // Parallelism (each optional: pinned when given).
  std::optional<int> tp, pp, dp, cp, ep, etp, vpp, micro_batch, zero;
  std::optional<std::string> sequence_parallel, recompute, schedule, cp_algorithm, rank_order;
  // Expert knobs: framework behaviours (on|off).
  FrameworkSwitchFlags switches;
  std::optional<std::string> recompute_modules;
  std::optional<int> recompute_layers;
  std::optional<std::string> ep_dispatcher;
  std::optional<std::string> expert_gemm;
  std::optional<std::string> zero3_gather;
};

// Registers the flags on `app`. `model_required` makes --model mandatory (simulate);
// `gpus_required` likewise for --gpus.
void add_config_flags(CLI::App& app, ConfigFlags& flags, bool model_required, bool gpus_required);

// Everything the flags resolve to apart from the parallel layout.
struct ResolvedWorkload {
  ModelSpec model;
  TrainingConfig training;
  ClusterProfile cluster;
  int gpus = 0;
};
Result<ResolvedWorkload> resolve_workload(const ConfigFlags& flags);

// Parses an enum-valued flag; errors list the accepted values.
Result<Schedule> parse_schedule(const std::string& text);
Result<Recompute> parse_recompute(const std::string& text);
Result<CpAlgorithm> parse_cp_algorithm(const std::string& text);
Result<Zero3Gather> parse_zero3_gather(const std::string& text);
Result<MoeDispatcher> parse_moe_dispatcher(const std::string& text);
Result<ExpertGemm> parse_expert_gemm(const std::string& text);

// The fully pinned configuration simulate runs: unset sizes default to 1, dp is derived from the
// GPU count, sequence parallelism defaults to on when tp > 1, the schedule to interleaved when
// vpp > 1 and 1F1B otherwise.
Result<ParallelConfig> resolve_fixed_parallel(const ConfigFlags& flags, const ResolvedWorkload& w);

// The flags that set what a configuration rule (config_rules.h, and evaluate's
// precision_supported) checks, for naming them in the one-line error: "--tp" or "--gpus/--tp/...".
std::string flags_of_rule(std::string_view rule);

}  // namespace ptsim::cli
