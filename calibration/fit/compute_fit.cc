#include "calibration/fit/compute_fit.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "calibration/fit/curve_fit.h"
#include "calibration/fit/least_squares.h"

namespace ptsim {

namespace {

// A sample of one kernel class: its size on the curve's axis, the work that scales with the
// efficiency (FLOPs or bytes divided by the peak and by quantisation), and the measured time.
struct KernelSample {
  double x;        // curve axis: FLOPs or bytes
  double ideal_s;  // time at 100 % efficiency, quantisation included
  double measured_s;
};

// A sample says something about efficiency only if the kernel's work is a visible part of its
// time: when the launch overhead is over 95 % of it, the noise on the time is larger than the
// work, and the sample is left out of the table (its time is still predicted and counted in the
// residual). If no sample of a class is informative, all are used, with the work time floored
// at 5 % of the measured time.
constexpr double kInformativeWorkFraction = 0.05;

ClassFit fit_class(const std::vector<KernelSample>& samples, double launch_s, double bin_decades,
                   const std::string& source) {
  ClassFit out;
  std::vector<CurveSample> informative, all;
  for (const auto& s : samples) {
    const double work = s.measured_s - launch_s;
    const double floored = std::max(work, kInformativeWorkFraction * s.measured_s);
    all.push_back({s.x, s.ideal_s / floored});
    if (work >= kInformativeWorkFraction * s.measured_s) informative.push_back(all.back());
  }
  out.curve = tabulate_efficiency(informative.empty() ? all : informative, bin_decades, source);
  out.points = static_cast<int>(samples.size());
  if (samples.empty()) return out;
  std::vector<double> predicted, measured;
  for (const auto& s : samples) {
    predicted.push_back(launch_s + s.ideal_s / out.curve.at(s.x));
    measured.push_back(s.measured_s);
  }
  out.rms_relative_error = rms_relative_error(predicted, measured);
  out.curve.source += fmt::format("; {} points, RMS relative error {:.1f} %", out.points,
                                  100 * out.rms_relative_error);
  return out;
}

std::vector<KernelSample> gemm_samples(const std::vector<GemmMeasurement>& gemms, Dtype dtype,
                                       const GpuProfile& gpu, const GemmTiling& tiling,
                                       bool use_best) {
  std::vector<KernelSample> out;
  const double peak = gpu.peak(dtype);
  if (peak <= 0) return out;
  for (const auto& g : gemms) {
    if (g.dtype != dtype || g.wrong != 0) continue;
    const double q = gemm_quantisation_efficiency(g.m, g.n, tiling, gpu.sm_count);
    out.push_back({g.flops(), g.flops() / (peak * q), use_best ? g.best_s : g.timing.median_s});
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
        "median per-kernel time of {} empty-kernel measurement(s), launched "
        "back to back",
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

}  // namespace

double gemm_quantisation_efficiency(std::int64_t m, std::int64_t n, const GemmTiling& tiling,
                                    int sm_count) {
  PTSIM_CHECK(tiling.tile_m > 0 && tiling.tile_n > 0 && tiling.ctas_per_sm > 0 && sm_count > 0,
              "gemm_quantisation_efficiency: bad tiling or SM count");
  const std::int64_t tiles =
      ((m + tiling.tile_m - 1) / tiling.tile_m) * ((n + tiling.tile_n - 1) / tiling.tile_n);
  const std::int64_t slots = static_cast<std::int64_t>(sm_count) * tiling.ctas_per_sm;
  const std::int64_t waves = (tiles + slots - 1) / slots;
  return static_cast<double>(m) * static_cast<double>(n) /
         (static_cast<double>(waves) * static_cast<double>(slots) * tiling.tile_m * tiling.tile_n);
}

std::vector<GemmTiling> candidate_gemm_tilings() {
  std::vector<GemmTiling> out;
  for (int ctas : {1, 2}) {
    for (auto [tm, tn] : {std::pair{128, 256}, std::pair{256, 128}, std::pair{128, 128},
                          std::pair{64, 128}, std::pair{128, 64}}) {
      out.push_back({tm, tn, ctas});
    }
  }
  return out;
}

ComputeFit fit_compute(const MeasurementSet& data, const GpuProfile& gpu,
                       const ComputeFitOptions& options) {
  PTSIM_CHECK(gpu.sm_count > 0, "fit_compute: the GPU profile needs an SM count");
  ComputeFit out;
  out.kernel_launch_s = launch_overhead(data, out.launch_source, out.launch_measured);
  const double launch = out.kernel_launch_s;
  const std::string& src = options.source;

  // GEMM: choose the tiling whose fitted table reproduces the measured times best.
  const auto gemms = data.all<GemmMeasurement>();
  int gemm_wrong = 0;
  for (const auto& g : gemms)
    gemm_wrong += g.wrong != 0 && g.dtype == options.gemm_dtype;
  bool first = true;
  for (const GemmTiling& tiling : candidate_gemm_tilings()) {
    const auto samples =
        gemm_samples(gemms, options.gemm_dtype, gpu, tiling, options.gemm_use_best);
    if (samples.empty()) break;
    ClassFit fit = fit_class(samples, launch, options.bin_decades,
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
  for (Dtype d : {Dtype::bf16, Dtype::fp8, Dtype::tf32, Dtype::fp16, Dtype::fp32}) {
    const auto samples = gemm_samples(gemms, d, gpu, out.gemm.tiling, options.gemm_use_best);
    if (samples.empty()) continue;
    out.gemm.by_dtype.emplace_back(d, fit_class(samples, launch, options.bin_decades,
                                                src + fmt::format("; GEMM {}", dtype_name(d))));
  }
  double gap_sum = 0;
  int gap_n = 0;
  for (const auto& g : gemms) {
    if (g.heuristic0_waves <= 0 || g.wrong != 0) continue;
    const double w = g.heuristic0_waves;
    const double reported = w / std::ceil(w);
    gap_sum +=
        std::abs(gemm_quantisation_efficiency(g.m, g.n, out.gemm.tiling, gpu.sm_count) - reported);
    ++gap_n;
  }
  out.gemm.mean_wave_model_gap = gap_n > 0 ? gap_sum / gap_n : 0;

  // Attention, forward and backward, against the bf16 peak.
  std::vector<KernelSample> fwd, bwd;
  int fwd_wrong = 0, bwd_wrong = 0;
  for (const auto& a : data.all<AttentionMeasurement>()) {
    if (a.wrong != 0) {
      (a.backward ? bwd_wrong : fwd_wrong)++;
      continue;
    }
    out.attention_implementation = a.implementation;
    (a.backward ? bwd : fwd)
        .push_back({a.flops(), a.flops() / gpu.peak(Dtype::bf16), a.timing.median_s});
  }
  const std::string impl = out.attention_implementation.empty()
                               ? std::string()
                               : " (kernel " + out.attention_implementation + ")";
  out.attention_forward =
      fit_class(fwd, launch, options.bin_decades, src + "; attention forward" + impl);
  out.attention_forward.excluded = fwd_wrong;
  out.attention_backward =
      fit_class(bwd, launch, options.bin_decades, src + "; attention backward" + impl);
  out.attention_backward.excluded = bwd_wrong;

  // Memory-bound kernels, pooled over ops (the profile has one table), with per-op residuals.
  std::vector<KernelSample> mem;
  std::vector<MemoryOp> mem_ops;
  int mem_wrong = 0;
  for (const auto& m : data.all<MemoryMeasurement>()) {
    if (m.op == MemoryOp::empty) continue;
    if (m.wrong != 0) {
      ++mem_wrong;
      continue;
    }
    mem.push_back({m.bytes, m.bytes / gpu.hbm_bandwidth_bytes_per_s, m.timing.median_s});
    mem_ops.push_back(m.op);
  }
  out.memory = fit_class(mem, launch, options.bin_decades, src + "; memory-bound kernels");
  out.memory.excluded = mem_wrong;
  for (int op = 0; op < kMemoryOpCount; ++op) {
    std::vector<double> predicted, measured;
    for (std::size_t i = 0; i < mem.size(); ++i) {
      if (mem_ops[i] != static_cast<MemoryOp>(op)) continue;
      predicted.push_back(launch + mem[i].ideal_s / out.memory.curve.at(mem[i].x));
      measured.push_back(mem[i].measured_s);
    }
    if (!measured.empty()) {
      out.memory_rms_by_op.emplace_back(static_cast<MemoryOp>(op),
                                        rms_relative_error(predicted, measured));
    }
  }
  return out;
}

}  // namespace ptsim
