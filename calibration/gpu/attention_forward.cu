// Forward pass of ptsim's flash attention (attention_kernels.h). One CTA of four warps owns 64
// query rows of one (batch, head); warp w owns rows 16w..16w+15 of the tile in every shared array
// it writes, so warps synchronise among themselves only when K and V tiles are replaced.
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
struct ForwardSmem {
  bf16 q[kB * D];
  bf16 k[kB * D];
  bf16 v[kB * D];
  float s[kB * kB];  // scores of the current tile
  bf16 p[kB * kB];   // probabilities of the current tile, unnormalised
  float o[kB * D];   // output accumulator, unnormalised
  float m[kB];       // running row maximum (log2 units)
  float l[kB];       // running row sum of exp2(s - m)
};

struct ForwardParams {
  const bf16* q;
  const bf16* k;
  const bf16* v;
  bf16* o;
  float* lse;
  int heads, kv_heads, seq;
  bool causal;
};

// Copies a [kB, D] tile of a [batch, seq, nheads, D] tensor into shared memory, 16 bytes at a
// time, by all threads of the CTA.
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

template <int D>
__global__ void __launch_bounds__(kThreads) forward_kernel(ForwardParams p) {
  extern __shared__ __align__(128) unsigned char smem_raw[];
  auto& sm = *reinterpret_cast<ForwardSmem<D>*>(smem_raw);
  const int q_block = blockIdx.x;
  const int b = blockIdx.y / p.heads;
  const int h = blockIdx.y % p.heads;
  const int hk = h / (p.heads / p.kv_heads);
  const int warp = threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  const int q0 = q_block * kB;
  const int row0 = warp * 16;  // this warp's first row in the tile

  load_tile<D>(sm.q, p.q, b, q0, h, p.heads, p.seq);
  for (int i = threadIdx.x; i < kB * D; i += kThreads)
    sm.o[i] = 0.f;
  for (int i = threadIdx.x; i < kB; i += kThreads) {
    sm.m[i] = -INFINITY;
    sm.l[i] = 0.f;
  }
  const float scale_log2 = kLog2e / sqrtf(static_cast<float>(D));
  const int kv_tiles = p.causal ? q_block + 1 : p.seq / kB;
  // Each lane pair handles one row of the warp's 16 in the softmax: 32 columns each.
  const int r = row0 + lane / 2;
  const int half = lane % 2;

  for (int t = 0; t < kv_tiles; ++t) {
    const int k0 = t * kB;
    __syncthreads();  // every warp is done with the previous K and V tiles
    load_tile<D>(sm.k, p.k, b, k0, hk, p.kv_heads, p.seq);
    load_tile<D>(sm.v, p.v, b, k0, hk, p.kv_heads, p.seq);
    __syncthreads();

    // S[row0.., :] = Q[row0.., :] K^T
    for (int n = 0; n < kB / 16; ++n) {
      wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc;
      wmma::fill_fragment(acc, 0.f);
#pragma unroll
      for (int kk = 0; kk < D / 16; ++kk) {
        wmma::fragment<wmma::matrix_a, 16, 16, 16, bf16, wmma::row_major> a;
        wmma::fragment<wmma::matrix_b, 16, 16, 16, bf16, wmma::col_major> kt;
        wmma::load_matrix_sync(a, sm.q + row0 * D + kk * 16, D);
        wmma::load_matrix_sync(kt, sm.k + n * 16 * D + kk * 16, D);  // K^T: K read column-major
        wmma::mma_sync(acc, a, kt, acc);
      }
      wmma::store_matrix_sync(sm.s + row0 * kB + n * 16, acc, kB, wmma::mem_row_major);
    }
    __syncwarp();

    // Online softmax on row r, columns half*32 .. half*32+31.
    {
      const int qi = q0 + r;
      float vals[32];
      float mx = -INFINITY;
#pragma unroll
      for (int c = 0; c < 32; ++c) {
        const int col = half * 32 + c;
        float x = sm.s[r * kB + col] * scale_log2;
        if (p.causal && k0 + col > qi) x = -INFINITY;
        vals[c] = x;
        mx = fmaxf(mx, x);
      }
      mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 1));
      const float m_old = sm.m[r];
      const float m_new = fmaxf(m_old, mx);  // finite: column 0 of a processed tile is unmasked
      float sum = 0.f;
#pragma unroll
      for (int c = 0; c < 32; ++c) {
        const float e = exp2f(vals[c] - m_new);
        sum += e;
        sm.p[r * kB + half * 32 + c] = __float2bfloat16_rn(e);
      }
      sum += __shfl_xor_sync(0xffffffffu, sum, 1);
      const float alpha = exp2f(m_old - m_new);  // 0 on the first tile (m_old = -inf)
      for (int c = half * (D / 2); c < (half + 1) * (D / 2); ++c)
        sm.o[r * D + c] *= alpha;
      const float l_old = sm.l[r];
      __syncwarp();  // both lanes of the pair have read m[r] and l[r]
      if (half == 0) {
        sm.m[r] = m_new;
        sm.l[r] = l_old * alpha + sum;
      }
    }
    __syncwarp();

    // O[row0.., :] += P[row0.., :] V
    for (int n = 0; n < D / 16; ++n) {
      wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc;
      wmma::load_matrix_sync(acc, sm.o + row0 * D + n * 16, D, wmma::mem_row_major);
#pragma unroll
      for (int kk = 0; kk < kB / 16; ++kk) {
        wmma::fragment<wmma::matrix_a, 16, 16, 16, bf16, wmma::row_major> a;
        wmma::fragment<wmma::matrix_b, 16, 16, 16, bf16, wmma::row_major> vb;
        wmma::load_matrix_sync(a, sm.p + row0 * kB + kk * 16, kB);
        wmma::load_matrix_sync(vb, sm.v + kk * 16 * D + n * 16, D);
        wmma::mma_sync(acc, a, vb, acc);
      }
      wmma::store_matrix_sync(sm.o + row0 * D + n * 16, acc, D, wmma::mem_row_major);
    }
    __syncwarp();
  }

  // O = O / l, and lse = m + log2(l).
  const float inv_l = 1.f / sm.l[r];
  const std::int64_t out_row = ((static_cast<std::int64_t>(b) * p.seq + q0 + r) * p.heads + h) * D;
  for (int c = half * (D / 2); c < (half + 1) * (D / 2); ++c) {
    p.o[out_row + c] = __float2bfloat16_rn(sm.o[r * D + c] * inv_l);
  }
  if (half == 0) {
    p.lse[(static_cast<std::int64_t>(b) * p.heads + h) * p.seq + q0 + r] = sm.m[r] + log2f(sm.l[r]);
  }
}

