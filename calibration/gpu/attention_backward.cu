// Backward pass of ptsim's flash attention (attention_kernels.h), FlashAttention-2's Algorithm 2:
// one CTA of four warps owns 64 key rows of one (batch, kv head) and loops over the query heads
// of its group and the query blocks that see its keys. Warp w keeps dK and dV of key rows
// 16w..16w+15 in tensor-core accumulators for the whole loop; dQ is accumulated in fp32 with
// atomics and converted at the end. Launches: zero dQ, delta = rowsum(dO * O), the main kernel,
// dQ to bf16 - the time of all four is the backward time.
#include <mma.h>

#include <cmath>

#include "calibration/gpu/attention_kernels.h"
#include "calibration/gpu/cuda_check.h"
#include "common/check.h"

namespace ptsim::gpu {

namespace {

using namespace nvcuda;
using bf16 = __nv_bfloat16;

constexpr int kB = kAttentionBlock;
constexpr int kWarps = 4;
constexpr int kThreads = 32 * kWarps;
constexpr float kLog2e = 1.4426950408889634f;

template <int D>
struct BackwardSmem {
  bf16 k[kB * D];
  bf16 v[kB * D];
  bf16 q[kB * D];
  bf16 d_o[kB * D];
  float p[kB * kB];    // P of the current (query block, key block), fp32
  float dp[kB * kB];   // dP = dO V^T
  bf16 p16[kB * kB];   // P in bf16 for the tensor cores
  bf16 ds16[kB * kB];  // dS = P * (dP - delta) in bf16
  float lse[kB];
  float delta[kB];
  float scratch[kWarps][16 * 16];  // one accumulator tile per warp on its way to global memory
};

struct BackwardParams {
  const bf16* q;
  const bf16* k;
  const bf16* v;
  const bf16* d_o;
  const float* lse;
  const float* delta;
  float* dq_accum;
  bf16* dk;
  bf16* dv;
  int heads, kv_heads, seq;
  bool causal;
};

template <int D>
__device__ void load_tile(bf16* dst, const bf16* src, int batch, int row0, int head, int nheads,
                          int seq) {
  constexpr int kVecs = D / 8;
  for (int idx = threadIdx.x; idx < kB * kVecs; idx += kThreads) {
    const int r = idx / kVecs;
    const int c = (idx % kVecs) * 8;
    const std::int64_t g =
        ((static_cast<std::int64_t>(batch) * seq + row0 + r) * nheads + head) * D + c;
    *reinterpret_cast<uint4*>(dst + r * D + c) = *reinterpret_cast<const uint4*>(src + g);
  }
}

// delta[b, h, i] = sum_d dO[b, i, h, d] * O[b, i, h, d]: one warp per row.
__global__ void delta_kernel(const bf16* o, const bf16* d_o, float* delta, int batch, int heads,
                             int seq, int head_dim) {
  const std::int64_t rows = static_cast<std::int64_t>(batch) * heads * seq;
  const int lane = threadIdx.x % 32;
  for (std::int64_t row = (blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x) / 32;
       row < rows; row += static_cast<std::int64_t>(gridDim.x) * blockDim.x / 32) {
    // row enumerates (b, h, i) in delta's layout; the tensors are [b, i, h, d].
    const std::int64_t i = row % seq;
    const std::int64_t h = (row / seq) % heads;
    const std::int64_t b = row / (static_cast<std::int64_t>(seq) * heads);
    const std::int64_t base = ((b * seq + i) * heads + h) * head_dim;
    float sum = 0.f;
    for (int d = lane; d < head_dim; d += 32) {
      sum += __bfloat162float(o[base + d]) * __bfloat162float(d_o[base + d]);
    }
    for (int off = 16; off > 0; off /= 2)
      sum += __shfl_xor_sync(0xffffffffu, sum, off);
    if (lane == 0) delta[row] = sum;
  }
}

__global__ void to_bf16_kernel(const float* in, bf16* out, std::int64_t n) {
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    out[i] = __float2bfloat16_rn(in[i]);
  }
}

// dst rows row0..row0+15, columns 16n..16n+15 of a [batch, seq, nheads, D] tensor (head `head`)
// = mult * the warp's 16x16 scratch tile, in bf16.
template <int D>
__device__ void write_tile(const float* scratch, bf16* dst, float mult, int batch, int row0,
                           int head, int nheads, int seq, int n, int lane) {
  for (int e = lane; e < 256; e += 32) {
    const int rr = e / 16, cc = e % 16;
    const std::int64_t g =
        ((static_cast<std::int64_t>(batch) * seq + row0 + rr) * nheads + head) * D + n * 16 + cc;
    dst[g] = __float2bfloat16_rn(mult * scratch[e]);
  }
}

template <int D>
__global__ void __launch_bounds__(kThreads) backward_kernel(BackwardParams p) {
  extern __shared__ __align__(128) unsigned char smem_raw[];
  auto& sm = *reinterpret_cast<BackwardSmem<D>*>(smem_raw);
  const int kv_block = blockIdx.x;
  const int b = blockIdx.y / p.kv_heads;
  const int hk = blockIdx.y % p.kv_heads;
  const int group = p.heads / p.kv_heads;
  const int warp = threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  const int row0 = warp * 16;
  const int k0 = kv_block * kB;
  const float scale = 1.f / sqrtf(static_cast<float>(D));
  const float scale_log2 = scale * kLog2e;

  load_tile<D>(sm.k, p.k, b, k0, hk, p.kv_heads, p.seq);
  load_tile<D>(sm.v, p.v, b, k0, hk, p.kv_heads, p.seq);

  wmma::fragment<wmma::accumulator, 16, 16, 16, float> dk_acc[D / 16];
  wmma::fragment<wmma::accumulator, 16, 16, 16, float> dv_acc[D / 16];
#pragma unroll
  for (int n = 0; n < D / 16; ++n) {
    wmma::fill_fragment(dk_acc[n], 0.f);
    wmma::fill_fragment(dv_acc[n], 0.f);
  }
  const int r = row0 + lane / 2;  // the softmax row of this lane pair
  const int half = lane % 2;
  const int first_q_block = p.causal ? kv_block : 0;

  for (int h = hk * group; h < (hk + 1) * group; ++h) {
    for (int qb = first_q_block; qb < p.seq / kB; ++qb) {
      const int q0 = qb * kB;
      __syncthreads();  // every warp is done with the previous q, dO, P and dS
      load_tile<D>(sm.q, p.q, b, q0, h, p.heads, p.seq);
      load_tile<D>(sm.d_o, p.d_o, b, q0, h, p.heads, p.seq);
      for (int i = threadIdx.x; i < kB; i += kThreads) {
        const std::int64_t idx = (static_cast<std::int64_t>(b) * p.heads + h) * p.seq + q0 + i;
        sm.lse[i] = p.lse[idx];
        sm.delta[i] = p.delta[idx];
      }
      __syncthreads();

      // S = Q K^T and dP = dO V^T for query rows row0..row0+15.
      for (int n = 0; n < kB / 16; ++n) {
        wmma::fragment<wmma::accumulator, 16, 16, 16, float> s_acc, dp_acc;
        wmma::fill_fragment(s_acc, 0.f);
        wmma::fill_fragment(dp_acc, 0.f);
#pragma unroll
        for (int kk = 0; kk < D / 16; ++kk) {
          wmma::fragment<wmma::matrix_a, 16, 16, 16, bf16, wmma::row_major> a;
          wmma::fragment<wmma::matrix_b, 16, 16, 16, bf16, wmma::col_major> bt;
          wmma::load_matrix_sync(a, sm.q + row0 * D + kk * 16, D);
          wmma::load_matrix_sync(bt, sm.k + n * 16 * D + kk * 16, D);
          wmma::mma_sync(s_acc, a, bt, s_acc);
          wmma::load_matrix_sync(a, sm.d_o + row0 * D + kk * 16, D);
          wmma::load_matrix_sync(bt, sm.v + n * 16 * D + kk * 16, D);
          wmma::mma_sync(dp_acc, a, bt, dp_acc);
        }
        wmma::store_matrix_sync(sm.p + row0 * kB + n * 16, s_acc, kB, wmma::mem_row_major);
        wmma::store_matrix_sync(sm.dp + row0 * kB + n * 16, dp_acc, kB, wmma::mem_row_major);
      }
      __syncwarp();

      // P = exp2(S * scale_log2 - lse) (0 where masked); dS = P * (dP - delta).
      {
        const int qi = q0 + r;
        const float lse = sm.lse[r];
        const float delta = sm.delta[r];
        for (int c = half * 32; c < half * 32 + 32; ++c) {
          const float prob =
              (p.causal && k0 + c > qi) ? 0.f : exp2f(sm.p[r * kB + c] * scale_log2 - lse);
          sm.p16[r * kB + c] = __float2bfloat16_rn(prob);
          sm.ds16[r * kB + c] = __float2bfloat16_rn(prob * (sm.dp[r * kB + c] - delta));
        }
      }
      __syncthreads();  // dV and dK need every query row of P and dS

      // dV[row0.., :] += P^T[row0.., :] dO and dK[row0.., :] += dS^T[row0.., :] Q (key rows).
#pragma unroll
      for (int n = 0; n < D / 16; ++n) {
#pragma unroll
        for (int kk = 0; kk < kB / 16; ++kk) {
          wmma::fragment<wmma::matrix_a, 16, 16, 16, bf16, wmma::col_major> at;
          wmma::fragment<wmma::matrix_b, 16, 16, 16, bf16, wmma::row_major> bm;
          // P^T's (key row, query) element is P[query][key]: read P column-major.
          wmma::load_matrix_sync(at, sm.p16 + kk * 16 * kB + row0, kB);
          wmma::load_matrix_sync(bm, sm.d_o + kk * 16 * D + n * 16, D);
          wmma::mma_sync(dv_acc[n], at, bm, dv_acc[n]);
          wmma::load_matrix_sync(at, sm.ds16 + kk * 16 * kB + row0, kB);
          wmma::load_matrix_sync(bm, sm.q + kk * 16 * D + n * 16, D);
          wmma::mma_sync(dk_acc[n], at, bm, dk_acc[n]);
        }
      }

      // dQ[row0.., :] += scale * dS[row0.., :] K, through the warp's scratch tile into atomics.
      for (int n = 0; n < D / 16; ++n) {
        wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc;
        wmma::fill_fragment(acc, 0.f);
#pragma unroll
        for (int kk = 0; kk < kB / 16; ++kk) {
          wmma::fragment<wmma::matrix_a, 16, 16, 16, bf16, wmma::row_major> a;
          wmma::fragment<wmma::matrix_b, 16, 16, 16, bf16, wmma::row_major> bm;
          wmma::load_matrix_sync(a, sm.ds16 + row0 * kB + kk * 16, kB);
          wmma::load_matrix_sync(bm, sm.k + kk * 16 * D + n * 16, D);
          wmma::mma_sync(acc, a, bm, acc);
        }
        wmma::store_matrix_sync(sm.scratch[warp], acc, 16, wmma::mem_row_major);
        __syncwarp();
        for (int e = lane; e < 256; e += 32) {
          const int rr = e / 16, cc = e % 16;
          const std::int64_t g =
              ((static_cast<std::int64_t>(b) * p.seq + q0 + row0 + rr) * p.heads + h) * D + n * 16 +
              cc;
          atomicAdd(p.dq_accum + g, scale * sm.scratch[warp][e]);
        }
        __syncwarp();
      }
    }
  }

  // Write dK (scaled) and dV for key rows row0..row0+15. Unrolled, so that the accumulator
  // arrays stay in registers (a runtime index would move them to local memory).
#pragma unroll
  for (int n = 0; n < D / 16; ++n) {
    wmma::store_matrix_sync(sm.scratch[warp], dk_acc[n], 16, wmma::mem_row_major);
    __syncwarp();
    write_tile<D>(sm.scratch[warp], p.dk, scale, b, k0 + row0, hk, p.kv_heads, p.seq, n, lane);
    __syncwarp();
    wmma::store_matrix_sync(sm.scratch[warp], dv_acc[n], 16, wmma::mem_row_major);
    __syncwarp();
    write_tile<D>(sm.scratch[warp], p.dv, 1.f, b, k0 + row0, hk, p.kv_heads, p.seq, n, lane);
    __syncwarp();
  }
}

int grid_for(std::int64_t threads) {
  const std::int64_t blocks = (threads + 255) / 256;
  return static_cast<int>(blocks < 65536 ? (blocks > 0 ? blocks : 1) : 65536);
}

template <int D>
void launch_backward(const AttentionShape& s, const BackwardParams& p, cudaStream_t stream) {
  const int smem = static_cast<int>(sizeof(BackwardSmem<D>));
  PTSIM_CUDA(
      cudaFuncSetAttribute(backward_kernel<D>, cudaFuncAttributeMaxDynamicSharedMemorySize, smem));
  const dim3 grid(s.seq / kB, s.batch * s.kv_heads);
  backward_kernel<D><<<grid, kThreads, smem, stream>>>(p);
  PTSIM_CUDA(cudaGetLastError());
}

}  // namespace

