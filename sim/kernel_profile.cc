#include "sim/kernel_profile.h"

#include <type_traits>
#include <variant>
#include <vector>

namespace ptsim {

const char* kernel_class_name(KernelClass c) {
  switch (c) {
    case KernelClass::gemm:
      return "gemm";
    case KernelClass::batched_gemm:
      return "batched_gemm";
    case KernelClass::attention_forward:
      return "attention_forward";
    case KernelClass::attention_backward:
      return "attention_backward";
    case KernelClass::norm:
      return "norm";
    case KernelClass::activation:
      return "activation";
    case KernelClass::rope:
      return "rope";
    case KernelClass::softmax:
      return "softmax";
    case KernelClass::elementwise:
      return "elementwise";
    case KernelClass::optimizer:
      return "optimizer";
    case KernelClass::copy:
      return "copy";
  }
  return "?";
}

KernelClass kernel_class(const Kernel& kernel) {
  return std::visit(
      [](const auto& k) -> KernelClass {
        using T = std::decay_t<decltype(k)>;
        if constexpr (std::is_same_v<T, GemmKernel>) {
          return k.batch > 1 ? KernelClass::batched_gemm : KernelClass::gemm;
        } else if constexpr (std::is_same_v<T, AttentionKernel>) {
          return k.backward ? KernelClass::attention_backward : KernelClass::attention_forward;
        } else {
          switch (k.kind) {
            case MemoryBoundKind::norm:
              return KernelClass::norm;
            case MemoryBoundKind::activation:
              return KernelClass::activation;
            case MemoryBoundKind::rope:
              return KernelClass::rope;
            case MemoryBoundKind::softmax:
              return KernelClass::softmax;
            case MemoryBoundKind::elementwise:
              return KernelClass::elementwise;
            case MemoryBoundKind::optimizer:
              return KernelClass::optimizer;
            case MemoryBoundKind::copy:
              return KernelClass::copy;
          }
          return KernelClass::elementwise;
        }
      },
      kernel);
}

double KernelProfile::total_time_s() const {
  double t = 0;
  for (const KernelClassTotals& c : by_class)
    t += c.time_s;
  return t;
}

KernelProfile kernel_profile(const Graph& graph, GraphRank rank, const ComputeCostModel& cost) {
  // A graph holds few distinct kernels and many ops naming them: time each kernel once.
  std::vector<double> time_s(graph.kernels().size(), -1.0);
  KernelProfile out;
  out.rank = rank;
  for (const Op& op : graph.ops()) {
    if (op.rank != rank || op.kind != OpKind::compute) continue;
    for (std::uint32_t k : graph.kernels_of(op)) {
      const Kernel& kernel = graph.kernel(k);
      if (time_s[k] < 0) time_s[k] = cost.time_s(kernel);
      KernelClassTotals& c = out.by_class[static_cast<std::size_t>(kernel_class(kernel))];
      ++c.count;
      c.time_s += time_s[k];
      c.flops += kernel_flops(kernel);
      c.bytes += kernel_bytes(kernel);
    }
  }
  return out;
}

}  // namespace ptsim
