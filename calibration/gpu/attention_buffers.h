// Device buffers of one attention call and its gradients, filled from a seed with verifiable
// non-zero values (verifiable.h): what the attention benchmark checks and what the reference
// executor runs attention ops on.
#pragma once

#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <cstdint>

#include "calibration/gpu/attention_kernels.h"
#include "calibration/gpu/device_buffer.h"
#include "calibration/gpu/fill.h"
#include "calibration/gpu/verifiable.h"

namespace ptsim::gpu {

// Device buffers of one attention call and its gradients, filled from the seed.
struct AttentionBuffers {
  AttentionShape s;
  std::int64_t q_elems, kv_elems, rows;
  DeviceBuffer q, k, v, o, lse, d_o, delta, dq_accum, dq, dk, dv;

  AttentionBuffers(const AttentionShape& shape, bool backward, std::uint64_t seed,
                   cudaStream_t stream)
      : s(shape),
        q_elems(static_cast<std::int64_t>(s.batch) * s.seq * s.heads * s.head_dim),
        kv_elems(static_cast<std::int64_t>(s.batch) * s.seq * s.kv_heads * s.head_dim),
        rows(static_cast<std::int64_t>(s.batch) * s.heads * s.seq),
        q(2 * q_elems),
        k(2 * kv_elems),
        v(2 * kv_elems),
        o(2 * q_elems),
        lse(4 * rows) {
    fill_verifiable(q.get(), ElementType::bf16, q_elems, seed, kStreamQ, ValueRange::unit, stream);
    fill_verifiable(k.get(), ElementType::bf16, kv_elems, seed, kStreamK, ValueRange::unit, stream);
    fill_verifiable(v.get(), ElementType::bf16, kv_elems, seed, kStreamV, ValueRange::unit, stream);
    if (backward) {
      d_o = DeviceBuffer(2 * q_elems);
      delta = DeviceBuffer(4 * rows);
      dq_accum = DeviceBuffer(4 * q_elems);
      dq = DeviceBuffer(2 * q_elems);
      dk = DeviceBuffer(2 * kv_elems);
      dv = DeviceBuffer(2 * kv_elems);
      fill_verifiable(d_o.get(), ElementType::bf16, q_elems, seed, kStreamDO, ValueRange::unit,
                      stream);
    }
  }
  void forward(cudaStream_t stream) {
    attention_forward(s, q.as<__nv_bfloat16>(), k.as<__nv_bfloat16>(), v.as<__nv_bfloat16>(),
                      o.as<__nv_bfloat16>(), lse.as<float>(), stream);
  }
  void backward(cudaStream_t stream) {
    attention_backward(s, q.as<__nv_bfloat16>(), k.as<__nv_bfloat16>(), v.as<__nv_bfloat16>(),
                       o.as<__nv_bfloat16>(), d_o.as<__nv_bfloat16>(), lse.as<float>(),
                       delta.as<float>(), dq_accum.as<float>(), dq.as<__nv_bfloat16>(),
                       dk.as<__nv_bfloat16>(), dv.as<__nv_bfloat16>(), stream);
  }
};

}  // namespace ptsim::gpu
