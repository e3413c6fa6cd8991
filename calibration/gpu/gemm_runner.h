// One GEMM shape on cuBLASLt, ready to launch: D[m,n] = A[m,k] * B[k,n] in PyTorch nn.Linear's
// layout (cuBLASLt "TN": A stored k x m column-major, i.e. activations [m, k] row-major; B stored
// k x n column-major, i.e. weights [n, k]; D m x n column-major). fp8 needs this layout on Hopper
// and it is what frameworks launch, so every dtype uses it.
//
//   bf16: A, B, D bf16; fp8: A, B e4m3, D bf16; tf32: A, B, D fp32 with
//   CUBLAS_COMPUTE_32F_FAST_TF32. Accumulation and scaling in fp32, alpha = 1, beta = 0, no fast
//   fp8 accumulation.
//
// Inputs are verifiable (verifiable.h): every output is a sum of exact products, exact in fp32,
// then rounded once to D's type, so the expected value of any element is known on the host. Sets
// of (A, B, D) are rotated so that the working set exceeds twice the L2 cache: a GEMM never finds
// its operands cache-hot from the previous launch (CALIBRATION_NOTES.md section 7.4).
#pragma once

#include <cublasLt.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <vector>

#include "calibration/gpu/device_buffer.h"
#include "calibration/measurement.h"

namespace ptsim::gpu {

// A cuBLASLt handle and the workspace every GEMM may use (32 MiB on Hopper, 4 MiB before: the
// cuBLAS documentation for cublasSetWorkspace, as PyTorch PR #120925 applies it).
class LtContext {
 public:
  explicit LtContext(int compute_capability_major);
  ~LtContext();
  LtContext(const LtContext&) = delete;
  LtContext& operator=(const LtContext&) = delete;
  cublasLtHandle_t handle() const { return handle_; }
  void* workspace() const { return workspace_.get(); }
  std::size_t workspace_bytes() const { return workspace_.bytes(); }

 private:
  cublasLtHandle_t handle_ = nullptr;
  DeviceBuffer workspace_;
};

class GemmRunner {
 public:
  // Allocates and fills the rotated buffer sets; asks cuBLASLt for up to `candidates` algorithms.
  GemmRunner(const LtContext& lt, std::int64_t m, std::int64_t n, std::int64_t k, Dtype dtype,
             int candidates, double l2_bytes, std::uint64_t seed, cudaStream_t stream);
  ~GemmRunner();
  GemmRunner(const GemmRunner&) = delete;
  GemmRunner& operator=(const GemmRunner&) = delete;

  // Bytes one buffer set takes, before allocating anything (to skip shapes that do not fit).
  static double set_bytes(std::int64_t m, std::int64_t n, std::int64_t k, Dtype dtype);

  int candidates() const { return static_cast<int>(heuristics_.size()); }
  float waves(int candidate) const { return heuristics_.at(candidate).wavesCount; }
  void launch(int candidate, int iteration, cudaStream_t stream);
  // Wrong elements of D in the set launch `iteration` wrote: every element when the host
  // reference is cheap (m n k <= 2^26) or `all`, else 1024 sampled ones; synchronises `stream`.
  std::int64_t check(int iteration, cudaStream_t stream, bool all = false);

 private:
  void prepare_expected(bool all, cudaStream_t stream);

  const LtContext& lt_;
  std::int64_t m_, n_, k_;
  Dtype dtype_;
  std::uint64_t seed_;
  int sets_ = 1;
  std::vector<DeviceBuffer> a_, b_, d_;
  cublasLtMatmulDesc_t op_ = nullptr;
  cublasLtMatrixLayout_t a_desc_ = nullptr, b_desc_ = nullptr, d_desc_ = nullptr;
  std::vector<cublasLtMatmulHeuristicResult_t> heuristics_;
  // Check state: sampled output positions (column-major index i + j m), their expected values.
  bool expected_all_ = false;
  std::vector<std::int64_t> positions_;
  std::vector<double> expected_;
  DeviceBuffer positions_dev_, gathered_dev_;
};

}  // namespace ptsim::gpu
