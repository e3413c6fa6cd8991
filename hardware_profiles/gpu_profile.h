// What the simulator knows about one GPU model: datasheet peaks and capacities, and the efficiency
// tables that turn peaks into achieved kernel times. All quantities SI (seconds, bytes, bytes/s,
// FLOP/s). Every number in a shipped profile carries its source in the JSON file.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "hardware_profiles/efficiency_curve.h"

namespace ptsim {

enum class Dtype : std::uint8_t { fp32, tf32, bf16, fp16, fp8 };
inline constexpr std::size_t kDtypeCount = 5;
inline constexpr std::array<const char*, kDtypeCount> kDtypeNames = {"fp32", "tf32", "bf16", "fp16",
                                                                     "fp8"};
inline const char* dtype_name(Dtype d) {
  return kDtypeNames[static_cast<std::size_t>(d)];
}
// Bytes per element of a dtype as stored in memory (tf32 is stored as fp32).
double dtype_bytes(Dtype d);

// GEMM tiling used for tile and wave quantisation (NVIDIA Matrix Multiplication Background
// User's Guide, DU-09799-001, sections 3.1-3.2).
struct GemmTiling {
  int tile_m = 128;
  int tile_n = 256;
  int ctas_per_sm = 1;
  friend bool operator==(const GemmTiling&, const GemmTiling&) = default;
};

struct ComputeEfficiency {
  // x = FLOPs of one GEMM kernel; y = achieved fraction of the dense peak before wave quantisation.
  EfficiencyCurve gemm;
  // Optional tables for GEMMs of one data type, indexed by Dtype; an empty one means `gemm`. An
  // fp8 GEMM on H100 reaches a smaller fraction of its (twice as high) peak than a bf16 one, so one
  // table for all types overstates what fp8 buys.
  std::array<EfficiencyCurve, kDtypeCount> gemm_by_dtype;
  const EfficiencyCurve& gemm_curve(Dtype d) const {
    const EfficiencyCurve& own = gemm_by_dtype[static_cast<std::size_t>(d)];
    return own.empty() ? gemm : own;
  }
  // x = FLOPs of one fused attention kernel call (forward / backward); y = fraction of dense peak.
  EfficiencyCurve attention_forward;
  EfficiencyCurve attention_backward;
  // x = bytes moved by one memory-bound kernel; y = fraction of HBM bandwidth.
  EfficiencyCurve memory;
  GemmTiling tiling;
  double kernel_launch_s = 0;  // fixed cost added to every kernel
  // Fractional slowdown of compute kernels while communication kernels hold SMs on the same GPU
  // (0.05 = 5% longer).
  double comm_overlap_slowdown = 0;
  friend bool operator==(const ComputeEfficiency&, const ComputeEfficiency&) = default;
};

struct GpuProfile {
  std::string name;                                    // catalogue name, e.g. "h100-sxm"
  std::string source;                                  // where the profile as a whole comes from
  std::array<double, kDtypeCount> peak_flops_per_s{};  // dense; 0 = not supported (A100 fp8)
  double hbm_capacity_bytes = 0;
  double hbm_bandwidth_bytes_per_s = 0;
  double nvlink_bandwidth_bytes_per_s = 0;  // per GPU, per direction
  int sm_count = 0;
  ComputeEfficiency efficiency;

  double peak(Dtype d) const { return peak_flops_per_s[static_cast<std::size_t>(d)]; }
  bool supports(Dtype d) const { return peak(d) > 0; }
  friend bool operator==(const GpuProfile&, const GpuProfile&) = default;
};

}  // namespace ptsim
