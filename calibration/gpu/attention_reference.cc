#include "calibration/gpu/attention_reference.h"

#include <cmath>

#include "calibration/gpu/verifiable.h"

namespace ptsim::gpu {

namespace {

struct Inputs {
  const AttentionShape& s;
  std::uint64_t seed;
  int group() const { return s.heads / s.kv_heads; }
  double q(int b, int i, int h, int d) const {
    return verifiable_unit(seed, kStreamQ, idx(b, i, h, s.heads, d));
  }
  double k(int b, int j, int hk, int d) const {
    return verifiable_unit(seed, kStreamK, idx(b, j, hk, s.kv_heads, d));
  }
  double v(int b, int j, int hk, int d) const {
    return verifiable_unit(seed, kStreamV, idx(b, j, hk, s.kv_heads, d));
  }
  double d_o(int b, int i, int h, int d) const {
    return verifiable_unit(seed, kStreamDO, idx(b, i, h, s.heads, d));
  }
  std::uint64_t idx(int b, int i, int h, int nheads, int d) const {
    return ((static_cast<std::uint64_t>(b) * s.seq + i) * nheads + h) * s.head_dim + d;
  }
  int keys(int i) const { return s.causal ? i + 1 : s.seq; }
  double scale() const { return 1.0 / std::sqrt(static_cast<double>(s.head_dim)); }
};

// Probabilities P_ij of row i, j < keys(i).
std::vector<double> probabilities(const Inputs& in, int b, int i, int h, double* lse_log2) {
  const int hk = h / in.group();
  const int n = in.keys(i);
  std::vector<double> p(static_cast<std::size_t>(n));
  double mx = -INFINITY;
  for (int j = 0; j < n; ++j) {
    double dot = 0;
    for (int d = 0; d < in.s.head_dim; ++d)
      dot += in.q(b, i, h, d) * in.k(b, j, hk, d);
    p[static_cast<std::size_t>(j)] = dot * in.scale();
    mx = std::max(mx, p[static_cast<std::size_t>(j)]);
  }
  double sum = 0;
  for (auto& x : p) {
    x = std::exp(x - mx);
    sum += x;
  }
  for (auto& x : p)
    x /= sum;
  if (lse_log2 != nullptr) *lse_log2 = (mx + std::log(sum)) / std::log(2.0);
  return p;
}

}  // namespace

AttentionRowRef reference_forward_row(const AttentionShape& s, std::uint64_t seed, int b, int i,
                                      int h) {
  const Inputs in{s, seed};
  AttentionRowRef out;
  const auto p = probabilities(in, b, i, h, &out.lse_log2);
  const int hk = h / in.group();
  out.out.assign(static_cast<std::size_t>(s.head_dim), 0.0);
  for (std::size_t j = 0; j < p.size(); ++j) {
    for (int d = 0; d < s.head_dim; ++d) {
      out.out[static_cast<std::size_t>(d)] += p[j] * in.v(b, static_cast<int>(j), hk, d);
    }
  }
  return out;
}

std::vector<double> reference_dq_row(const AttentionShape& s, std::uint64_t seed, int b, int i,
                                     int h) {
  const Inputs in{s, seed};
  const auto p = probabilities(in, b, i, h, nullptr);
  const int hk = h / in.group();
  std::vector<double> dp(p.size());
  double delta = 0;  // sum_j P_ij dP_ij = dO_i . O_i
  for (std::size_t j = 0; j < p.size(); ++j) {
    double dot = 0;
    for (int d = 0; d < s.head_dim; ++d)
      dot += in.d_o(b, i, h, d) * in.v(b, static_cast<int>(j), hk, d);
    dp[j] = dot;
    delta += p[j] * dot;
  }
  std::vector<double> dq(static_cast<std::size_t>(s.head_dim), 0.0);
  for (std::size_t j = 0; j < p.size(); ++j) {
    const double ds = p[j] * (dp[j] - delta);
    for (int d = 0; d < s.head_dim; ++d) {
      dq[static_cast<std::size_t>(d)] += in.scale() * ds * in.k(b, static_cast<int>(j), hk, d);
    }
  }
  return dq;
}

void reference_dk_dv(const AttentionShape& s, std::uint64_t seed, std::vector<double>& dk,
                     std::vector<double>& dv) {
  const Inputs in{s, seed};
  const std::size_t n =
      static_cast<std::size_t>(s.batch) * s.seq * s.kv_heads * static_cast<std::size_t>(s.head_dim);
  dk.assign(n, 0.0);
  dv.assign(n, 0.0);
  for (int b = 0; b < s.batch; ++b) {
    for (int h = 0; h < s.heads; ++h) {
      const int hk = h / in.group();
      for (int i = 0; i < s.seq; ++i) {
        const auto p = probabilities(in, b, i, h, nullptr);
        std::vector<double> dp(p.size());
        double delta = 0;
        for (std::size_t j = 0; j < p.size(); ++j) {
          double dot = 0;
          for (int d = 0; d < s.head_dim; ++d) {
            dot += in.d_o(b, i, h, d) * in.v(b, static_cast<int>(j), hk, d);
          }
          dp[j] = dot;
          delta += p[j] * dot;
        }
        for (std::size_t j = 0; j < p.size(); ++j) {
          const double ds = p[j] * (dp[j] - delta);
          for (int d = 0; d < s.head_dim; ++d) {
            const std::size_t at = in.idx(b, static_cast<int>(j), hk, s.kv_heads, d);
            dv[at] += p[j] * in.d_o(b, i, h, d);
            dk[at] += in.scale() * ds * in.q(b, i, h, d);
          }
        }
      }
    }
  }
}

}  // namespace ptsim::gpu
