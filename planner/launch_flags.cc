#include "planner/launch_flags.h"

namespace ptsim {

std::vector<LaunchFlags> all_launch_flags(const ModelSpec& model, const TrainingConfig& training,
                                          const ParallelConfig& parallel, int gpus,
                                          int gpus_per_node) {
  return {megatron_flags(model, training, parallel, gpus, gpus_per_node),
          torchtitan_toml(model, training, parallel, gpus, gpus_per_node),
          deepspeed_json(model, training, parallel, gpus, gpus_per_node)};
}

std::string render_launch_flags(const std::vector<LaunchFlags>& flags) {
  std::string out;
  for (const LaunchFlags& f : flags) {
    if (!out.empty()) out += "\n";
    out +=
        "## " + f.framework + (f.expressible ? "" : " (cannot express this plan exactly)") + "\n";
    for (const std::string& note : f.notes)
      out += "# " + note + "\n";
    out += f.text;
  }
  return out;
}

}  // namespace ptsim
