// Fits the compute side of a GPU profile from kernel measurements:
//
// * kernel launch overhead: the median per-kernel time of an empty kernel launched back to back;
// * GEMM: time = launch + 2mnk / (peak(dtype) * eff(2mnk) * q(m, n)), where q is the tile and
//   wave quantisation of the GEMM's output tiles on the GPU's SMs (NVIDIA, Matrix Multiplication
//   Background User's Guide, DU-09799-001, sections 3.1-3.2) exactly as the simulator's cost
//   model computes it (cost_models/compute_cost.h, the better of the two tile orientations). The
//   tiling (tile sizes, CTAs per SM) is chosen among common cuBLAS tile shapes as the one whose
//   fit reproduces the measured times best; eff is tabulated against FLOPs once q is divided out;
// * attention forward and backward: time = launch + flops / (peak(bf16) * eff(flops)), flops as
//   FlashAttention counts them;
// * memory-bound kernels: time = launch + bytes / (hbm_bandwidth * eff(bytes)).
//
// Residuals are those of the simulator itself: each measured kernel is timed by
// ComputeCostModel on the fitted profile and compared with its measured time (RMS relative
// error). Measurements with wrong results are left out and counted. Validated by
// tests/calibration/compute_fit_test.cc on synthetic measurements from known curves
// (tests/calibration/data/README.md).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "calibration/measurement.h"
#include "calibration/results_io.h"
#include "cost_models/kernel.h"
#include "hardware_profiles/efficiency_curve.h"
#include "hardware_profiles/gpu_profile.h"

namespace ptsim {

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
  // RMS relative error of the fitted profile timing each dtype (the main table for the main dtype,
  // each other measured dtype's own table for it).
  std::vector<std::pair<Dtype, double>> profile_rms_by_dtype;
  // The same with the main dtype's table for every dtype: what a single table would cost.
  std::vector<std::pair<Dtype, double>> one_table_rms_by_dtype;
  // Mean |q(tiling) - q(cuBLASLt)| where q(cuBLASLt) = waves / ceil(waves) from wavesCount: how
  // far the chosen tiling's wave model is from what cuBLASLt reported for its kernels.
  double mean_wave_model_gap = 0;
};

struct ComputeFit {
  double kernel_launch_s = 0;
  std::string launch_source;  // how the launch overhead was obtained
  bool launch_measured = false;
  GemmFit gemm;
  Dtype gemm_dtype = Dtype::bf16;  // whose table is `gemm`; the other dtypes' go to gemm_by_dtype
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

// `gpu` supplies peaks, HBM bandwidth and the SM count. The result's tables are not yet in any
// profile; apply_compute_fit() puts them there.
ComputeFit fit_compute(const MeasurementSet& data, const GpuProfile& gpu,
                       const ComputeFitOptions& options);

// Copies every measured table (and the launch overhead and tiling) of `fit` into `gpu`.
void apply_compute_fit(const ComputeFit& fit, GpuProfile& gpu);

// The tilings the GEMM fit chooses among, in the order ties are broken (the cost model tries
// both orientations of a tile, so 256x128 is 128x256).
std::vector<GemmTiling> candidate_gemm_tilings();

}  // namespace ptsim
