#include "cost_models/kernel.h"

#include <bit>

namespace ptsim {

namespace {
inline void mix(std::size_t& h, std::uint64_t v) {
  // splitmix64-style combine: deterministic across platforms, unlike std::hash<double>.
  v += 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  v = (v ^ (v >> 30)) * 0xbf58476d1ce4e5b9ULL;
  v = (v ^ (v >> 27)) * 0x94d049bb133111ebULL;
  h ^= static_cast<std::size_t>(v ^ (v >> 31));
}
}  // namespace

double GemmKernel::bytes() const {
  const double e = dtype_bytes(dtype);
  const double out = dtype == Dtype::fp8 ? 2.0 : e;
  return static_cast<double>(batch) *
         ((static_cast<double>(m) * k + static_cast<double>(k) * n) * e +
          static_cast<double>(m) * n * out);
}

double AttentionKernel::flops() const {
  const double forward = 2.0 * batch * static_cast<double>(heads) * q_len * kv_len *
                         (head_dim_qk + head_dim_v) * (causal ? 0.5 : 1.0);
  return backward ? 2.5 * forward : forward;
}

double AttentionKernel::bytes() const {
  const double e = dtype_bytes(dtype);
  const double q = static_cast<double>(batch) * q_len * heads * head_dim_qk * e;
  const double o = static_cast<double>(batch) * q_len * heads * head_dim_v * e;
  const double k = static_cast<double>(batch) * kv_len * kv_heads * head_dim_qk * e;
  const double v = static_cast<double>(batch) * kv_len * kv_heads * head_dim_v * e;
  const double forward = q + k + v + o;
  // Backward reads q, k, v, o, dO and writes dQ, dK, dV.
  return backward ? 2.0 * forward + o : forward;
}

double kernel_bytes(const Kernel& k) {
  return std::visit(
      [](const auto& x) -> double {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, MemoryBoundKernel>) {
          return x.bytes;
        } else if constexpr (std::is_same_v<T, GemmKernel>) {
          return x.bytes() + x.quantise_bytes();
        } else {
          return x.bytes();
        }
      },
      k);
}

double kernel_flops(const Kernel& k) {
  return std::visit(
      [](const auto& x) -> double {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, MemoryBoundKernel>) {
          return x.flops;
        } else {
          return x.flops();
        }
      },
      k);
}

const char* memory_bound_kind_name(MemoryBoundKind k) {
  switch (k) {
    case MemoryBoundKind::norm:
      return "norm";
    case MemoryBoundKind::activation:
      return "activation";
    case MemoryBoundKind::rope:
      return "rope";
    case MemoryBoundKind::softmax:
      return "softmax";
    case MemoryBoundKind::elementwise:
      return "elementwise";
    case MemoryBoundKind::optimizer:
      return "optimizer";
    case MemoryBoundKind::copy:
      return "copy";
  }
  return "?";
}

std::size_t KernelHash::operator()(const Kernel& k) const {
  std::size_t h = k.index();
  std::visit(
      [&h](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, GemmKernel>) {
          mix(h, static_cast<std::uint64_t>(x.m));
          mix(h, static_cast<std::uint64_t>(x.n));
          mix(h, static_cast<std::uint64_t>(x.k));
          mix(h, static_cast<std::uint64_t>(x.batch));
          mix(h, static_cast<std::uint64_t>(x.dtype) |
                     (static_cast<std::uint64_t>(x.quantise_a) << 8) |
                     (static_cast<std::uint64_t>(x.streams) << 16));
        } else if constexpr (std::is_same_v<T, AttentionKernel>) {
          mix(h, static_cast<std::uint64_t>(x.batch));
          mix(h, static_cast<std::uint64_t>(x.heads));
          mix(h, static_cast<std::uint64_t>(x.kv_heads));
          mix(h, static_cast<std::uint64_t>(x.q_len));
          mix(h, static_cast<std::uint64_t>(x.kv_len));
          mix(h, static_cast<std::uint64_t>(x.head_dim_qk));
          mix(h, static_cast<std::uint64_t>(x.head_dim_v));
          mix(h,
              static_cast<std::uint64_t>(x.causal) | (static_cast<std::uint64_t>(x.backward) << 1));
          mix(h, static_cast<std::uint64_t>(x.dtype));
        } else {
          mix(h, static_cast<std::uint64_t>(x.kind));
          mix(h, std::bit_cast<std::uint64_t>(x.bytes));
          mix(h, std::bit_cast<std::uint64_t>(x.flops));
        }
      },
      k);
  return h;
}

}  // namespace ptsim
