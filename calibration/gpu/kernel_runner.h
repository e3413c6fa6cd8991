// Runs the kernels of an execution graph (cost_models/kernel.h descriptors) on one GPU for the
// reference executor: what each kernel descriptor becomes on the device is documented in
// calibration/executor/gpu_executor.h. Separate from the graph walk (gpu_executor.cc) because the
// calibration records it uses and the graph's records share names (Collective).
#pragma once

#include <cuda_runtime.h>

#include <cstdint>
#include <memory>
#include <string>

#include "cost_models/kernel.h"

namespace ptsim::gpu {

class KernelRunner {
 public:
  // Creates the cuBLASLt context on the current device. `arena_bytes` caps the memory-bound
  // kernels' operands; larger kernels run in chunks.
  KernelRunner(std::uint64_t seed, double arena_bytes);
  ~KernelRunner();
  KernelRunner(const KernelRunner&) = delete;
  KernelRunner& operator=(const KernelRunner&) = delete;

  // Declares a kernel the step will run and allocates what it needs (GEMM operand sets, attention
  // buffers). False when the device cannot run it (a shape the attention kernels do not support).
  bool prepare(const Kernel& kernel, cudaStream_t s);
  // After every prepare(): allocates and fills the memory-bound arena.
  void finish_preparing(cudaStream_t s);
  // Enqueues the kernel on `s` (prepared and runnable).
  void run(const Kernel& kernel, cudaStream_t s);

  std::string device_name() const;
  double device_bytes() const;  // operand buffers allocated
  std::string summary() const;  // what runs on what, for the report

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ptsim::gpu
