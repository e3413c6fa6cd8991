// Error checks for CUDA, cuBLASLt and NCCL calls inside calibration_gpu. A failed call throws an
// InputException naming the call, file and line; the backend's entry point catches it and returns
// it as an InputError, so calibrate prints one line ("calibrate: CUDA:
// calibration/gpu/device_buffer.h:21: cudaMalloc(&ptr_, bytes) failed: out of memory (2)")
// instead of crashing. A failure here is an environment problem (no
// memory, a lost device, a broken NCCL setup), not a bug in the caller's input handling.
#pragma once

#include <cublasLt.h>
#include <cuda_runtime.h>

#include <string>

namespace ptsim::gpu {

// "calibration/gpu/gemm_runner.cc:88": the path from calibration/ on, not the build machine's.
std::string source_location(const char* file, int line);
[[noreturn]] void throw_cuda_error(cudaError_t e, const char* call, const char* file, int line);
[[noreturn]] void throw_cublas_error(cublasStatus_t s, const char* call, const char* file,
                                     int line);

}  // namespace ptsim::gpu

#define PTSIM_CUDA(call)                                                     \
  do {                                                                       \
    const cudaError_t ptsim_err_ = (call);                                   \
    if (ptsim_err_ != cudaSuccess) {                                         \
      ::ptsim::gpu::throw_cuda_error(ptsim_err_, #call, __FILE__, __LINE__); \
    }                                                                        \
  } while (false)

#define PTSIM_CUBLAS(call)                                                    \
  do {                                                                        \
    const cublasStatus_t ptsim_st_ = (call);                                  \
    if (ptsim_st_ != CUBLAS_STATUS_SUCCESS) {                                 \
      ::ptsim::gpu::throw_cublas_error(ptsim_st_, #call, __FILE__, __LINE__); \
    }                                                                         \
  } while (false)
