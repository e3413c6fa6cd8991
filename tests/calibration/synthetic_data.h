// Synthetic measurement sets from closed forms with known parameters, for testing the fits: the
// truth is defined here, the files in data/ are generated from it (make_synthetic_data.cc, see
// data/README.md), and the fit tests check that fitting those files recovers the truth within a
// stated tolerance. Noise is deterministic: a relative error uniform in [-noise, +noise] from
// ptsim's seeded Rng.
#pragma once

#include <cstdint>

#include "calibration/collective.h"
#include "calibration/results_io.h"
#include "hardware_profiles/gpu_profile.h"

namespace ptsim::synthetic {

// The GPU the synthetic measurements pretend to come from (H100 SXM datasheet numbers:
// CALIBRATION_NOTES.md section 5.1).
inline constexpr int kSmCount = 132;
inline constexpr double kPeakBf16 = 989e12;
inline constexpr double kPeakFp8 = 1979e12;
inline constexpr double kPeakTf32 = 494.5e12;
inline constexpr double kHbmBandwidth = 3.35e12;
inline constexpr double kNvlinkBandwidth = 450e9;
inline constexpr std::uint64_t kSeed = 7;

// Compute truth: the simulator's own cost model (cost_models/compute_cost.h) on a GPU with these
// curves, launch overhead and tiling.
inline constexpr double kLaunchS = 2.5e-6;
inline constexpr GemmTiling kTiling{128, 256, 1};
inline constexpr double kComputeNoise = 0.02;
// GEMM efficiency after quantisation: e_max / (1 + (F0 / F)^0.7).
double gemm_efficiency(Dtype d, double flops);
// Attention: 0.35 / (1 + (1e10 / F)^0.8) forward, 0.28 / (1 + (3e10 / F)^0.8) backward.
double attention_efficiency(bool backward, double flops);
// Memory-bound: 0.9 / (1 + (256 KiB / bytes)^0.9).
double memory_efficiency(double bytes);
// That GPU, with the GEMM table of `gemm_dtype`.
GpuProfile true_gpu(Dtype gemm_dtype);

// Collective truth: each group's latency is base + steps * step; NCCL-like protocols: the faster
// of a low-latency one (bus bandwidth kLowLatencyBusbw) and a bulk one (kBulkExtraLatencyS more
// latency, bus bandwidth kBulkBusbw), so every group has two alpha-beta regimes.
inline constexpr double kBaseLatencyS = 8e-6;
inline constexpr double kStepLatencyS = 1e-6;
inline constexpr double kLowLatencyBusbw = 60e9;
inline constexpr double kBulkBusbw = 370e9;
inline constexpr double kBulkExtraLatencyS = 6e-6;
inline constexpr double kCollectiveNoise = 0.01;
double collective_time(Collective c, int ranks, double bytes);
// The size above which the bulk protocol is faster.
double protocol_crossover_bytes(Collective c, int ranks);

// Interference truth: slowdown(k) = 1.1 k / 132 + 0.02.
double interference_slowdown(int held_sms);
inline constexpr double kInterferenceNoise = 0.01;

MeasurementSet compute_set();       // GEMM (bf16, fp8, tf32), attention, memory-bound, empty kernel
MeasurementSet collective_set();    // 2, 4 and 8 GPUs in one node, every collective
MeasurementSet interference_set();  // k = 4 .. 64

}  // namespace ptsim::synthetic
