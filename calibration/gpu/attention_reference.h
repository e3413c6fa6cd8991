// A straightforward attention on the host, in double precision, on the seeded inputs the GPU
// kernels see (verifiable_unit of streams kStreamQ, kStreamK, kStreamV, kStreamDO over the flat
// [batch, seq, heads, head_dim] arrays): softmax(scale Q K^T) V and its gradients written out
// directly from their definitions, the oracle the flash kernels are checked against.
#pragma once

#include <cstdint>
#include <vector>

#include "calibration/gpu/attention_kernels.h"

namespace ptsim::gpu {

struct AttentionRowRef {
  std::vector<double> out;  // head_dim values
  double lse_log2 = 0;      // log2 of sum_j exp(s_ij), s the scaled scores
};

// Forward of query row i of (batch b, head h).
AttentionRowRef reference_forward_row(const AttentionShape& s, std::uint64_t seed, int b, int i,
                                      int h);
// dQ of query row i of (b, h), with dO from kStreamDO.
std::vector<double> reference_dq_row(const AttentionShape& s, std::uint64_t seed, int b, int i,
                                     int h);
// dK and dV of every key row, flat in k's layout [batch, seq, kv_heads, head_dim]. Costs
// O(batch heads seq^2 head_dim): small shapes only.
void reference_dk_dv(const AttentionShape& s, std::uint64_t seed, std::vector<double>& dk,
                     std::vector<double>& dv);

}  // namespace ptsim::gpu
