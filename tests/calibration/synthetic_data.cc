#include "tests/calibration/synthetic_data.h"

// GCC 12 at -O3 reports std::variant's move constructor, inlined into vector growth, as reading
// uninitialised members of alternatives that are not active (GCC bug 80635, a false positive).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <algorithm>
#include <cmath>

#include "calibration/gemm_shapes.h"
#include "calibration/plan.h"
#include "common/rng.h"
#include "cost_models/compute_cost.h"

namespace ptsim::synthetic {

namespace {

Provenance synthetic_provenance(const char* what) {
  Provenance p;
  p.tool = std::string("tests/calibration/synthetic_data.cc: ") + what;
  p.command_line = {"make_synthetic_data"};
  p.date_utc = "2026-01-01T00:00:00Z";
  p.host = "synthetic";
  p.device.name = "synthetic H100 (closed form, tests/calibration/data/README.md)";
  p.device.compute_capability_major = 9;
  p.device.compute_capability_minor = 0;
  p.device.sm_count = kSmCount;
  p.device.memory_bytes = 80e9;
  p.device.l2_bytes = 50e6;
  p.device.sm_clock_hz = 1.98e9;
  p.device.memory_clock_hz = 2.619e9;
  p.device.pci_bus_id = "0000:00:00.0";
  p.devices_visible = 8;
  p.driver_version = "synthetic";
  p.cuda_runtime_version = "synthetic";
  p.cublaslt_version = "synthetic";
  p.nccl_version = "synthetic";
  CalibrationSettings s;
  p.args = s.to_json();
  return p;
}

Timing timing(double t, Rng& rng, double noise) {
  Timing out;
  out.median_s = t * (1.0 + rng.uniform(-noise, noise));
  out.min_s = out.median_s * 0.99;
  out.max_s = out.median_s * 1.01;
  out.repetitions = 5;
  out.iters = 20;
  return out;
}

}  // namespace

double gemm_efficiency(Dtype d, double flops) {
  const double e_max = d == Dtype::fp8 ? 0.65 : d == Dtype::tf32 ? 0.75 : 0.80;
  return e_max / (1.0 + std::pow(3e9 / flops, 0.7));
}

double attention_efficiency(bool backward, double flops) {
  return backward ? 0.28 / (1.0 + std::pow(3e10 / flops, 0.8))
                  : 0.35 / (1.0 + std::pow(1e10 / flops, 0.8));
}

double memory_efficiency(double bytes) {
  return 0.9 / (1.0 + std::pow(262144.0 / bytes, 0.9));
}

double collective_time(Collective c, int ranks, double bytes) {
  const double alpha = kBaseLatencyS + collective_steps(c, ranks) * kStepLatencyS;
  const double f = busbw_factor(c, ranks);
  return std::min(alpha + bytes * f / kLowLatencyBusbw,
                  alpha + kBulkExtraLatencyS + bytes * f / kBulkBusbw);
}

double protocol_crossover_bytes(Collective c, int ranks) {
  const double f = busbw_factor(c, ranks);
  return kBulkExtraLatencyS / (f * (1.0 / kLowLatencyBusbw - 1.0 / kBulkBusbw));
}

double interference_slowdown(int held_sms) {
  return 1.1 * held_sms / kSmCount + 0.02;
}

// The true curves tabulated at 40 points per decade: the log-linear interpolation error of such a
// table is below 0.1 %.
GpuProfile true_gpu(Dtype gemm_dtype) {
  GpuProfile g;
  g.name = "synthetic-h100";
  g.peak_flops_per_s[static_cast<std::size_t>(Dtype::bf16)] = kPeakBf16;
  g.peak_flops_per_s[static_cast<std::size_t>(Dtype::fp8)] = kPeakFp8;
  g.peak_flops_per_s[static_cast<std::size_t>(Dtype::tf32)] = kPeakTf32;
  g.hbm_bandwidth_bytes_per_s = kHbmBandwidth;
  g.sm_count = kSmCount;
  g.efficiency.tiling = kTiling;
  g.efficiency.kernel_launch_s = kLaunchS;
  const auto table = [](double lo, double hi, auto f) {
    EfficiencyCurve c;
    for (double x = lo; x <= hi * 1.0001; x *= std::pow(10.0, 1.0 / 40))
      c.points.push_back({x, f(x)});
    return c;
  };
  g.efficiency.gemm = table(1e6, 1e15, [&](double f) { return gemm_efficiency(gemm_dtype, f); });
  g.efficiency.attention_forward =
      table(1e8, 1e15, [](double f) { return attention_efficiency(false, f); });
  g.efficiency.attention_backward =
      table(1e8, 1e15, [](double f) { return attention_efficiency(true, f); });
  g.efficiency.memory = table(1e3, 1e11, memory_efficiency);
  return g;
}

MeasurementSet compute_set() {
  MeasurementSet set;
  set.provenance = synthetic_provenance("GEMM, attention and memory-bound kernels");
  Rng rng(kSeed);
  // GEMM shapes: every built-in model at TP 1, 2, 8 and micro-batch 1, 4, forward and backward,
  // plus the full plan's grid; three dtypes. Times are the simulator's cost model on the true
  // GPU (compute_cost.h: roofline of the GEMM table after tile and wave quantisation and the
  // memory table, plus launch), with noise.
  GemmShapeOptions opt;
  opt.tensor_parallel = {1, 2, 8};
  opt.micro_batch = {1, 4};
  opt.max_flops = std::int64_t{1} << 44;
  const auto shapes = generate_gemm_shapes(opt);
  for (Dtype d : {Dtype::bf16, Dtype::fp8, Dtype::tf32}) {
    const GpuProfile gpu = true_gpu(d);
    const ComputeCostModel model(gpu);
    for (const GemmShape& s : shapes) {
      if (d == Dtype::fp8 && (s.m % 16 || s.n % 16 || s.k % 16)) continue;  // as the plan does
      GemmMeasurement g;
      g.m = s.m;
      g.n = s.n;
      g.k = s.k;
      g.dtype = d;
      g.origin = s.origin;
      g.timing = timing(model.gemm_time_s(GemmKernel{s.m, s.n, s.k, 1, d}), rng, kComputeNoise);
      g.best_s = g.timing.median_s * 0.97;
      g.best_index = 1;
      g.candidates = 8;
      const double tiles = std::ceil(static_cast<double>(s.m) / kTiling.tile_m) *
                           std::ceil(static_cast<double>(s.n) / kTiling.tile_n);
      g.heuristic0_waves = tiles / kSmCount;
      g.best_waves = g.heuristic0_waves;
      set.measurements.push_back(g);
    }
  }
  const GpuProfile gpu = true_gpu(Dtype::bf16);
  const ComputeCostModel model(gpu);
  CalibrationSettings settings;
  settings.what = {Area::attention, Area::memory};
  const CalibrationPlan plan = make_plan(settings);
  for (AttentionMeasurement a : plan.attention) {
    a.implementation = "synthetic";
    AttentionKernel k;
    k.batch = a.batch;
    k.heads = a.heads;
    k.kv_heads = a.kv_heads;
    k.q_len = k.kv_len = a.seq;
    k.head_dim_qk = k.head_dim_v = a.head_dim;
    k.causal = a.causal;
    k.backward = a.backward;
    a.timing = timing(model.attention_time_s(k), rng, kComputeNoise);
    set.measurements.push_back(a);
  }
  for (MemoryMeasurement m : plan.memory) {
    const double t =
        m.op == MemoryOp::empty
            ? kLaunchS
            : model.memory_bound_time_s(MemoryBoundKernel{MemoryBoundKind::copy, m.bytes, 0});
    m.timing = timing(t, rng, kComputeNoise);
    set.measurements.push_back(m);
  }
  return set;
}

MeasurementSet collective_set() {
  MeasurementSet set;
  set.provenance = synthetic_provenance("NCCL collectives inside one node");
  set.provenance.nccl_version = "synthetic";
  Rng rng(kSeed + 1);
  for (int ranks : {2, 4, 8}) {
    for (int ci = 0; ci < kCollectiveCount; ++ci) {
      const auto c = static_cast<Collective>(ci);
      std::int64_t last = 0;
      for (double b = 8; b <= 8.0 * (1 << 30); b *= 2) {
        const std::int64_t count = collective_count_for_bytes(c, b, ranks, 4);
        if (count == 0 || count == last) continue;
        last = count;
        CollectiveMeasurement m;
        m.collective = c;
        m.ranks = ranks;
        m.nodes = 1;
        m.count = count;
        m.bytes = collective_message_bytes(c, count, ranks, 4);
        m.timing = timing(collective_time(c, ranks, m.bytes), rng, kCollectiveNoise);
        m.algbw_bytes_per_s = m.bytes / m.timing.median_s;
        m.busbw_bytes_per_s = m.algbw_bytes_per_s * busbw_factor(c, ranks);
        set.measurements.push_back(m);
      }
    }
  }
  return set;
}

MeasurementSet interference_set() {
  MeasurementSet set;
  set.provenance = synthetic_provenance("GEMM beside a bandwidth-bound kernel");
  Rng rng(kSeed + 2);
  const double alone = 1.4e-3;  // an 8192^3 bf16 GEMM at about 790 TFLOP/s
  for (int k : {4, 8, 16, 24, 32, 48, 64}) {
    InterferenceMeasurement i;
    i.held_sms = k;
    i.sm_count = kSmCount;
    i.m = i.n = i.k = 8192;
    i.alone_s = alone;
    i.timing = timing(alone * (1.0 + interference_slowdown(k)), rng, kInterferenceNoise);
    i.comm_bytes_per_s = 20e9 * k;
    set.measurements.push_back(i);
  }
  return set;
}

}  // namespace ptsim::synthetic
