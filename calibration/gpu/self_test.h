// The GPU benchmarks as plain functions for the GPU tests (tests/calibration/gpu_test.cc), with
// no CUDA type in their signatures: each runs on device 0, checks every output element it can
// against its exact or reference value, and returns the measurement (or an InputError).
#pragma once

#include <cstdint>
#include <string>

#include "calibration/collective.h"
#include "calibration/measurement.h"
#include "calibration/plan.h"
#include "common/result.h"

namespace ptsim::gpu {

// Compute capability 8.9 or newer (fp8 GEMMs).
Result<bool> device_supports_fp8();

// One GEMM shape, every output element checked.
Result<GemmMeasurement> self_test_gemm(std::int64_t m, std::int64_t n, std::int64_t k, Dtype dtype,
                                       int candidates, const HarnessSettings& settings);

struct AttentionCheck {
  std::int64_t checked = 0;  // output elements compared (O, lse, dQ, dK, dV)
  std::int64_t wrong = 0;    // outside tolerance
  double max_abs_error = 0;
  // The element furthest outside (or closest to) its tolerance, by |error| / tolerance:
  // "dk[1234]: got 0.25 want 0.2421875 tolerance 0.0061 (1.3x)".
  std::string worst;
};
// Forward and backward once, every output compared with the host reference.
Result<AttentionCheck> self_test_attention(const AttentionMeasurement& shape, std::uint64_t seed);

// One memory-bound kernel through the harness (sampled checks on every timed block).
Result<MemoryMeasurement> self_test_memory(MemoryOp op, double bytes,
                                           const HarnessSettings& settings);

// A 1-rank NCCL communicator on device 0 (every output element checked on the device).
Result<CollectiveMeasurement> self_test_single_rank_collective(Collective c, double bytes,
                                                               const HarnessSettings& settings);

}  // namespace ptsim::gpu
