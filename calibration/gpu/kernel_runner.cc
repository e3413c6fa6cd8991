#include "calibration/gpu/kernel_runner.h"

#include <algorithm>
#include <map>
#include <tuple>
#include <variant>
#include <vector>

#include <fmt/format.h>

#include "calibration/gpu/attention_buffers.h"
#include "calibration/gpu/cuda_check.h"
#include "calibration/gpu/device.h"
#include "calibration/gpu/device_buffer.h"
#include "calibration/gpu/fill.h"
#include "calibration/gpu/gemm_runner.h"
#include "calibration/gpu/memory_kernels.h"
#include "calibration/gpu/verifiable.h"
#include "calibration/measurement.h"
#include "calibration/plan.h"
#include "common/result.h"

namespace ptsim::gpu {

namespace {

// Operand slots of the memory-bound arena: inputs in the first half, outputs in the second, so
// that no kernel reads what another wrote (inputs stay the seeded non-zero values).
constexpr int kArenaSlots = 8;
constexpr int kRopeHeads = 32;
constexpr int kRopeSeq = 8192;
constexpr std::uint32_t kStreamArena = 40;
constexpr std::uint32_t kStreamTargets = 41;

MemoryOp memory_op_of(MemoryBoundKind kind) {
  switch (kind) {
    case MemoryBoundKind::norm:
      return MemoryOp::rmsnorm;
    case MemoryBoundKind::activation:
      return MemoryOp::swiglu;
    case MemoryBoundKind::rope:
      return MemoryOp::rope;
    case MemoryBoundKind::softmax:
      return MemoryOp::cross_entropy;
    case MemoryBoundKind::optimizer:
      return MemoryOp::adam;
    case MemoryBoundKind::elementwise:
    case MemoryBoundKind::copy:
      return MemoryOp::copy;
  }
  return MemoryOp::copy;
}

// Bytes per element (output element; parameter for AdamW) of the widest array an op reads or
// writes: what one arena slot holds per element.
double widest_array_bytes_per_element(MemoryOp op) {
  switch (op) {
    case MemoryOp::swiglu:
      return 4;  // gate and up side by side, bf16
    case MemoryOp::adam:
      return 4;  // fp32 p, m, v
    default:
      return 2;  // bf16
  }
}

using GemmKey = std::tuple<std::int64_t, std::int64_t, std::int64_t, Dtype>;
using AttentionKey = std::tuple<int, int, int, int, int, bool>;

GemmKey key_of(const GemmKernel& g) {
  return {g.m, g.n, g.k, g.dtype};
}
// The cast of a GEMM's bf16 A operand to fp8 that the cost model times with the GEMM: a copy that
// moves as many bytes.
MemoryBoundKernel quantise_kernel(const GemmKernel& g) {
  return MemoryBoundKernel{MemoryBoundKind::copy, g.quantise_bytes(), 0};
}

AttentionKey key_of(const AttentionKernel& a) {
  return {a.batch, a.heads, a.kv_heads, a.q_len, a.head_dim_qk, a.causal};
}

}  // namespace

struct KernelRunner::Impl {
  struct Gemm {
    std::unique_ptr<GemmRunner> runner;
    int iteration = 0;
  };

  std::uint64_t seed;
  double arena_cap_bytes;
  DeviceDescription device;
  std::unique_ptr<LtContext> lt;
  std::map<GemmKey, Gemm> gemms;
  std::map<AttentionKey, std::unique_ptr<AttentionBuffers>> attention;
  double arena_needed_bytes = 0;
  DeviceBuffer arena, targets;
  std::int64_t slot_bytes = 0;
  AdamParams adam_params;

  unsigned char* slot(int i) const {
    return arena.as<unsigned char>() + static_cast<std::ptrdiff_t>(i) * slot_bytes;
  }
  template <class T>
  T* slot_as(int i) const {
    return reinterpret_cast<T*>(slot(i));
  }