void attention_backward(const AttentionShape& s, const bf16* q, const bf16* k, const bf16* v,
                        const bf16* o, const bf16* d_o, const float* lse, float* delta,
                        float* dq_accum, bf16* dq, bf16* dk, bf16* dv, cudaStream_t stream) {
  PTSIM_CHECK(attention_shape_supported(s), "attention_backward: unsupported shape");
  const std::int64_t q_elems = static_cast<std::int64_t>(s.batch) * s.seq * s.heads * s.head_dim;
  const std::int64_t rows = static_cast<std::int64_t>(s.batch) * s.heads * s.seq;
  PTSIM_CUDA(
      cudaMemsetAsync(dq_accum, 0, static_cast<std::size_t>(q_elems) * sizeof(float), stream));
  delta_kernel<<<grid_for(rows * 32), 256, 0, stream>>>(o, d_o, delta, s.batch, s.heads, s.seq,
                                                        s.head_dim);
  PTSIM_CUDA(cudaGetLastError());
  const BackwardParams p{q,  k,  v,       d_o,        lse,   delta,   dq_accum,
                         dk, dv, s.heads, s.kv_heads, s.seq, s.causal};
  if (s.head_dim == 64) {
    launch_backward<64>(s, p, stream);
  } else {
    launch_backward<128>(s, p, stream);
  }
  to_bf16_kernel<<<grid_for(q_elems), 256, 0, stream>>>(dq_accum, dq, q_elems);
  PTSIM_CUDA(cudaGetLastError());
}

}  // namespace ptsim::gpu
