// Fits the compute side of a GPU profile from kernel measurements:
//
// * kernel launch overhead: the median per-kernel time of an empty kernel launched back to back;
// * GEMM: time = launch + 2mnk / (peak(dtype) * eff(2mnk) * q(m, n)), where q is the tile and
//   wave quantisation of the GEMM's output tiles on the GPU's SMs (NVIDIA, Matrix Multiplication
//   Background User's Guide, DU-09799-001, sections 3.1-3.2). The tiling (tile_m, tile_n, CTAs per
//   SM) is chosen among common cuBLAS tile shapes as the one whose fit reproduces the measured
//   times best; eff is tabulated against FLOPs once q is divided out;
// * attention forward and backward: time = launch + flops / (peak(bf16) * eff(flops)), flops as
//   FlashAttention counts them;
// * memory-bound kernels: time = launch + bytes / (hbm_bandwidth * eff(bytes)).
//
// Each table reports its RMS relative error of predicted against measured time over the points it
// was fitted on. Measurements with wrong results are left out and counted. Validated by
// tests/calibration/compute_fit_test.cc on synthetic measurements from known curves
// (tests/calibration/data/README.md).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "calibration/measurement.h"
#include "calibration/results_io.h"
#include "hardware_profiles/efficiency_curve.h"
#include "hardware_profiles/gpu_profile.h"

namespace ptsim {

// Fraction of the launched tile capacity that does useful work:
// (m n) / (waves * sm_count * ctas_per_sm * tile_m * tile_n), waves = ceil(tiles / (sm_count *
// ctas_per_sm)), tiles = ceil(m / tile_m) * ceil(n / tile_n). Example (DU-09799-001 section 3.2):
// 132 SMs, 133 full tiles -> 2 waves -> 133 / 264 = 50.4 %.
double gemm_quantisation_efficiency(std::int64_t m, std::int64_t n, const GemmTiling& tiling,
                                    int sm_count);

// One efficiency table and how well it reproduces the times it was fitted on.
struct ClassFit {
  EfficiencyCurve curve;
  int points = 0;    // measurements used
  int excluded = 0;  // measurements left out because their results were wrong
  double rms_relative_error = 0;
};

struct GemmFit {
  ClassFit fit;  // of the profile's dtype (bf16)
  GemmTiling tiling;
  // Every candidate tiling with the RMS relative error of its fit, in candidate order: how
  // clearly the data chose the tiling.
  std::vector<std::pair<GemmTiling, double>> tiling_candidates;
  std::vector<std::pair<Dtype, ClassFit>> by_dtype;  // each dtype against its own peak
  // Mean |q(tiling) - q(cuBLASLt)| where q(cuBLASLt) = waves / ceil(waves) from wavesCount: how
  // far the chosen tiling's wave model is from what cuBLASLt reported for its kernels.
  double mean_wave_model_gap = 0;
};

struct ComputeFit {
  double kernel_launch_s = 0;
  std::string launch_source;  // how the launch overhead was obtained
  bool launch_measured = false;
  GemmFit gemm;
  ClassFit attention_forward;
  ClassFit attention_backward;
  ClassFit memory;
  std::vector<std::pair<MemoryOp, double>> memory_rms_by_op;  // RMS relative error per op
  std::string attention_implementation;
};

struct ComputeFitOptions {
  Dtype gemm_dtype = Dtype::bf16;  // the dtype whose table the profile stores
  bool gemm_use_best = false;      // fit best-of-top-k times instead of heuristic #0
  double bin_decades = 0.25;       // width of a table bin in log10(x)
  std::string source;              // provenance text put into each curve's source
};

// `gpu` supplies peaks, HBM bandwidth and the SM count.
ComputeFit fit_compute(const MeasurementSet& data, const GpuProfile& gpu,
                       const ComputeFitOptions& options);

// The tilings the GEMM fit chooses among, in the order ties are broken.
std::vector<GemmTiling> candidate_gemm_tilings();

}  // namespace ptsim
