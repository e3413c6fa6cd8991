// Kernels for the interference benchmark: a communication-like kernel that holds a chosen number
// of SMs and streams memory through them (as NCCL's kernels hold one SM per channel while they
// copy), and the two tiny kernels that start and stop it in step with the GEMMs it disturbs.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace ptsim::gpu {

// Dynamic shared memory per CTA that leaves room for only one such CTA on an SM.
int comm_like_smem_bytes(int device);

// `ctas` CTAs of 1024 threads copy src to dst (`vecs` 16-byte vectors, split evenly) again and
// again until *stop != 0. Each CTA adds 1 to *started when it begins and the bytes it copied to
// *copied when it ends.
void launch_comm_like(const uint4* src, uint4* dst, std::int64_t vecs, int ctas, int smem_bytes,
                      const int* stop, unsigned long long* started, unsigned long long* copied,
                      cudaStream_t s);

// Spins until *started reaches `target` (every CTA of launch_comm_like is resident), or sets
// *timed_out after `timeout_s` seconds so a GPU that cannot co-schedule them cannot hang.
void launch_wait_for_start(const unsigned long long* started, unsigned long long target,
                           double timeout_s, int* timed_out, cudaStream_t s);

void launch_set_flag(int* flag, cudaStream_t s);

// Loads the three kernels above into the context. CUDA loads modules lazily (CUDA_MODULE_LOADING
// defaults to LAZY since CUDA 12.2), on a kernel's first launch; loading while the copy kernel
// spins waits for the device to go idle, which it never does until the stop flag is set by a
// kernel that is itself waiting to load: a deadlock. Call before the first launch_comm_like.
void preload_interference_kernels();

}  // namespace ptsim::gpu
