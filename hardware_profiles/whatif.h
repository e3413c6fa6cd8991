// What-if overrides on a loaded cluster: the flags --gpu, --gpus-per-node, --nic-bandwidth,
// --nvlink-bandwidth and --oversubscription, shared by simulate, planner and whatif.
//
// What each one changes, and only that (besides a note appended to the cluster's source):
// * --gpu NAME|file.json: cluster.gpu becomes that profile (a file may be a GPU profile or a
//   calibrated cluster profile, whose GPU is taken), and the cluster's NVLink bandwidth
//   follows the new GPU's unless --nvlink-bandwidth is also given. The fabric stays the
//   cluster's: NVLS, NICs, latencies, collective tuning and memory overheads are unchanged (so
//   `--cluster dgx-h100 --gpu a100-80g` keeps NVLS; use --cluster dgx-a100 for a real A100 system).
// * --gpus-per-node N: the node size. A domain equal to the node (DGX, HGX) stays equal to it; a
//   domain larger than a node (GB200 NVL72) is kept and must stay a multiple of N.
// * --nic-bandwidth: per GPU, per direction. --nvlink-bandwidth: per GPU, per direction.
// * --oversubscription R: leaf downlink : uplink bandwidth, at least 1.
//
// Tests: tests/profiles/whatif_test.cc.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "hardware_profiles/cluster_profile.h"

namespace ptsim {

struct ClusterOverrides {
  std::optional<std::string> gpu;                      // --gpu
  std::optional<int> gpus_per_node;                    // --gpus-per-node
  std::optional<double> nic_bandwidth_bytes_per_s;     // --nic-bandwidth (already SI)
  std::optional<double> nvlink_bandwidth_bytes_per_s;  // --nvlink-bandwidth
  std::optional<double> oversubscription;              // --oversubscription

  bool empty() const {
    return !gpu && !gpus_per_node && !nic_bandwidth_bytes_per_s && !nvlink_bandwidth_bytes_per_s &&
           !oversubscription;
  }
};

// Errors name the flag, e.g. "--oversubscription: must be >= 1, got 0.5".
Result<ClusterProfile> apply_overrides(ClusterProfile cluster, const ClusterOverrides& o);

// Parses a CLI bandwidth flag value such as "400Gb/s" or "450GB/s" (no space needed). A unit is
// required (a bare "400" is ambiguous between bits and bytes) and the value must be > 0.
Result<double> parse_bandwidth_flag(std::string_view text, std::string_view flag);

}  // namespace ptsim
