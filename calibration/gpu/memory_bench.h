// Memory-bound microbenchmark: one kernel of memory_kernels.h (or the empty kernel, whose
// back-to-back time is the launch overhead) on a seeded input of a given size. Every timed block
// checks sampled outputs against host formulas: whole rows for the row kernels (norms,
// cross-entropy), 4096 sampled elements for the elementwise ones.
#pragma once

#include <cuda_runtime.h>

#include <optional>
#include <string>

#include "calibration/measurement.h"
#include "calibration/plan.h"

namespace ptsim::gpu {

std::optional<MemoryMeasurement> measure_memory(const MemoryMeasurement& request,
                                                const HarnessSettings& settings,
                                                cudaStream_t stream, std::string& why_skipped);

}  // namespace ptsim::gpu
