// GEMM microbenchmark: one shape and dtype through cuBLASLt. Times heuristic candidate #0 (what a
// framework calling cuBLASLt without autotuning gets) and each of the top-k candidates (what an
// autotuned framework gets), records both with cuBLASLt's wavesCount, and checks every timed
// block's output against the exact expected values of the seeded inputs.
#pragma once

#include <cuda_runtime.h>

#include <optional>
#include <string>

#include "calibration/gpu/gemm_runner.h"
#include "calibration/measurement.h"
#include "calibration/plan.h"

namespace ptsim::gpu {

struct GemmBenchEnv {
  const LtContext* lt = nullptr;
  double l2_bytes = 0;
  cudaStream_t stream = nullptr;
  bool check_all = false;  // every output element (tests on small shapes)
};

// The measured point, or nullopt with `why_skipped` set (does not fit in memory, or cuBLASLt
// offers no algorithm for it).
std::optional<GemmMeasurement> measure_gemm(const GemmMeasurement& request, int candidates,
                                            const HarnessSettings& settings,
                                            const GemmBenchEnv& env, std::string& why_skipped);

}  // namespace ptsim::gpu
