#include "calibration/gpu/cuda_check.h"
#include "calibration/gpu/executor_kernels.h"

namespace ptsim::gpu {

namespace {

__global__ void spin_kernel(unsigned long long ns) {
  unsigned long long t0;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t0));
  for (;;) {
    unsigned long long t;
    asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
    if (t - t0 >= ns) break;
  }
}

}  // namespace

void launch_spin(double seconds, cudaStream_t s) {
  spin_kernel<<<1, 1, 0, s>>>(static_cast<unsigned long long>(seconds > 0 ? seconds * 1e9 : 0));
  PTSIM_CUDA(cudaGetLastError());
}

}  // namespace ptsim::gpu
