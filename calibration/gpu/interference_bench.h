// Interference microbenchmark: a bf16 GEMM (cuBLASLt heuristic #0) timed alone, then while the
// communication-like kernel of interference_kernels.h holds k SMs and streams HBM, for each k of
// the plan. The slowdown t_shared / t_alone - 1 is what overlapping communication costs compute on
// the same GPU (CALIBRATION_NOTES.md section 7.6; Calculon's processor_usage). GEMM outputs are
// checked as in the GEMM benchmark, the copy's output against its input, and a communication
// kernel that never became resident counts as wrong.
#pragma once

#include <cuda_runtime.h>

#include "calibration/gpu/gemm_runner.h"
#include "calibration/measurement_sink.h"
#include "calibration/plan.h"

namespace ptsim::gpu {

void run_interference(const CalibrationPlan& plan, const LtContext& lt, int device, int sm_count,
                      double l2_bytes, MeasurementSink& sink);

}  // namespace ptsim::gpu
