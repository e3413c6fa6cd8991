// The GEMM shapes calibrate measures: those the built-in models (model_dims.h) produce at tensor
// parallelism 1 to 8 and micro-batch 1 to 8, in forward and both backward passes, plus a
// log-spaced (M, N, K) grid that covers shapes between them. Deduplicated and sorted, so the same
// settings always give the same list in the same order.
//
// Shapes follow Megatron-LM's layers on one TP rank (Shoeybi et al. 2019, section 3): tokens
// T = micro_batch x seq; column-parallel QKV and MLP-up GEMMs have N sharded by TP, row-parallel
// attention-output and MLP-down GEMMs have K sharded; the output layer has the vocabulary sharded.
// A forward GEMM (m = T, n, k) gives the data-gradient GEMM (T, k, n) and the weight-gradient GEMM
// (n, k, T). MoE experts see T x top_k / experts tokens on average (a balanced router), with
// expert tensor parallelism equal to TP.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ptsim {

struct GemmShape {
  std::int64_t m = 0;
  std::int64_t n = 0;
  std::int64_t k = 0;
  std::string origin;  // first producer: "llama3-70b tp8 mb1 qkv fwd", or "grid"
  friend bool operator<(const GemmShape& a, const GemmShape& b) {
    if (a.m != b.m) return a.m < b.m;
    if (a.n != b.n) return a.n < b.n;
    return a.k < b.k;
  }
};

struct GemmShapeOptions {
  std::vector<int> tensor_parallel = {1, 2, 4, 8};
  std::vector<int> micro_batch = {1, 2, 4, 8};
  std::vector<std::string> models;  // empty: every built-in model
  bool backward = true;
  std::vector<std::int64_t> grid = {384, 1024, 2944, 8192, 16384};  // values of M, N and K
  std::int64_t max_flops = 0;                                       // 0: no limit
};

// Model shapes first-come (origins of duplicates are the first producer's), then the grid;
// returned sorted by (m, n, k) without duplicates.
std::vector<GemmShape> generate_gemm_shapes(const GemmShapeOptions& options);

}  // namespace ptsim
