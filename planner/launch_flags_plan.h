// Facts about a planned configuration that every framework's launch arguments are built from: the
// exact layer split over pipeline stages, the node layout for the launcher, how the plan's rank
// order compares with the orders a framework can produce, and small text helpers shared by the
// three writers (launch_flags_megatron.cc, launch_flags_torchtitan.cc, launch_flags_deepspeed.cc).
// Internal to the planner library.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "planner/launch_flags.h"
#include "sim/workload/model_spec.h"
#include "sim/workload/parallel_config.h"
#include "sim/workload/training_config.h"

namespace ptsim::launch {

// Model stages in layer order: pp x vpp for the interleaved schedule, pp otherwise (DualPipe's
// ranks each hold two of the pp stages). As sim/workload/pipeline_schedule.h numbers them, model
// stage k lives on pipeline rank k % pp as its chunk k / pp.
int model_stage_count(const ParallelConfig& p);

// Transformer layers on each model stage, as the workload builder splits them
// (sim/workload/step_builder.cc, StepBuilder::assign_layers): an even share each, the remainder
// going to the middle stages first, then to the last stage, then to the first, because the first
// and last stages also carry the embedding and the LM head (Llama 3 405B: 126 layers on 16 stages,
// 7 on the first and last, 8 on the others). tests/planner/layer_split_test.cc checks this against
// the builder's own StepGraph::layers_per_model_stage.
std::vector<int> layers_per_model_stage(const ModelSpec& m, const ParallelConfig& p);

// Nodes and processes per node for a launcher (torchrun, deepspeed): nodes x procs_per_node is
// always `gpus`. `exact` is false when the GPUs do not fill whole nodes; the launch then uses the
// most processes per node that divides the GPU count.
struct NodeLayout {
  int nodes = 1;
  int procs_per_node = 1;
  bool exact = true;
};
NodeLayout node_layout(int gpus, int gpus_per_node);

// The plan's rank order compared with an order string a framework produces: equal when both put
// the dimensions larger than 1 in the same order, in the decoder layout (tp, cp, dp, pp) and in the
// expert layout (etp, ep, expert-dp, pp) alike (sim/workload/rank_layout.h). An order that does
// not parse never matches.
bool same_rank_order(const ParallelConfig& p, std::string_view framework_order);

// The order Megatron-LM's --use-tp-pp-dp-mapping selects (megatron/training/arguments.py).
inline constexpr const char* kTpPpDpOrder = "tp-cp-ep-pp-dp";

// When the configuration breaks a rule of sim/workload/config_rules.h: the LaunchFlags to return
// (not expressible, one note naming the rule, no text).
std::optional<LaunchFlags> invalid_plan(const char* framework, const ModelSpec& m,
                                        const TrainingConfig& t, const ParallelConfig& p, int gpus);

// Shortest decimal that reads back as the same double (capacity factors, ratios).
std::string decimal(double v);

// One sentence describing the model for comments: "llama3-70b (80 layers, hidden 8192)".
std::string model_label(const ModelSpec& m);

}  // namespace ptsim::launch
