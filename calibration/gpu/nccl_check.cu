#include "calibration/gpu/cuda_check.h"
#include "calibration/gpu/nccl_check.h"
#include "calibration/gpu/verifiable.h"

namespace ptsim::gpu {

namespace {

constexpr int kThreads = 256;

int grid_for(std::int64_t n) {
  const std::int64_t blocks = (n + kThreads - 1) / kThreads;
  return static_cast<int>(blocks < 65536 ? (blocks > 0 ? blocks : 1) : 65536);
}

__device__ float input_of(std::uint64_t seed, int rank, std::int64_t j) {
  return verifiable_value(seed, collective_stream(rank), static_cast<std::uint64_t>(j));
}

__global__ void fill_kernel(float* data, std::int64_t count, std::uint64_t seed, int rank) {
  for (std::int64_t j = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; j < count;
       j += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    data[j] = input_of(seed, rank, j);
  }
}

__global__ void check_kernel(const float* out, std::int64_t out_count, int collective, int rank,
                             int ranks, std::int64_t count, std::uint64_t seed,
                             unsigned long long* wrong) {
  unsigned long long local = 0;
  for (std::int64_t e = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x;
       e < out_count; e += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    float want = 0.f;
    switch (static_cast<Collective>(collective)) {
      case Collective::all_reduce:
        for (int q = 0; q < ranks; ++q)
          want += input_of(seed, q, e);
        break;
      case Collective::all_gather:
        want = input_of(seed, static_cast<int>(e / count), e % count);
        break;
      case Collective::reduce_scatter:
        for (int q = 0; q < ranks; ++q)
          want += input_of(seed, q, rank * count + e);
        break;
      case Collective::all_to_all:
        // Chunk q of rank r's output is chunk r of rank q's input.
        want = input_of(seed, static_cast<int>(e / count), rank * count + e % count);
        break;
      case Collective::send_recv:
        want = input_of(seed, (rank - 1 + ranks) % ranks, e);
        break;
    }
    if (out[e] != want) ++local;
  }
  if (local != 0) atomicAdd(wrong, local);
}

}  // namespace

void fill_collective_input(float* data, std::int64_t count, std::uint64_t seed, int rank,
                           cudaStream_t s) {
  fill_kernel<<<grid_for(count), kThreads, 0, s>>>(data, count, seed, rank);
  PTSIM_CUDA(cudaGetLastError());
}

std::int64_t collective_send_elements(Collective c, std::int64_t count, int ranks) {
  return (c == Collective::reduce_scatter || c == Collective::all_to_all) ? count * ranks : count;
}

std::int64_t collective_recv_elements(Collective c, std::int64_t count, int ranks) {
  return (c == Collective::all_gather || c == Collective::all_to_all) ? count * ranks : count;
}

void count_collective_errors(const float* out, Collective c, int rank, int ranks,
                             std::int64_t count, std::uint64_t seed, unsigned long long* wrong,
                             cudaStream_t s) {
  const std::int64_t n = collective_recv_elements(c, count, ranks);
  check_kernel<<<grid_for(n), kThreads, 0, s>>>(out, n, static_cast<int>(c), rank, ranks, count,
                                                seed, wrong);
  PTSIM_CUDA(cudaGetLastError());
}

}  // namespace ptsim::gpu
