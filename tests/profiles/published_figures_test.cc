// The shipped profiles reproduce the published figures they were built from. Each test computes
// the published quantity independently (the formula in the comment) and compares it with what the
// profile predicts, with a stated tolerance.
#include <gtest/gtest.h>

#include <cmath>

#include "hardware_profiles/catalogue.h"

namespace ptsim {
namespace {

// Wave efficiency of an M x N GEMM (NVIDIA Matrix Multiplication Background guide, DU-09799-001
// section 3.2): tiles / (waves * SMs * CTAs per SM), waves = ceil(tiles / (SMs * CTAs per SM)).
double wave_efficiency(double m, double n, const GpuProfile& gpu) {
  const auto& t = gpu.efficiency.tiling;
  const double tiles = std::ceil(m / t.tile_m) * std::ceil(n / t.tile_n);
  const double slots = static_cast<double>(gpu.sm_count) * t.ctas_per_sm;
  const double waves = std::ceil(tiles / slots);
  return tiles / (waves * slots);
}

double predicted_gemm_fraction(double m, double n, double k, const GpuProfile& gpu) {
  return gpu.efficiency.gemm.at(2 * m * n * k) * wave_efficiency(m, n, gpu);
}

TEST(ValidationProfiles, H100LargeGemmReproducesTheBestPublishedCublasFigure) {
  // stas00/ml-engineering "Maximum Achievable Matmul FLOPS": H100 SXM bf16 792.1 TFLOP/s at
  // 6144x17920x2816 (CUDA 12.1). Tolerance 3 %: the table is smooth, the measurement is one shape.
  const GpuProfile h100 = load_gpu("h100-sxm").value();
  const double predicted = predicted_gemm_fraction(6144, 17920, 2816, h100);
  EXPECT_NEAR(predicted, 792.1e12 / h100.peak(Dtype::bf16), 0.03 * 0.80);
}

TEST(ValidationProfiles, H100Gemm8192CubedReproducesTheMeasuredRate) {
  // CALIBRATION_NOTES 4.3 [37]: 798 TFLOP/s for 8192^3 bf16 with random data on one H100 SXM.
  const GpuProfile h100 = load_gpu("h100-sxm").value();
  const double predicted = predicted_gemm_fraction(8192, 8192, 8192, h100);
  EXPECT_NEAR(predicted * h100.peak(Dtype::bf16), 798e12, 0.03 * 798e12);
}

TEST(ValidationProfiles, H100Fp8GemmReproducesTheRateMeasuredOnAnH100) {
  // tests/calibration/data/h100_sxm_2026-11-24.results.json: cuBLASLt fp8 8192x28672x8192 (the
  // data-gradient GEMM of llama3-70b's MLP down-projection at TP 1) took 2.776 ms = 1386 TFLOP/s;
  // the same shape in bf16 took 4.71 ms, 1.70x longer (1.66x is the median above 1e11 FLOP).
  for (const char* name : {"h100-sxm", "h800", "h200"}) {
    const GpuProfile gpu = load_gpu(name).value();
    const double m = 8192, n = 28672, k = 8192;
    const double fp8 = gpu.efficiency.gemm_curve(Dtype::fp8).at(2 * m * n * k) *
                       wave_efficiency(m, n, gpu) * gpu.peak(Dtype::fp8);
    EXPECT_NEAR(fp8, 1386e12, 0.05 * 1386e12) << name;
    const double bf16 = predicted_gemm_fraction(m, n, k, gpu) * gpu.peak(Dtype::bf16);
    EXPECT_NEAR(fp8 / bf16, 1.70, 0.1) << name;
  }
}

TEST(ValidationProfiles, A100LargeGemmReproducesTheBestPublishedCublasFigure) {
  // stas00/ml-engineering: A100 SXM bf16 267.9 TFLOP/s at 6912x16384x2048 (CUDA 12.1).
  for (const char* name : {"a100-40g", "a100-80g"}) {
    const GpuProfile a100 = load_gpu(name).value();
    const double predicted = predicted_gemm_fraction(6912, 16384, 2048, a100);
    EXPECT_NEAR(predicted, 267.9e12 / a100.peak(Dtype::bf16), 0.03 * 0.86) << name;
  }
}

TEST(ValidationProfiles, SmallGemmsAreLessEfficientThanLargeOnes) {
  // Calculon's gflops_efficiency tables and every published GEMM sweep fall with size; a table
  // that rose would make splitting GEMMs (more TP) look free.
  for (const auto& name : gpu_names()) {
    const GpuProfile gpu = load_gpu(name).value();
    for (Dtype d : {Dtype::bf16, Dtype::fp8}) {
      const auto& pts = gpu.efficiency.gemm_curve(d).points;
      for (std::size_t i = 1; i < pts.size(); ++i)
        EXPECT_GE(pts[i][1], pts[i - 1][1]) << name << " " << dtype_name(d);
    }
    EXPECT_LT(gpu.efficiency.gemm.at(1e8), 0.5 * gpu.efficiency.gemm.at(1e12)) << name;
  }
}

TEST(ValidationProfiles, FlashAttention3ForwardOnH100MatchesThePaper) {
  // FlashAttention-3 (arXiv:2407.08608, Fig. 5): 649 TFLOP/s forward, head dim 128, seq 16k,
  // 16 heads (hidden 2048), batch 1, non-causal: FLOPs = 4 * s^2 * d * h. Tolerance 5 %: the
  // figure is read from a plot.
  const GpuProfile h100 = load_gpu("h100-sxm").value();
  const double flops = 4.0 * 16384.0 * 16384.0 * 128 * 16;
  const double rate = h100.efficiency.attention_forward.at(flops) * h100.peak(Dtype::bf16);
  EXPECT_NEAR(rate, 649e12, 0.05 * 649e12);
}

TEST(ValidationProfiles, RidgePointsMatchThePublishedTable) {
  // Modal GPU glossary (CALIBRATION_NOTES 4.1): ridge point = peak / HBM bandwidth: H100 bf16
  // 295 FLOP/byte, H100 fp8 592, H200 bf16 ~206. Tolerance 1 %.
  const GpuProfile h100 = load_gpu("h100-sxm").value();
  const GpuProfile h200 = load_gpu("h200").value();
  EXPECT_NEAR(h100.peak(Dtype::bf16) / h100.hbm_bandwidth_bytes_per_s, 295, 0.01 * 295);
  EXPECT_NEAR(h100.peak(Dtype::fp8) / h100.hbm_bandwidth_bytes_per_s, 592, 0.01 * 592);
  EXPECT_NEAR(h200.peak(Dtype::bf16) / h200.hbm_bandwidth_bytes_per_s, 206, 0.01 * 206);
}

TEST(ValidationProfiles, LargeMessageBusBandwidthsMatchNcclTests) {
  const ClusterProfile h100 = load_cluster("dgx-h100").value();
  const double big = 8.0 * (1ull << 30);
  // sjeaugey, NVIDIA/nccl-tests #212: ~370 GB/s busbw on 8x H100 for ring algorithms.
  EXPECT_NEAR(
      h100.nvlink_collectives.bus_bandwidth_efficiency.at(big) * h100.nvlink_bandwidth_bytes_per_s,
      370e9, 0.02 * 370e9);
  // Same issue: NVLS all-reduce ~480 GB/s busbw = 480 * n / (2 (n - 1)) algbw for n = 8.
  EXPECT_NEAR(
      h100.nvls_collectives.bus_bandwidth_efficiency.at(big) * h100.nvlink_bandwidth_bytes_per_s,
      480e9 * 8 / 14, 0.02 * 480e9 * 8 / 14);
  // AddyLaddy, NVIDIA/nccl-tests #267: ~48-49 GB/s per ConnectX-7 NDR NIC.
  const double largest = 16.0 * (1ull << 30);
  EXPECT_NEAR(h100.network_collectives.bus_bandwidth_efficiency.at(largest) *
                  h100.nic_bandwidth_bytes_per_s,
              48.5e9, 0.02 * 48.5e9);
  // SimAI CX6_BW: 23.5 GB/s per HDR NIC.
  const ClusterProfile a100 = load_cluster("dgx-a100").value();
  EXPECT_NEAR(a100.network_collectives.bus_bandwidth_efficiency.at(largest) *
                  a100.nic_bandwidth_bytes_per_s,
              23.5e9, 0.02 * 23.5e9);
}

TEST(ValidationProfiles, SmallMessageAllReduceOnEightH100sTakesAboutFifteenMicroseconds) {
  // NCCL tuning.cc, Ring LL on NVLink: base 6.6 us + 2 (n - 1) steps of 0.6 us = 15.0 us for n = 8
  // (CALIBRATION_NOTES 2.2, 2.4). The profile states the Simple protocol's latencies (8.4 us base,
  // 3.4 us per NVLink step); LL is NCCL's ratio to them (6.6 / 8.4 and 0.6 / 3.4), so the
  // profile must reproduce NCCL's own small-message prediction through those ratios.
  const ClusterProfile h100 = load_cluster("dgx-h100").value();
  const auto& t = h100.nvlink_collectives;
  EXPECT_NEAR(t.base_latency_s * (6.6 / 8.4) + 14 * t.step_latency_s * (0.6 / 3.4), 15.0e-6, 1e-9);
}

}  // namespace
}  // namespace ptsim
