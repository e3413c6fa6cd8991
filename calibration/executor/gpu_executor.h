// The reference executor's CUDA backend, behind a pure C++ declaration so that the execute tool
// builds without CUDA: make_gpu_executor() is defined by calibration/gpu/gpu_executor.cc where
// CUDA is found and by calibration/executor/no_gpu_executor.cc (which answers "built without
// CUDA") where it is not.
//
// What it runs, per kernel of each compute op, on the first GPU of this machine:
//   GEMMs      cuBLASLt heuristic #0 in the kernel's dtype, TN layout (calibration/gpu/
//              gemm_runner.h), operand sets rotated beyond twice the L2 so no GEMM finds its
//              inputs cache-hot; batched (MoE) GEMMs as `batch` launches.
//   attention  ptsim's flash kernels (calibration/gpu/attention_kernels.h) where the shape allows
//              (q_len == kv_len, head_dim 64 or 128, seq a multiple of 64); other shapes run as
//              stand-ins: one thread spinning for the cost model's time, listed in the report.
//   memory-bound kernels of the graph's bytes, by kind: norm -> RMSNorm, activation -> SwiGLU,
//              rope -> RoPE, softmax -> cross-entropy, elementwise and copy -> copy, optimizer ->
//              AdamW (calibration/gpu/memory_kernels.h), in chunks that fit a fixed arena.
// Every input is non-zero (verifiable.h values); results are not checked here (the calibration
// tests check these kernels), since the executor measures time.
//
// Leaves out: graphs of several ranks (collectives and sends would need one NCCL rank per graph
// rank: the backend answers with an input error), memory events (markers: the executor measures
// time, not memory).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "calibration/executor/executor_backend.h"
#include "common/result.h"
#include "cost_models/kernel.h"
#include "sim/graph/graph.h"

namespace ptsim {

struct GpuExecutorSettings {
  std::uint64_t seed = 20241124;
  // Device memory for the memory-bound kernels' operands; larger kernels run in chunks.
  double arena_bytes = 4.0 * (1ULL << 30);
  // Time of a kernel the backend cannot run (it spins that long instead).
  std::function<double(const Kernel&)> stand_in_time_s;
};

// The backend for `graph` on this machine's GPU, or an input error: built without CUDA, no GPU
// found, a graph of more than one rank. `graph` must outlive the backend.
Result<std::unique_ptr<ExecutorBackend>> make_gpu_executor(const Graph& graph,
                                                           const GpuExecutorSettings& settings);

}  // namespace ptsim
