// How a model's transformer layers split over pipeline model stages (pp x vpp of them).
#pragma once

#include <vector>

namespace ptsim {

// Layers per model stage, as Megatron splits them and as Llama 3 405B did (126 layers on 16
// stages: one fewer on the first and last stage): an even share each, the remainder going to the
// middle stages first because the first and last also hold the embedding and the LM head. With
// fewer layers than stages the first and last may hold none (Megatron's
// --account-for-embedding/loss-in-pipeline-split). Needs layers >= stages - 2 (>= stages when
// stages <= 2); config_rules states that rule as pp_layers.
std::vector<int> split_layers_over_stages(int layers, int stages);

}  // namespace ptsim
