#include "cost_models/compute_cost.h"

#include <algorithm>
#include <cmath>

#include "common/check.h"

namespace ptsim {

namespace {

double ceil_div(double a, double b) {
  return std::ceil(a / b);
}

double quantisation(const GemmKernel& k, int tile_m, int tile_n, int slots) {
  const double tm = ceil_div(static_cast<double>(k.m), tile_m);
  const double tn = ceil_div(static_cast<double>(k.n), tile_n);
  const double tile_eff = static_cast<double>(k.m) * k.n / (tm * tile_m * tn * tile_n);
  const double tiles = tm * tn * k.batch;
  const double waves = ceil_div(tiles, slots);
  const double wave_eff = tiles / (waves * slots);
  return tile_eff * wave_eff;
}

}  // namespace

double ComputeCostModel::memory_time_s(double bytes) const {
  if (bytes <= 0) return 0;
  const auto& eff = gpu_.efficiency.memory;
  return bytes / (gpu_.hbm_bandwidth_bytes_per_s * eff.at(bytes));
}

double ComputeCostModel::quantisation_efficiency(const GemmKernel& k) const {
  const auto& t = gpu_.efficiency.tiling;
  const int slots = std::max(1, gpu_.sm_count * t.ctas_per_sm);
  return std::max(quantisation(k, t.tile_m, t.tile_n, slots),
                  quantisation(k, t.tile_n, t.tile_m, slots));
}

double ComputeCostModel::one_kernel_gemm_s(const GemmKernel& k) const {
  const double flops = k.flops();
  // An empty dimension: no tiles, no work (cuBLAS returns at once); only the launch is paid.
  if (flops <= 0) return gpu_.efficiency.kernel_launch_s;
  const double peak = gpu_.peak(k.dtype);
  PTSIM_CHECK(peak > 0, "GEMM in a data type the GPU does not support");
  const double eff = gpu_.efficiency.gemm_curve(k.dtype).at(flops) * quantisation_efficiency(k);
  return std::max(flops / (peak * eff), memory_time_s(k.bytes())) + gpu_.efficiency.kernel_launch_s;
}

double ComputeCostModel::gemm_time_s(const GemmKernel& k) const {
  double gemm_s;
  if (k.streams > 0 && k.batch > 1) {
    // Separate GEMMs round-robin on `streams` streams: rounds of up to that many run together,
    // sharing the SMs as one kernel with their combined tiles would.
    const std::int32_t together = std::min(k.streams, k.batch);
    GemmKernel round = k;
    round.streams = 0;
    round.batch = together;
    gemm_s = static_cast<double>(k.batch / together) * one_kernel_gemm_s(round);
    if (const std::int32_t rest = k.batch % together; rest > 0) {
      round.batch = rest;
      gemm_s += one_kernel_gemm_s(round);
    }
  } else {
    gemm_s = one_kernel_gemm_s(k);
  }
  if (!k.quantise_a) return gemm_s;
  return gemm_s + memory_time_s(k.quantise_bytes()) + gpu_.efficiency.kernel_launch_s;
}

double ComputeCostModel::attention_time_s(const AttentionKernel& k) const {
  const double flops = k.flops();
  const double peak = gpu_.peak(k.dtype);
  PTSIM_CHECK(peak > 0, "attention in a data type the GPU does not support");
  const auto& table =
      k.backward ? gpu_.efficiency.attention_backward : gpu_.efficiency.attention_forward;
  return std::max(flops / (peak * table.at(flops)), memory_time_s(k.bytes())) +
         gpu_.efficiency.kernel_launch_s;
}

double ComputeCostModel::memory_bound_time_s(const MemoryBoundKernel& k) const {
  const double compute = k.flops > 0 ? k.flops / gpu_.peak(Dtype::fp32) : 0.0;
  return std::max(memory_time_s(k.bytes), compute) + gpu_.efficiency.kernel_launch_s;
}

double ComputeCostModel::time_s(const Kernel& kernel) const {
  return std::visit(
      [this](const auto& k) -> double {
        using T = std::decay_t<decltype(k)>;
        if constexpr (std::is_same_v<T, GemmKernel>) {
          return gemm_time_s(k);
        } else if constexpr (std::is_same_v<T, AttentionKernel>) {
          return attention_time_s(k);
        } else {
          return memory_bound_time_s(k);
        }
      },
      kernel);
}

}  // namespace ptsim
