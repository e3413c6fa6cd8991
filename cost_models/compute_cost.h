// Time of one GPU kernel on a GpuProfile.
//
// Models (CALIBRATION_NOTES section 4):
// * GEMM: roofline, max(F / (peak x eff(F) x q), bytes / (HBM x eff_mem(bytes))) + launch, where
//   eff(F) is the profile's GEMM efficiency at this kernel's FLOPs and q the tile and wave
//   quantisation of NVIDIA's Matrix Multiplication Background guide (DU-09799-001 sections
//   3.1-3.2): tiles = ceil(m/tm) ceil(n/tn) per batch entry, tile efficiency
//   m n / (ceil(m/tm) tm ceil(n/tn) tn), waves = ceil(tiles / (SMs x CTAs per SM)), wave efficiency
//   tiles / (waves SMs CTAs). cuBLAS picks its tile orientation, so the better of tm x tn and
//   tn x tm counts. A batch of separate GEMMs on c streams (GemmKernel::streams, Transformer
//   Engine's per-expert GEMMs) runs in rounds of c, each timed as one kernel over its GEMMs.
// * Fused attention: FLOPs as FlashAttention counts them (kernel.h), over the peak times the
//   forward or backward efficiency table, or HBM-bound, whichever is longer, + launch.
// * Memory-bound kernels: bytes over HBM bandwidth times the memory efficiency table (which falls
//   for small kernels), or their FLOPs at the fp32 peak if longer, + launch.
// Leaves out: L2 residency, clock throttling under power limits, kernel fusion beyond what the
// graph states. Validated by tests/simulator/gemm_cost_test.cc (the guide's wave-quantisation
// examples: 133 tiles on 132 SMs take 2 waves at 50%; roofline limits), expert_gemm_test.cc
// (rounds on streams), fp8_gemm_test.cc and, end to end, by `validate` against published runs.
#pragma once

#include <vector>

#include "cost_models/kernel.h"
#include "hardware_profiles/gpu_profile.h"

namespace ptsim {

class ComputeCostModel {
 public:
  explicit ComputeCostModel(const GpuProfile& gpu) : gpu_(gpu) {}
  // The model keeps a reference to the profile: a temporary one would dangle.
  explicit ComputeCostModel(const GpuProfile&& gpu) = delete;

  double time_s(const Kernel& kernel) const;
  double gemm_time_s(const GemmKernel& k) const;
  double attention_time_s(const AttentionKernel& k) const;
  double memory_bound_time_s(const MemoryBoundKernel& k) const;

  // Tile x wave efficiency of a GEMM (in (0, 1]).
  double quantisation_efficiency(const GemmKernel& k) const;

  const GpuProfile& gpu() const { return gpu_; }

 private:
  double memory_time_s(double bytes) const;
  double one_kernel_gemm_s(const GemmKernel& k) const;  // all batch entries in one kernel
  const GpuProfile& gpu_;
};

}  // namespace ptsim
