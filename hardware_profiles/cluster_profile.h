// A cluster: nodes of GPUs joined by an NVLink/NVSwitch domain, one NIC per GPU on a
// rail-optimised fat tree (NIC k of every node on rail k's leaf switch; scalable units of
// `nodes_per_scalable_unit` nodes share leaves, spines join the units), plus the collective
// tuning measured on it and the memory the framework takes beside the model.
#pragma once

#include <string>

#include "hardware_profiles/efficiency_curve.h"
#include "hardware_profiles/gpu_profile.h"

namespace ptsim {

// How collectives perform on one class of link, in the manner of NCCL's tuning model:
// time = base_latency_s + steps * step_latency_s + bytes_on_link / (bandwidth * efficiency(size)).
struct CollectiveTuning {
  EfficiencyCurve bus_bandwidth_efficiency;  // x = collective message bytes (nccl-tests S)
  double base_latency_s = 0;                 // per collective launch
  double step_latency_s = 0;                 // per algorithm step on this link class
  friend bool operator==(const CollectiveTuning&, const CollectiveTuning&) = default;
};

// Memory the framework takes beside weights, gradients, optimizer state and activations.
struct MemoryOverheads {
  double cuda_context_bytes = 0;       // CUDA context, cuBLAS workspaces, kernels
  double nccl_buffer_bytes = 0;        // per communicator the rank belongs to
  double allocator_fragmentation = 0;  // fraction added to the peak of allocated tensors
  friend bool operator==(const MemoryOverheads&, const MemoryOverheads&) = default;
};

struct ClusterProfile {
  std::string name;
  std::string source;
  GpuProfile gpu;
  int gpus_per_node = 8;
  int nvlink_domain_gpus = 8;               // GPUs sharing one NVSwitch domain (72 for NVL72)
  double nvlink_bandwidth_bytes_per_s = 0;  // per GPU, per direction
  bool nvls = false;                        // NVSwitch in-network reduction (NVLink SHARP)
  double nic_bandwidth_bytes_per_s = 0;     // per GPU, per direction
  int nodes_per_scalable_unit = 32;
  double oversubscription = 1.0;         // leaf downlink : uplink bandwidth (1 = non-blocking)
  double nvlink_latency_s = 0;           // one NVLink/NVSwitch hop
  double nic_latency_s = 0;              // NIC and PCIe to the wire, per end
  double switch_latency_s = 0;           // one InfiniBand switch hop
  CollectiveTuning nvlink_collectives;   // ring/tree steps on NVLink
  CollectiveTuning nvls_collectives;     // in-switch reduction (used when nvls)
  CollectiveTuning network_collectives;  // steps that cross the InfiniBand fabric
  MemoryOverheads memory;
  friend bool operator==(const ClusterProfile&, const ClusterProfile&) = default;
};

}  // namespace ptsim
