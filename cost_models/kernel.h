// Descriptors of the GPU kernels an execution-graph op runs: what a compute cost model needs to
// time it and what the reference executor needs to launch it. Plain values, hashable, so a graph
// interns each distinct kernel once and the simulator times it once.
#pragma once

#include <cstdint>
#include <functional>
#include <variant>

#include "hardware_profiles/gpu_profile.h"

namespace ptsim {

// batch independent products C[m,n] = A[m,k] * B[k,n] (batch > 1: grouped/batched GEMM, e.g. the
// local experts of an MoE layer, each with m tokens).
struct GemmKernel {
  std::int64_t m = 0;
  std::int64_t n = 0;
  std::int64_t k = 0;
  std::int32_t batch = 1;
  Dtype dtype = Dtype::bf16;
  // A arrives in bf16 and a separate kernel quantises it first (fp8 only): Transformer Engine's
  // fp8 linear layers cast their input in forward and the output gradient in backward, each to a
  // row-wise and a column-wise (transposed) fp8 copy; the weight-gradient GEMM reuses both.
  bool quantise_a = false;
  // How the batch entries run. 0: one kernel over all of them (cuBLAS strided-batched, a CUTLASS
  // grouped GEMM). c > 0: each entry is its own GEMM, issued round-robin on c concurrent streams
  // (Transformer Engine's grouped linear layer, which Megatron-Core's MoE experts use: one cuBLAS
  // call per local expert on its 4 compute streams).
  std::int32_t streams = 0;

  double flops() const { return 2.0 * static_cast<double>(m) * n * k * batch; }
  // HBM bytes of the roofline: A and B read, C written once (fp8 GEMMs write 16-bit outputs).
  double bytes() const;
  // HBM bytes of that cast: read 2 bytes, write two 1-byte copies, per element of A.
  double quantise_bytes() const {
    return quantise_a ? 4.0 * static_cast<double>(m) * k * batch : 0.0;
  }
  friend bool operator==(const GemmKernel&, const GemmKernel&) = default;
};

// Whether a linear layer's forward and data-gradient GEMMs in `dtype` quantise their A operand
// (GemmKernel::quantise_a): the step builder and the planner's bound both ask here.
inline bool linear_quantises_input(Dtype dtype) {
  return dtype == Dtype::fp8;
}

// One fused (flash-style) scaled-dot-product attention call over `batch` sequences.
struct AttentionKernel {
  std::int32_t batch = 0;
  std::int32_t heads = 0;     // query heads on this rank
  std::int32_t kv_heads = 0;  // key/value heads on this rank (GQA when < heads)
  std::int32_t q_len = 0;
  std::int32_t kv_len = 0;
  std::int32_t head_dim_qk = 0;
  std::int32_t head_dim_v = 0;
  bool causal = false;    // causal mask on a diagonal block (q and kv aligned)
  bool backward = false;  // gradient pass (dQ, dK, dV)
  Dtype dtype = Dtype::bf16;

  // FLOPs as FlashAttention counts them (Shah et al. 2024, section 4.1): forward
  // 2*q*kv*(d_qk + d_v) per head, halved with a causal mask; backward 2.5x forward.
  double flops() const;
  // Bytes that must cross HBM: q, k, v, o (and their gradients in backward) once each.
  double bytes() const;
  friend bool operator==(const AttentionKernel&, const AttentionKernel&) = default;
};

enum class MemoryBoundKind : std::uint8_t {
  norm,        // LayerNorm / RMSNorm
  activation,  // GeLU, SwiGLU
  rope,
  softmax,      // unfused softmax, cross-entropy
  elementwise,  // residual add, dropout, bias, casts
  optimizer,    // Adam step over a parameter shard
  copy,         // memcpy, permute, pad (MoE token permutation)
};

struct MemoryBoundKernel {
  MemoryBoundKind kind = MemoryBoundKind::elementwise;
  double bytes = 0;  // bytes read plus bytes written
  double flops = 0;  // arithmetic, for the roofline

  friend bool operator==(const MemoryBoundKernel&, const MemoryBoundKernel&) = default;
};

using Kernel = std::variant<GemmKernel, AttentionKernel, MemoryBoundKernel>;

double kernel_flops(const Kernel& k);
// HBM bytes the cost model's roofline counts for the kernel (a GEMM's fp8 input cast included).
double kernel_bytes(const Kernel& k);
const char* memory_bound_kind_name(MemoryBoundKind k);

struct KernelHash {
  std::size_t operator()(const Kernel& k) const;
};

}  // namespace ptsim
