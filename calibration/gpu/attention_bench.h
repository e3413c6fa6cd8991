// Attention microbenchmark: one forward or backward call of ptsim's flash kernels
// (attention_kernels.h) on seeded bf16 inputs. Every timed block checks sampled rows against the
// host reference (attention_reference.h): the forward's output and log-sum-exp, the backward's
// dQ. check_attention_fully() compares every output (O, lse, dQ, dK, dV) on small shapes.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>
#include <optional>
#include <string>

#include "calibration/gpu/self_test.h"
#include "calibration/measurement.h"
#include "calibration/plan.h"

namespace ptsim::gpu {

inline constexpr const char* kAttentionImplementation = "ptsim-flash-wmma";

std::optional<AttentionMeasurement> measure_attention(const AttentionMeasurement& request,
                                                      const HarnessSettings& settings,
                                                      cudaStream_t stream,
                                                      std::string& why_skipped);

// Runs forward then backward once and compares every output element with the reference.
AttentionCheck check_attention_fully(const AttentionMeasurement& shape, std::uint64_t seed,
                                     cudaStream_t stream);

}  // namespace ptsim::gpu
