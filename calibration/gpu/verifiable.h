// Inputs built from a seed so that every output is exactly predictable, in the manner of
// nccl-tests' verifiable/ kernels: element i of input stream `stream` is a pure function of
// (seed, stream, i), computed identically on the host and on the device. Benchmarks fill their
// inputs with it on the GPU and compute expected outputs on the host (or in a check kernel)
// without copying the inputs back.
//
// verifiable_value() is k/8 for k in +-{1..16}: non-zero, exact in fp8 e4m3, bf16, fp16, tf32 and
// fp32. A product of two is a multiple of 1/64 of magnitude at most 4, so a dot product of up to
// 2^18 terms (and a sum over up to 2^20 ranks) is exact in fp32 in any order: GEMM outputs and
// reductions have one right answer. verifiable_unit() is k/64 for k in +-{1..64}, in [-1, 1], for
// kernels that take exponentials (attention, norms, cross-entropy).
#pragma once

#include <cstdint>

#if defined(__CUDACC__)
#define PTSIM_HD __host__ __device__ __forceinline__
#else
#define PTSIM_HD inline
#endif

namespace ptsim::gpu {

// splitmix64's finaliser (Steele, Lea and Flood 2014): a bijective 64-bit mix.
PTSIM_HD std::uint64_t mix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

PTSIM_HD std::uint64_t verifiable_hash(std::uint64_t seed, std::uint32_t stream, std::uint64_t i) {
  return mix64(seed ^ mix64((static_cast<std::uint64_t>(stream) << 40) ^ i));
}

PTSIM_HD float verifiable_value(std::uint64_t seed, std::uint32_t stream, std::uint64_t i) {
  const std::uint64_t h = verifiable_hash(seed, stream, i);
  const int k = static_cast<int>(h % 16) + 1;
  return static_cast<float>((h >> 32) & 1 ? -k : k) * 0.125f;
}

PTSIM_HD float verifiable_unit(std::uint64_t seed, std::uint32_t stream, std::uint64_t i) {
  const std::uint64_t h = verifiable_hash(seed, stream, i);
  const int k = static_cast<int>(h % 64) + 1;
  return static_cast<float>((h >> 32) & 1 ? -k : k) * 0.015625f;
}

// Stream ids, one per input tensor kind, so no two inputs of a benchmark coincide.
enum : std::uint32_t {
  kStreamGemmA = 1,
  kStreamGemmB = 2,
  kStreamQ = 11,
  kStreamK = 12,
  kStreamV = 13,
  kStreamDO = 14,
  kStreamMemA = 21,
  kStreamMemB = 22,
  kStreamMemC = 23,
  kStreamMemD = 24,
  kStreamMemWeight = 25,
  kStreamMemBias = 26,
  kStreamComm = 41,
};

// The input stream of rank r of a collective: one stream per rank, clear of the ids above.
PTSIM_HD std::uint32_t collective_stream(int rank) {
  return 0x1000u + static_cast<std::uint32_t>(rank);
}

}  // namespace ptsim::gpu
