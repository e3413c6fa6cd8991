// The memory-bound kernels of a transformer training step, written plainly (vectorised 16-byte
// loads where the layout allows, one pass over the data where the operation allows) so that
// their achieved bandwidth is what a reasonable framework kernel gets. Byte counts per element
// are in calibration/measurement.cc (memory_op_bytes_per_element). Elementwise kernels need the
// element count to be a multiple of 8; row kernels take one row per CTA.
#pragma once

#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <cstdint>

namespace ptsim::gpu {

using bf16 = __nv_bfloat16;

inline constexpr float kNormEpsilon = 1e-5f;
inline constexpr float kRopeBase = 10000.f;

// AdamW with the bias corrections of a fixed step folded into the learning rates (as Megatron
// passes them as scalars); out of place so that every launch sees the same inputs.
struct AdamParams {
  float lr = 1e-4f;
  float beta1 = 0.9f;
  float beta2 = 0.95f;
  float eps = 1e-8f;
  float weight_decay = 0.1f;
  float bias_correction1 = 0.5f;   // 1 - beta1^t for the step the benchmark pretends to be
  float bias_correction2 = 0.25f;  // 1 - beta2^t
};

void rmsnorm(const bf16* x, const bf16* weight, bf16* y, std::int64_t rows, int cols,
             cudaStream_t s);
void layernorm(const bf16* x, const bf16* weight, const bf16* bias, bf16* y, std::int64_t rows,
               int cols, cudaStream_t s);
// y[r, c] = silu(in[r, c]) * in[r, cols + c]: gate and up side by side in rows of 2 cols.
void swiglu(const bf16* in, bf16* y, std::int64_t rows, int cols, cudaStream_t s);
// tanh approximation, as Megatron-LM's and GPT-2's GeLU.
void gelu(const bf16* x, bf16* y, std::int64_t n, cudaStream_t s);
// Rotary embedding on rows of head_dim (rotate-half pairing, GPT-NeoX and Hugging Face Llama):
// row r is token (r / heads) at position (r / heads) % seq. Out of place, so that every launch
// sees the same input; the bytes moved are those of the in-place kernel.
void rope(const bf16* x, bf16* y, std::int64_t rows, int head_dim, int heads, int seq,
          cudaStream_t s);
// Per row: loss = logsumexp(logits) - logits[target]; dlogits = softmax(logits) - onehot(target).
void cross_entropy(const bf16* logits, const std::int32_t* targets, float* loss, bf16* dlogits,
                   std::int64_t rows, int vocab, cudaStream_t s);
void adam(const float* p, const float* m, const float* v, const bf16* g, float* p_out, float* m_out,
          float* v_out, bf16* p_bf16, std::int64_t n, const AdamParams& a, cudaStream_t s);
void copy(const bf16* src, bf16* dst, std::int64_t n, cudaStream_t s);
void empty_kernel(cudaStream_t s);

// Host versions of the element formulas, for the checks.
float gelu_host(float x);
float silu_host(float x);
void rope_angle_host(int position, int pair, int head_dim, double& cos_out, double& sin_out);

}  // namespace ptsim::gpu
