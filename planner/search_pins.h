// The configuration flags as the planner reads them: each one given pins its dimension
// (DESIGN.md "Names and formats"). Values arrive as the command line gave them; bad ones become
// one-line InputErrors naming the flag.
#pragma once

#include <optional>
#include <string>

#include "common/result.h"
#include "planner/config_space.h"

namespace ptsim {

struct PinFlags {
  std::optional<int> tp, pp, dp, cp, ep, etp, vpp, micro_batch, zero;
  std::optional<std::string> sequence_parallel, recompute, schedule, cp_algorithm, rank_order;
  std::optional<std::string> zero3_gather, ep_dispatcher, expert_gemm, recompute_modules;
  std::optional<int> recompute_layers;
  FrameworkSwitchFlags switches;
};

Result<SearchPins> make_search_pins(const PinFlags& flags);

// The dimensions a search ranges over and those pinned, as words for the report:
// {"tp pp dp cp vpp micro-batch zero recompute schedule", "tp 8, schedule 1f1b"}.
struct PinSummary {
  std::string searched;
  std::string pinned;
};
PinSummary summarize_pins(const SearchPins& pins, bool moe);

}  // namespace ptsim
