// Owning device memory: cudaMalloc in the constructor, cudaFree in the destructor, move-only.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <utility>

#include "calibration/gpu/cuda_check.h"

namespace ptsim::gpu {

class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(std::size_t bytes) : bytes_(bytes) {
    if (bytes > 0) PTSIM_CUDA(cudaMalloc(&ptr_, bytes));
  }
  ~DeviceBuffer() {
    if (ptr_ != nullptr) cudaFree(ptr_);
  }
  DeviceBuffer(DeviceBuffer&& o) noexcept
      : ptr_(std::exchange(o.ptr_, nullptr)), bytes_(std::exchange(o.bytes_, 0)) {}
  DeviceBuffer& operator=(DeviceBuffer&& o) noexcept {
    if (this != &o) {
      if (ptr_ != nullptr) cudaFree(ptr_);
      ptr_ = std::exchange(o.ptr_, nullptr);
      bytes_ = std::exchange(o.bytes_, 0);
    }
    return *this;
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  void* get() const { return ptr_; }
  template <class T>
  T* as() const {
    return static_cast<T*>(ptr_);
  }
  std::size_t bytes() const { return bytes_; }

 private:
  void* ptr_ = nullptr;
  std::size_t bytes_ = 0;
};

// Copies `bytes` of host data into `dst` on `stream` and waits for it. A plain cudaMemcpy from
// pageable memory may return before its DMA lands and is not ordered with non-blocking streams,
// so kernels on those streams could read the buffer too early.
inline void copy_to_device(const DeviceBuffer& dst, const void* src, std::size_t bytes,
                           cudaStream_t stream) {
  PTSIM_CUDA(cudaMemcpyAsync(dst.get(), src, bytes, cudaMemcpyHostToDevice, stream));
  PTSIM_CUDA(cudaStreamSynchronize(stream));
}

// Free device memory now, in bytes.
inline std::size_t free_device_memory() {
  std::size_t free_b = 0, total_b = 0;
  PTSIM_CUDA(cudaMemGetInfo(&free_b, &total_b));
  return free_b;
}

}  // namespace ptsim::gpu