  // The kernel of the op's kind over as many elements as its bytes mean, in arena-sized chunks.
  void run_memory_bound(const MemoryBoundKernel& m, cudaStream_t s) {
    const MemoryOp op = memory_op_of(m.kind);
    const std::int64_t row = memory_op_row(op);
    const std::int64_t total = memory_op_elements_for_bytes(op, m.bytes);
    const auto per_slot = static_cast<std::int64_t>(static_cast<double>(slot_bytes) /
                                                    widest_array_bytes_per_element(op));
    const std::int64_t chunk = std::max<std::int64_t>(row, per_slot / row * row);
    for (std::int64_t done = 0; done < total; done += chunk) {
      const std::int64_t n = std::min(chunk, total - done);
      const std::int64_t rows = n / row;
      const int cols = static_cast<int>(row);
      switch (op) {
        case MemoryOp::rmsnorm:
          rmsnorm(slot_as<bf16>(0), slot_as<bf16>(1), slot_as<bf16>(4), rows, cols, s);
          break;
        case MemoryOp::swiglu:
          swiglu(slot_as<bf16>(0), slot_as<bf16>(4), rows, cols, s);
          break;
        case MemoryOp::rope:
          rope(slot_as<bf16>(0), slot_as<bf16>(4), rows, cols, kRopeHeads, kRopeSeq, s);
          break;
        case MemoryOp::cross_entropy:
          cross_entropy(slot_as<bf16>(0), targets.as<std::int32_t>(), slot_as<float>(5),
                        slot_as<bf16>(4), rows, cols, s);
          break;
        case MemoryOp::adam:
          gpu::adam(slot_as<float>(0), slot_as<float>(1), slot_as<float>(2), slot_as<bf16>(3),
                    slot_as<float>(4), slot_as<float>(5), slot_as<float>(6), slot_as<bf16>(7), n,
                    adam_params, s);
          break;
        default:
          copy(slot_as<bf16>(0), slot_as<bf16>(4), n, s);
          break;
      }
    }
  }
};

KernelRunner::KernelRunner(std::uint64_t seed, double arena_bytes)
    : impl_(std::make_unique<Impl>()) {
  int device = 0;
  PTSIM_CUDA(cudaGetDevice(&device));
  impl_->seed = seed;
  impl_->arena_cap_bytes = arena_bytes;
  impl_->device = describe_device(device);
  impl_->lt = std::make_unique<LtContext>(impl_->device.compute_capability_major);
}

KernelRunner::~KernelRunner() = default;

bool KernelRunner::prepare(const Kernel& kernel, cudaStream_t s) {
  Impl& im = *impl_;
  if (const auto* g = std::get_if<GemmKernel>(&kernel)) {
    if (g->quantise_a) prepare(quantise_kernel(*g), s);
    if (im.gemms.count(key_of(*g)) > 0) return true;
    auto runner = std::make_unique<GemmRunner>(*im.lt, g->m, g->n, g->k, g->dtype, 1,
                                               im.device.l2_bytes, im.seed, s);
    if (runner->candidates() == 0) {
      throw InputException(
          InputError{"GPU", "",
                     fmt::format("cuBLASLt offers no algorithm for the {} GEMM {}x{}x{}",
                                 dtype_name(g->dtype), g->m, g->n, g->k)});
    }
    im.gemms.emplace(key_of(*g), Impl::Gemm{std::move(runner), 0});
    return true;
  }
  if (const auto* a = std::get_if<AttentionKernel>(&kernel)) {
    const AttentionShape shape{a->batch, a->heads,       a->kv_heads,
                               a->q_len, a->head_dim_qk, a->causal};
    if (a->q_len != a->kv_len || a->head_dim_qk != a->head_dim_v || a->dtype != Dtype::bf16 ||
        !attention_shape_supported(shape)) {
      return false;
    }
    if (im.attention.count(key_of(*a)) == 0) {
      auto buffers = std::make_unique<AttentionBuffers>(shape, true, im.seed, s);
      buffers->forward(s);  // the o and lse that the backward pass reads
      im.attention.emplace(key_of(*a), std::move(buffers));
    }
    return true;
  }
  const auto& m = std::get<MemoryBoundKernel>(kernel);
  const MemoryOp op = memory_op_of(m.kind);
  im.arena_needed_bytes =
      std::max(im.arena_needed_bytes, kArenaSlots * widest_array_bytes_per_element(op) * m.bytes /
                                          memory_op_bytes_per_element(op));
  return true;
}

void KernelRunner::finish_preparing(cudaStream_t s) {
  Impl& im = *impl_;
  const std::int64_t ce_row = memory_op_row(MemoryOp::cross_entropy);
  const double arena_bytes = std::min(im.arena_needed_bytes, im.arena_cap_bytes);
  // Whole 256-byte blocks per slot, and at least one row of the widest row kernel.
  im.slot_bytes =
      std::max<std::int64_t>(static_cast<std::int64_t>(arena_bytes / kArenaSlots) / 256 * 256,
                             (4 * ce_row + 255) / 256 * 256);
  im.arena = DeviceBuffer(static_cast<std::size_t>(im.slot_bytes) * kArenaSlots);
  // Positive non-zero bf16 values: read as fp32 (AdamW's p, m, v) each pair is a positive finite
  // number, so the second moment's square root never sees a negative.
  fill_verifiable(im.arena.get(), ElementType::bf16, im.slot_bytes * kArenaSlots / 2, im.seed,
                  kStreamArena, ValueRange::unit_positive, s);
  const std::int64_t max_rows = im.slot_bytes / 2 / ce_row + 1;
  std::vector<std::int32_t> t(static_cast<std::size_t>(max_rows));
  for (std::int64_t r = 0; r < max_rows; ++r) {
    t[static_cast<std::size_t>(r)] = static_cast<std::int32_t>(
        verifiable_hash(im.seed, kStreamTargets, static_cast<std::uint64_t>(r)) %
        static_cast<std::uint64_t>(ce_row));
  }
  im.targets = DeviceBuffer(t.size() * 4);
  copy_to_device(im.targets, t.data(), im.targets.bytes(), s);
}

void KernelRunner::run(const Kernel& kernel, cudaStream_t s) {
  Impl& im = *impl_;
  if (const auto* g = std::get_if<GemmKernel>(&kernel)) {
    Impl::Gemm& gemm = im.gemms.at(key_of(*g));
    if (g->quantise_a) im.run_memory_bound(quantise_kernel(*g), s);
    for (int b = 0; b < g->batch; ++b)
      gemm.runner->launch(0, gemm.iteration++, s);
  } else if (const auto* a = std::get_if<AttentionKernel>(&kernel)) {
    AttentionBuffers& buffers = *im.attention.at(key_of(*a));
    if (a->backward) {
      buffers.backward(s);
    } else {
      buffers.forward(s);
    }
  } else {
    im.run_memory_bound(std::get<MemoryBoundKernel>(kernel), s);
  }
}

std::string KernelRunner::device_name() const {
  return impl_->device.name;
}

double KernelRunner::device_bytes() const {
  double bytes = static_cast<double>(impl_->arena.bytes() + impl_->targets.bytes());
  for (const auto& [key, g] : impl_->gemms) {
    bytes += GemmRunner::set_bytes(std::get<0>(key), std::get<1>(key), std::get<2>(key),
                                   std::get<3>(key));
  }
  return bytes;
}

std::string KernelRunner::summary() const {
  return fmt::format(
      "{} GEMM shapes on cuBLASLt heuristic #0, {} attention shapes on ptsim-flash-wmma, "
      "memory-bound kernels in chunks of up to {:.0f} MiB per operand",
      impl_->gemms.size(), impl_->attention.size(),
      static_cast<double>(impl_->slot_bytes) / (1 << 20));
}

}  // namespace ptsim::gpu
