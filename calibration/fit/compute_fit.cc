#include "calibration/fit/compute_fit.h"

#include <algorithm>
#include <cmath>
#include <functional>

#include <fmt/format.h>

#include "calibration/fit/curve_fit.h"
#include "calibration/fit/least_squares.h"
#include "cost_models/compute_cost.h"

namespace ptsim {

namespace {

// One measured kernel of a class: the cost model's kernel, its position on the table's axis
// (FLOPs or bytes), its time at 100 % efficiency (quantisation included), and its measured time.
struct KernelSample {
  Kernel kernel;
  double x;
  double ideal_s;
  double measured_s;
};

// A sample says something about efficiency only if the kernel's work is a visible part of its
// time: when the launch overhead is over 95 % of it, the noise on the time is larger than the
// work, and the sample is left out of the table (its time is still predicted and counted in the
// residual). If no sample of a class is informative, all are used, with the work time floored
// at 5 % of the measured time.
constexpr double kInformativeWorkFraction = 0.05;

EfficiencyCurve tabulate(const std::vector<KernelSample>& samples, double launch_s,
                         double bin_decades, const std::string& source) {
  std::vector<CurveSample> informative, all;
  for (const auto& s : samples) {
    const double work = s.measured_s - launch_s;
    const double floored = std::max(work, kInformativeWorkFraction * s.measured_s);
    all.push_back({s.x, s.ideal_s / floored});
    if (work >= kInformativeWorkFraction * s.measured_s) informative.push_back(all.back());
  }
  return tabulate_efficiency(informative.empty() ? all : informative, bin_decades, source);
}

// RMS relative error of the cost model on `gpu` against the measured times.
double model_rms(const std::vector<KernelSample>& samples, const GpuProfile& gpu) {
  const ComputeCostModel model(gpu);
  std::vector<double> predicted, measured;
  for (const auto& s : samples) {
    predicted.push_back(model.time_s(s.kernel));
    measured.push_back(s.measured_s);
  }
  return rms_relative_error(predicted, measured);
}

// Tabulates `samples` into `table` of `gpu` and reports the fit.
ClassFit fit_class(const std::vector<KernelSample>& samples, GpuProfile& gpu,
                   EfficiencyCurve ComputeEfficiency::*table, double bin_decades,
                   const std::string& source) {
  ClassFit out;
  out.points = static_cast<int>(samples.size());
  if (samples.empty()) return out;
  out.curve = tabulate(samples, gpu.efficiency.kernel_launch_s, bin_decades, source);
  const EfficiencyCurve saved = gpu.efficiency.*table;
  gpu.efficiency.*table = out.curve;
  out.rms_relative_error = model_rms(samples, gpu);
  gpu.efficiency.*table = saved;
  out.curve.source += fmt::format("; {} points, RMS relative error {:.1f} %", out.points,
                                  100 * out.rms_relative_error);
  return out;
}

std::vector<KernelSample> gemm_samples(const std::vector<GemmMeasurement>& gemms, Dtype dtype,
                                       const GpuProfile& gpu, bool use_best) {
  std::vector<KernelSample> out;
  const double peak = gpu.peak(dtype);
  if (peak <= 0) return out;
  const ComputeCostModel model(gpu);
  for (const auto& g : gemms) {
    if (g.dtype != dtype || g.wrong != 0) continue;
    const GemmKernel k{g.m, g.n, g.k, 1, g.dtype};
    out.push_back({k, g.flops(), g.flops() / (peak * model.quantisation_efficiency(k)),
                   use_best ? g.best_s : g.timing.median_s});
  }
  return out;
}

double launch_overhead(const MeasurementSet& data, std::string& source, bool& measured) {
  std::vector<double> empty_times, all_times;
  for (const auto& m : data.all<MemoryMeasurement>()) {
    if (m.wrong != 0) continue;
    if (m.op == MemoryOp::empty) empty_times.push_back(m.timing.median_s);
    all_times.push_back(m.timing.median_s);
  }
  if (!empty_times.empty()) {
    measured = true;
    source = fmt::format(
        "median per-kernel time of {} empty-kernel measurement(s), launched back to back",
        empty_times.size());
    return median(empty_times);
  }
  measured = false;
  if (!all_times.empty()) {
    source = "no empty-kernel measurement: the fastest memory-bound kernel (an upper bound)";
    return *std::min_element(all_times.begin(), all_times.end());
  }
  source = "not measured";
  return 0;
}

MemoryBoundKind kind_of(MemoryOp op) {
  switch (op) {
    case MemoryOp::rmsnorm:
    case MemoryOp::layernorm:
      return MemoryBoundKind::norm;
    case MemoryOp::swiglu:
    case MemoryOp::gelu:
      return MemoryBoundKind::activation;
    case MemoryOp::rope:
      return MemoryBoundKind::rope;
    case MemoryOp::cross_entropy:
      return MemoryBoundKind::softmax;
    case MemoryOp::adam:
      return MemoryBoundKind::optimizer;
    case MemoryOp::copy:
    case MemoryOp::empty:
      return MemoryBoundKind::copy;
  }
  return MemoryBoundKind::copy;
}

// The GEMM tables a fit puts into a profile: `gemm` from the main dtype, and for every other
// measured dtype a table of its own (an fp8 GEMM reaches a smaller fraction of its peak than a
// bf16 one). Per-dtype tables of the base for dtypes not measured stay as they are.
void apply_gemm_fit(const GemmFit& fit, Dtype main_dtype, ComputeEfficiency& e) {
  if (fit.fit.points == 0) return;
  e.gemm = fit.fit.curve;
  e.tiling = fit.tiling;
  for (const auto& [d, f] : fit.by_dtype) {
    if (f.points == 0) continue;
    e.gemm_by_dtype[static_cast<std::size_t>(d)] = d == main_dtype ? EfficiencyCurve{} : f.curve;
  }
}

}  // namespace

std::vector<GemmTiling> candidate_gemm_tilings() {
  std::vector<GemmTiling> out;
  for (int ctas : {1, 2}) {
    for (auto [tm, tn] : {std::pair{128, 256}, std::pair{128, 128}, std::pair{64, 128}}) {
      out.push_back({tm, tn, ctas});
    }
  }
  return out;
}

ComputeFit fit_compute(const MeasurementSet& data, const GpuProfile& gpu_in,
                       const ComputeFitOptions& options) {
  PTSIM_CHECK(gpu_in.sm_count > 0, "fit_compute: the GPU profile needs an SM count");
  ComputeFit out;
  GpuProfile gpu = gpu_in;  // takes each fitted table in turn, for the residuals of the next
  // Every GEMM fit below writes `gemm`; per-dtype tables of the base would shadow it.
  gpu.efficiency.gemm_by_dtype = {};
  if (gpu.efficiency.memory.empty()) {
    // No table to start from (a bare GPU in tests): the HBM peak, until the fit replaces it.
    gpu.efficiency.memory = EfficiencyCurve{{{1.0, 1.0}}, "HBM peak"};
  }
  out.kernel_launch_s = launch_overhead(data, out.launch_source, out.launch_measured);
  gpu.efficiency.kernel_launch_s = out.kernel_launch_s;
  const std::string& src = options.source;
  const double bins = options.bin_decades;

  // Memory-bound kernels first: GEMM and attention times are rooflines over the memory table.
  std::vector<KernelSample> mem;
  std::vector<MemoryOp> mem_ops;
  for (const auto& m : data.all<MemoryMeasurement>()) {
    if (m.op == MemoryOp::empty) continue;
    if (m.wrong != 0) {
      ++out.memory.excluded;
      continue;
    }
    mem.push_back({MemoryBoundKernel{kind_of(m.op), m.bytes, 0}, m.bytes,
                   m.bytes / gpu.hbm_bandwidth_bytes_per_s, m.timing.median_s});
    mem_ops.push_back(m.op);
  }
  const int mem_excluded = out.memory.excluded;
  out.memory =
      fit_class(mem, gpu, &ComputeEfficiency::memory, bins, src + "; memory-bound kernels");
  out.memory.excluded = mem_excluded;
  if (out.memory.points > 0) gpu.efficiency.memory = out.memory.curve;
  for (int op = 0; op < kMemoryOpCount; ++op) {
    std::vector<KernelSample> of_op;
    for (std::size_t i = 0; i < mem.size(); ++i) {
      if (mem_ops[i] == static_cast<MemoryOp>(op)) of_op.push_back(mem[i]);
    }
    if (!of_op.empty()) {
      out.memory_rms_by_op.emplace_back(static_cast<MemoryOp>(op), model_rms(of_op, gpu));
    }
  }

  // Attention, forward and backward, against the bf16 peak.
  std::vector<KernelSample> fwd, bwd;
  int fwd_wrong = 0, bwd_wrong = 0;
  for (const auto& a : data.all<AttentionMeasurement>()) {
    if (a.wrong != 0) {
      (a.backward ? bwd_wrong : fwd_wrong)++;
      continue;
    }
    out.attention_implementation = a.implementation;
    AttentionKernel k;
    k.batch = a.batch;
    k.heads = a.heads;
    k.kv_heads = a.kv_heads;
    k.q_len = k.kv_len = a.seq;
    k.head_dim_qk = k.head_dim_v = a.head_dim;
    k.causal = a.causal;
    k.backward = a.backward;
    (a.backward ? bwd : fwd)
        .push_back({k, a.flops(), a.flops() / gpu.peak(Dtype::bf16), a.timing.median_s});
  }
  const std::string impl = out.attention_implementation.empty()
                               ? std::string()
                               : " (kernel " + out.attention_implementation + ")";
  out.attention_forward = fit_class(fwd, gpu, &ComputeEfficiency::attention_forward, bins,
                                    src + "; attention forward" + impl);
  out.attention_forward.excluded = fwd_wrong;
  out.attention_backward = fit_class(bwd, gpu, &ComputeEfficiency::attention_backward, bins,
                                     src + "; attention backward" + impl);
  out.attention_backward.excluded = bwd_wrong;

  // GEMM: the tiling whose fitted table reproduces the measured times best.
  const auto gemms = data.all<GemmMeasurement>();
  int gemm_wrong = 0;
  for (const auto& g : gemms)
    gemm_wrong += g.wrong != 0 && g.dtype == options.gemm_dtype;
  bool first = true;
  for (const GemmTiling& tiling : candidate_gemm_tilings()) {
    gpu.efficiency.tiling = tiling;
    const auto samples = gemm_samples(gemms, options.gemm_dtype, gpu, options.gemm_use_best);
    if (samples.empty()) break;
    ClassFit fit = fit_class(samples, gpu, &ComputeEfficiency::gemm, bins,
                             src + fmt::format("; GEMM {} after tile and wave quantisation "
                                               "({}x{} tiles, {} CTA/SM)",
                                               dtype_name(options.gemm_dtype), tiling.tile_m,
                                               tiling.tile_n, tiling.ctas_per_sm));
    out.gemm.tiling_candidates.emplace_back(tiling, fit.rms_relative_error);
    if (first || fit.rms_relative_error < out.gemm.fit.rms_relative_error) {
      out.gemm.fit = std::move(fit);
      out.gemm.tiling = tiling;
      first = false;
    }
  }
  out.gemm.fit.excluded = gemm_wrong;
  out.gemm_dtype = options.gemm_dtype;
  gpu.efficiency.tiling = out.gemm.tiling;
  std::vector<std::pair<Dtype, std::vector<KernelSample>>> samples_by_dtype;
  for (Dtype d : {Dtype::bf16, Dtype::fp8, Dtype::tf32, Dtype::fp16, Dtype::fp32}) {
    auto samples = gemm_samples(gemms, d, gpu, options.gemm_use_best);
    if (samples.empty()) continue;
    out.gemm.by_dtype.emplace_back(d, fit_class(samples, gpu, &ComputeEfficiency::gemm, bins,
                                                src + fmt::format("; GEMM {}", dtype_name(d))));
    if (out.gemm.fit.points > 0) {
      GpuProfile one_table = gpu;
      one_table.efficiency.gemm = out.gemm.fit.curve;
      out.gemm.one_table_rms_by_dtype.emplace_back(d, model_rms(samples, one_table));
    }
    samples_by_dtype.emplace_back(d, std::move(samples));
  }
  GpuProfile fitted = gpu;
  apply_gemm_fit(out.gemm, options.gemm_dtype, fitted.efficiency);
  for (const auto& [d, samples] : samples_by_dtype)
    out.gemm.profile_rms_by_dtype.emplace_back(d, model_rms(samples, fitted));
  const ComputeCostModel model(gpu);
  double gap_sum = 0;
  int gap_n = 0;
  for (const auto& g : gemms) {
    if (g.heuristic0_waves <= 0 || g.wrong != 0) continue;
    const double w = g.heuristic0_waves;
    const double reported = w / std::ceil(w);
    gap_sum +=
        std::abs(model.quantisation_efficiency(GemmKernel{g.m, g.n, g.k, 1, g.dtype}) - reported);
    ++gap_n;
  }
  out.gemm.mean_wave_model_gap = gap_n > 0 ? gap_sum / gap_n : 0;
  return out;
}

void apply_compute_fit(const ComputeFit& fit, GpuProfile& gpu) {
  ComputeEfficiency& e = gpu.efficiency;
  if (fit.launch_measured) e.kernel_launch_s = fit.kernel_launch_s;
  if (fit.memory.points > 0) e.memory = fit.memory.curve;
  if (fit.attention_forward.points > 0) e.attention_forward = fit.attention_forward.curve;
  if (fit.attention_backward.points > 0) e.attention_backward = fit.attention_backward.curve;
  apply_gemm_fit(fit.gemm, fit.gemm_dtype, e);
}

}  // namespace ptsim
