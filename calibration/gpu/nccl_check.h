// Expected values of the collectives, as nccl-tests' verifiable kernels compute them: rank r's
// input element j is verifiable_value(seed, collective_stream(r), j) (verifiable.h), small
// multiples of 1/8, so every sum over ranks is exact in fp32 in any order and each output element
// has one right value. A check kernel recomputes it per element on the device and counts
// mismatches.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "calibration/collective.h"

namespace ptsim::gpu {

// Fills `count` fp32 input elements of `rank`.
void fill_collective_input(float* data, std::int64_t count, std::uint64_t seed, int rank,
                           cudaStream_t s);

// Counts output elements of `rank` that differ from the expected value into *wrong (device
// memory, not reset here). `count` is the element count NCCL's call took.
void count_collective_errors(const float* out, Collective c, int rank, int ranks,
                             std::int64_t count, std::uint64_t seed, unsigned long long* wrong,
                             cudaStream_t s);

// Elements each rank sends and receives for `count` (the buffers a call touches).
std::int64_t collective_send_elements(Collective c, std::int64_t count, int ranks);
std::int64_t collective_recv_elements(Collective c, std::int64_t count, int ranks);

}  // namespace ptsim::gpu
