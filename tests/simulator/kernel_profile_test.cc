// The kernel profile (sim/kernel_profile.h): a rank's kernels by class, timed by the compute cost
// model. On the ideal GPU of sim_fixtures.h every class has a closed-form time (FLOPs over the
// peak, or bytes over HBM bandwidth), so a hand-made graph checks counts, times, FLOPs and bytes
// exactly; on real step graphs the profile must add up to what the timeline spends computing.
#include <gtest/gtest.h>

#include <algorithm>

#include "hardware_profiles/catalogue.h"
#include "planner/evaluate.h"
#include "planner/result_json.h"
#include "sim/kernel_profile.h"
#include "sim/workload/graph_builder.h"
#include "sim/workload/presets.h"
#include "tests/simulator/sim_fixtures.h"
#include "tests/workload/test_specs.h"

namespace ptsim {
namespace {

TEST(UnitKernelProfile, CountsTimesFlopsAndBytesOfOneRankByClass) {
  const GpuProfile gpu = testing::ideal_gpu();
  const ComputeCostModel cost(gpu);
  Graph g = testing::full_graph(2, {"compute"});
  const std::uint32_t label = g.intern_label("op{0}");
  // A 2048 x 1024 x 4096 bf16 GEMM: FLOPs (2 m n k) and bytes (A and B read, C written) by closed
  // form; its time is the cost model's, which adds tile and wave quantisation to the roofline.
  const GemmKernel gemm{2048, 1024, 4096, 1, Dtype::bf16, false};
  const MemoryBoundKernel norm{MemoryBoundKind::norm, 8e6, 2e6};  // 8 us at 1 TB/s
  AttentionKernel fwd{1, 8, 8, 1024, 1024, 128, 128, true, false, Dtype::bf16};
  AttentionKernel bwd = fwd;
  bwd.backward = true;
  const std::uint32_t k_gemm = g.intern_kernel(gemm);
  const std::uint32_t k_norm = g.intern_kernel(norm);
  const std::uint32_t k_fwd = g.intern_kernel(fwd);
  const std::uint32_t k_bwd = g.intern_kernel(bwd);
  const std::uint32_t first[] = {k_norm, k_gemm, k_fwd};
  const std::uint32_t second[] = {k_bwd, k_gemm, k_norm};
  g.add_compute_sequence(0, 0, Category::compute, first, OpLabel{label, 0}, {});
  g.add_compute_sequence(0, 0, Category::compute, second, OpLabel{label, 1}, {});
  // Another rank's kernels and a memory event do not count.
  g.add_compute_interned(1, 0, Category::compute, k_gemm, OpLabel{label, 2}, {});
  g.add_memory(0, 0, true, MemoryTag::activations, 1e9, OpLabel{label, 3}, {});

  const KernelProfile p = kernel_profile(g, 0, cost);
  EXPECT_EQ(p.rank, 0u);
  const auto& c = p.by_class;
  const auto at = [&](KernelClass k) { return c[static_cast<std::size_t>(k)]; };
  EXPECT_EQ(at(KernelClass::gemm).count, 2u);
  EXPECT_EQ(at(KernelClass::norm).count, 2u);
  EXPECT_EQ(at(KernelClass::attention_forward).count, 1u);
  EXPECT_EQ(at(KernelClass::attention_backward).count, 1u);
  EXPECT_EQ(at(KernelClass::softmax).count, 0u);
  EXPECT_EQ(at(KernelClass::batched_gemm).count, 0u);

  EXPECT_DOUBLE_EQ(at(KernelClass::gemm).flops, 2 * 2.0 * 2048 * 1024 * 4096);
  EXPECT_DOUBLE_EQ(at(KernelClass::gemm).bytes,
                   2 * 2.0 * (2048.0 * 4096 + 4096.0 * 1024 + 2048.0 * 1024));
  EXPECT_DOUBLE_EQ(at(KernelClass::gemm).time_s, 2 * cost.gemm_time_s(gemm));
  EXPECT_NEAR(at(KernelClass::norm).time_s, 2 * 8e-6, 1e-15);
  EXPECT_DOUBLE_EQ(at(KernelClass::norm).bytes, 16e6);
  // Causal forward: 2 q kv (d_qk + d_v) heads / 2; backward 2.5 times that.
  const double fwd_flops = 2.0 * 1024 * 1024 * 256 * 8 / 2;
  EXPECT_DOUBLE_EQ(at(KernelClass::attention_forward).flops, fwd_flops);
  EXPECT_DOUBLE_EQ(at(KernelClass::attention_backward).flops, 2.5 * fwd_flops);
  // At 1024 tokens the forward is HBM-bound on the ideal GPU: q, k, v, o of 2 MiB each at 1 TB/s
  // (8.4 us) against 2.1 us of FLOPs at the peak.
  const double fwd_bytes = 4.0 * 1024 * 8 * 128 * 2;
  EXPECT_DOUBLE_EQ(at(KernelClass::attention_forward).bytes, fwd_bytes);
  EXPECT_NEAR(at(KernelClass::attention_forward).time_s,
              std::max(fwd_flops / 1000e12, fwd_bytes / 1e12), 1e-15);

  double sum = 0;
  for (const Op& op : g.ops()) {
    if (op.rank != 0 || op.kind != OpKind::compute) continue;
    for (std::uint32_t k : g.kernels_of(op))
      sum += cost.time_s(g.kernel(k));
  }
  EXPECT_DOUBLE_EQ(p.total_time_s(), sum);
}

TEST(UnitKernelProfile, Fp8GemmBytesCountOneByteInputsTwoByteOutputAndTheInputCast) {
  const GemmKernel k{1024, 512, 256, 2, Dtype::fp8, true};
  EXPECT_DOUBLE_EQ(k.bytes(), 2 * (1024.0 * 256 + 256.0 * 512 + 1024.0 * 512 * 2));
  // The cast reads A in bf16 and writes two fp8 copies: 4 bytes per element of A.
  EXPECT_DOUBLE_EQ(kernel_bytes(Kernel{k}), k.bytes() + 4.0 * 1024 * 256 * 2);
}

TEST(UnitKernelProfile, GemmsOfSeveralProductsAreTheirOwnClass) {
  EXPECT_EQ(kernel_class(GemmKernel{512, 3072, 4096, 1, Dtype::bf16}), KernelClass::gemm);
  // A rank's 16 experts, per-expert on 4 streams or grouped, and unfused attention's products.
  EXPECT_EQ(kernel_class(GemmKernel{512, 3072, 4096, 16, Dtype::bf16, false, 4}),
            KernelClass::batched_gemm);
  EXPECT_EQ(kernel_class(GemmKernel{512, 3072, 4096, 16, Dtype::bf16}), KernelClass::batched_gemm);
  EXPECT_EQ(kernel_class(GemmKernel{2048, 2048, 128, 32, Dtype::bf16}), KernelClass::batched_gemm);
  // In a step of a mixture-of-experts model, the experts' FLOPs are the batched class's.
  const ModelSpec model = testing::moe_spec(2, 512, 8, 8, 1024, 8, 2, 4096);
  TrainingConfig t;
  t.seq_len = 512;
  t.global_batch = 8;
  ParallelConfig p;
  p.dp = 8;
  p.ep = 2;
  auto r = build_step_graph(model, t, p, 8, GraphMode::reduced);
  ASSERT_TRUE(r.verdict.ok) << r.verdict.reason;
  const GpuProfile gpu = testing::ideal_gpu();
  const KernelProfile k = kernel_profile(r.step->graph, 0, ComputeCostModel(gpu));
  const KernelClassTotals& batched =
      k.by_class[static_cast<std::size_t>(KernelClass::batched_gemm)];
  // Per micro-batch of 512 tokens, 2 layers of top-2 routing through 4 local experts of
  // 512 -> 2 x 1024 (gated) -> 512: forward 2 x 512 x 2 x 3 x 512 x 1024 FLOPs per layer (the
  // tokens the rank's experts receive equal the tokens it sends when routing is balanced), backward
  // twice that; 1 micro-batch per rank (global batch 8 over dp 8).
  const double expert_fwd = 2.0 * 512 * 2 * 3 * 512 * 1024;
  EXPECT_DOUBLE_EQ(batched.flops, 2 * 3 * expert_fwd);
  EXPECT_EQ(batched.count, 2u * 2 * 3);  // per layer: fc1 and fc2, each forward, dgrad, wgrad
}

TEST(UnitKernelProfile, EveryMemoryBoundKindHasItsOwnClass) {
  for (auto kind : {MemoryBoundKind::norm, MemoryBoundKind::activation, MemoryBoundKind::rope,
                    MemoryBoundKind::softmax, MemoryBoundKind::elementwise,
                    MemoryBoundKind::optimizer, MemoryBoundKind::copy}) {
    const KernelClass c = kernel_class(MemoryBoundKernel{kind, 1, 0});
    EXPECT_STREQ(kernel_class_name(c), memory_bound_kind_name(kind));
  }
}

// The timeline runs each compute op for its kernels' time, slowed while communication of the rank
// is in flight: the profile (at full speed) is at most the compute and optimizer time of the
// breakdown, and equal to it when nothing slows compute down.
TEST(UnitKernelProfile, AddsUpToTheComputeTimeOfTheTimeline) {
  auto model = load_model("llama3-8b");
  ASSERT_TRUE(model.ok());
  TrainingConfig t;
  t.seq_len = 2048;
  t.global_batch = 16;
  ParallelConfig p;
  p.tp = 2;
  p.pp = 2;
  p.dp = 4;
  p.micro_batch = 1;
  p.sequence_parallel = true;
  for (const double slowdown : {0.0, 0.27}) {
    auto cluster = load_cluster("dgx-h100");
    ASSERT_TRUE(cluster.ok());
    cluster->gpu.efficiency.comm_overlap_slowdown = slowdown;
    const Topology topology = testing::build_topology(*cluster, 16);
    const Evaluation e = evaluate(*model, t, p, *cluster, topology, 16);
    ASSERT_TRUE(e.verdict.ok) << e.verdict.reason;
    ASSERT_TRUE(e.result->kernels.has_value());
    const auto& s = e.result->breakdown.seconds;
    const double busy = s[static_cast<std::size_t>(Category::compute)] +
                        s[static_cast<std::size_t>(Category::optimizer)];
    const double kernels = e.result->kernels->total_time_s();
    EXPECT_GT(kernels, 0);
    if (slowdown == 0) {
      EXPECT_NEAR(kernels, busy, 1e-9 * busy) << "no slowdown";
    } else {
      EXPECT_LT(kernels, busy);
    }
    const Json j = step_result_json(*e.result, ConfigDescription{*model, t, p, *cluster, 16});
    ASSERT_TRUE(j.contains("kernels"));
    EXPECT_EQ(j.at("kernels").at("classes").size(), kKernelClassCount);
    EXPECT_DOUBLE_EQ(j.at("kernels").at("classes").at("gemm").at("time_s").get<double>(),
                     e.result->kernels->by_class[0].time_s);
  }
}

}  // namespace
}  // namespace ptsim