template <int D>
void launch_forward(const AttentionShape& s, const ForwardParams& p, cudaStream_t stream) {
  const int smem = static_cast<int>(sizeof(ForwardSmem<D>));
  PTSIM_CUDA(
      cudaFuncSetAttribute(forward_kernel<D>, cudaFuncAttributeMaxDynamicSharedMemorySize, smem));
  const dim3 grid(s.seq / kB, s.batch * s.heads);
  forward_kernel<D><<<grid, kThreads, smem, stream>>>(p);
  PTSIM_CUDA(cudaGetLastError());
}

}  // namespace

bool attention_shape_supported(const AttentionShape& s) {
  return s.batch > 0 && s.heads > 0 && s.kv_heads > 0 && s.heads % s.kv_heads == 0 && s.seq > 0 &&
         s.seq % kB == 0 && (s.head_dim == 64 || s.head_dim == 128) &&
         static_cast<long long>(s.batch) * s.heads <= 65535;  // gridDim.y limit
}

void attention_forward(const AttentionShape& s, const bf16* q, const bf16* k, const bf16* v,
                       bf16* o, float* lse, cudaStream_t stream) {
  PTSIM_CHECK(attention_shape_supported(s), "attention_forward: unsupported shape");
  const ForwardParams p{q, k, v, o, lse, s.heads, s.kv_heads, s.seq, s.causal};
  if (s.head_dim == 64) {
    launch_forward<64>(s, p, stream);
  } else {
    launch_forward<128>(s, p, stream);
  }
}

}  // namespace ptsim::gpu
