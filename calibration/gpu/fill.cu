#include <cuda_bf16.h>
#include <cuda_fp8.h>

#include "calibration/gpu/cuda_check.h"
#include "calibration/gpu/fill.h"
#include "calibration/gpu/verifiable.h"

namespace ptsim::gpu {

namespace {

constexpr int kThreads = 256;

int grid_for(std::int64_t n) {
  const std::int64_t blocks = (n + kThreads - 1) / kThreads;
  return static_cast<int>(blocks < 65536 ? (blocks > 0 ? blocks : 1) : 65536);
}

template <class T>
__device__ T convert(float x);
template <>
__device__ __nv_bfloat16 convert<__nv_bfloat16>(float x) {
  return __float2bfloat16_rn(x);
}
template <>
__device__ __nv_fp8_e4m3 convert<__nv_fp8_e4m3>(float x) {
  return __nv_fp8_e4m3(x);
}
template <>
__device__ float convert<float>(float x) {
  return x;
}

__host__ __device__ float value_of(ValueRange range, std::uint64_t seed, std::uint32_t stream,
                                   std::uint64_t i) {
  switch (range) {
    case ValueRange::eighths:
      return verifiable_value(seed, stream, i);
    case ValueRange::unit:
      return verifiable_unit(seed, stream, i);
    case ValueRange::unit_positive:
      return fabsf(verifiable_unit(seed, stream, i));
  }
  return 0.f;
}

template <class T>
__global__ void fill_kernel(T* out, std::int64_t count, std::uint64_t seed, std::uint32_t stream,
                            ValueRange range, std::int64_t first) {
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < count;
       i += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    out[i] = convert<T>(value_of(range, seed, stream, static_cast<std::uint64_t>(first + i)));
  }
}

template <class T>
__global__ void gather_kernel(const T* src, const std::int64_t* index, std::int64_t n, T* dst) {
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    dst[i] = src[index[i]];
  }
}

}  // namespace

int element_bytes(ElementType t) {
  switch (t) {
    case ElementType::bf16:
      return 2;
    case ElementType::fp8_e4m3:
      return 1;
    case ElementType::fp32:
      return 4;
  }
  return 0;
}

float verifiable(ValueRange range, std::uint64_t seed, std::uint32_t stream, std::uint64_t i) {
  return value_of(range, seed, stream, i);
}

void fill_verifiable(void* ptr, ElementType type, std::int64_t count, std::uint64_t seed,
                     std::uint32_t stream, ValueRange range, cudaStream_t s, std::int64_t first) {
  if (count <= 0) return;
  switch (type) {
    case ElementType::bf16:
      fill_kernel<<<grid_for(count), kThreads, 0, s>>>(static_cast<__nv_bfloat16*>(ptr), count,
                                                       seed, stream, range, first);
      break;
    case ElementType::fp8_e4m3:
      fill_kernel<<<grid_for(count), kThreads, 0, s>>>(static_cast<__nv_fp8_e4m3*>(ptr), count,
                                                       seed, stream, range, first);
      break;
    case ElementType::fp32:
      fill_kernel<<<grid_for(count), kThreads, 0, s>>>(static_cast<float*>(ptr), count, seed,
                                                       stream, range, first);
      break;
  }
  PTSIM_CUDA(cudaGetLastError());
}

void gather_elements(const void* src, int element_bytes, const std::int64_t* index, std::int64_t n,
                     void* dst, cudaStream_t s) {
  if (n <= 0) return;
  if (element_bytes == 2) {
    gather_kernel<<<grid_for(n), kThreads, 0, s>>>(static_cast<const std::uint16_t*>(src), index, n,
                                                   static_cast<std::uint16_t*>(dst));
  } else {
    gather_kernel<<<grid_for(n), kThreads, 0, s>>>(static_cast<const std::uint32_t*>(src), index, n,
                                                   static_cast<std::uint32_t*>(dst));
  }
  PTSIM_CUDA(cudaGetLastError());
}

}  // namespace ptsim::gpu
