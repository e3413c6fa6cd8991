#include "calibration/gpu/cuda_check.h"
#include "calibration/gpu/interference_kernels.h"

namespace ptsim::gpu {

namespace {

constexpr int kCommThreads = 1024;

__device__ unsigned long long global_time_ns() {
  unsigned long long t;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
  return t;
}

__global__ void __launch_bounds__(kCommThreads)
    comm_like_kernel(const uint4* src, uint4* dst, std::int64_t vecs, const int* stop,
                     unsigned long long* started, unsigned long long* copied) {
  extern __shared__ uint4 reserved[];  // never touched: its size keeps other CTAs off this SM
  __shared__ int stop_now;
  if (threadIdx.x == 0) atomicAdd(started, 1ULL);
  const std::int64_t per_cta = vecs / gridDim.x;
  const std::int64_t base = blockIdx.x * per_cta;
  unsigned long long passes = 0;
  for (;;) {
    for (std::int64_t i = threadIdx.x; i < per_cta; i += kCommThreads)
      dst[base + i] = src[base + i];
    ++passes;
    __syncthreads();
    if (threadIdx.x == 0) stop_now = *reinterpret_cast<const volatile int*>(stop);
    __syncthreads();
    if (stop_now != 0) break;
  }
  if (threadIdx.x == 0) {
    atomicAdd(copied, passes * static_cast<unsigned long long>(per_cta) * 2ULL * sizeof(uint4));
  }
  (void)reserved;
}

__global__ void wait_kernel(const unsigned long long* started, unsigned long long target,
                            unsigned long long timeout_ns, int* timed_out) {
  const unsigned long long t0 = global_time_ns();
  while (*reinterpret_cast<const volatile unsigned long long*>(started) < target) {
    if (global_time_ns() - t0 > timeout_ns) {
      *timed_out = 1;
      return;
    }
  }
}

__global__ void set_flag_kernel(int* flag) {
  *reinterpret_cast<volatile int*>(flag) = 1;
  __threadfence_system();
}

}  // namespace

int comm_like_smem_bytes(int device) {
  int per_sm = 0, per_block = 0;
  PTSIM_CUDA(cudaDeviceGetAttribute(&per_sm, cudaDevAttrMaxSharedMemoryPerMultiprocessor, device));
  PTSIM_CUDA(cudaDeviceGetAttribute(&per_block, cudaDevAttrMaxSharedMemoryPerBlockOptin, device));
  const int want = per_sm / 2 + 1024;
  return want < per_block ? want : per_block;
}

void launch_comm_like(const uint4* src, uint4* dst, std::int64_t vecs, int ctas, int smem_bytes,
                      const int* stop, unsigned long long* started, unsigned long long* copied,
                      cudaStream_t s) {
  PTSIM_CUDA(cudaFuncSetAttribute(comm_like_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                  smem_bytes));
  comm_like_kernel<<<ctas, kCommThreads, smem_bytes, s>>>(src, dst, vecs, stop, started, copied);
  PTSIM_CUDA(cudaGetLastError());
}

void launch_wait_for_start(const unsigned long long* started, unsigned long long target,
                           double timeout_s, int* timed_out, cudaStream_t s) {
  wait_kernel<<<1, 1, 0, s>>>(started, target, static_cast<unsigned long long>(timeout_s * 1e9),
                              timed_out);
  PTSIM_CUDA(cudaGetLastError());
}

void preload_interference_kernels() {
  // cudaFuncGetAttributes loads the function's module (CUDA Programming Guide, "Lazy Loading":
  // the documented way to force loading of a kernel that must not load later).
  cudaFuncAttributes attributes{};
  PTSIM_CUDA(cudaFuncGetAttributes(&attributes, comm_like_kernel));
  PTSIM_CUDA(cudaFuncGetAttributes(&attributes, wait_kernel));
  PTSIM_CUDA(cudaFuncGetAttributes(&attributes, set_flag_kernel));
}

void launch_set_flag(int* flag, cudaStream_t s) {
  set_flag_kernel<<<1, 1, 0, s>>>(flag);
  PTSIM_CUDA(cudaGetLastError());
}

}  // namespace ptsim::gpu
