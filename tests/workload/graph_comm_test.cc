// Bytes per collective type per step and rank, read from the built graph's ops, against the closed
// forms (per-rank wire volume as nccl-tests counts it: all-reduce 2(n-1)/n S, all-gather,
// reduce-scatter and all-to-all (n-1)/n S, ring shift and send S):
// * DP gradient reduction 2(n-1)/n x 2 Psi bytes; ZeRO-1/2 the same (reduce-scatter + all-gather);
//   ZeRO-3 1.5x (all-gather in forward and in backward, reduce-scatter), ZeRO paper section 7;
// * Megatron TP per layer and micro-batch: 4 all-reduces of b s h, i.e. 8 b s h (t-1)/t elements
//   (Narayanan et al. 2021 section 3.2); under sequence parallelism 4 all-gathers + 4
//   reduce-scatters of the same total, plus the backward's all-gather of each block's input for its
//   weight gradient (Korthikanti et al. 2022 section 4.2.2): 10 b s h (t-1)/t;
// * PP: b s h elements per micro-batch and boundary (s / cp; / t under sequence parallelism);
// * CP ring: (cp-1) key/value blocks forward, (2cp-1) backward (blocks and their gradients, then
//   the gradients home), per layer and micro-batch;
// * EP: dispatch and combine, forward and backward, each (ep-1)/ep of the routed tokens.
#include <gtest/gtest.h>

#include "graph_inspect.h"
#include "sim/workload/rank_shapes.h"
#include "test_specs.h"

namespace ptsim {
namespace {

struct Case {
  ModelSpec m = testing::llama_spec(4, 512, 8, 8, 1024, 4096);
  TrainingConfig t;
  ParallelConfig p;
  Case() {
    t.seq_len = 256;
    t.global_batch = 8;
  }
  StepGraph build(GraphMode mode = GraphMode::reduced) {
    auto r = build_step_graph(m, t, p, p.world_size(), mode);
    EXPECT_TRUE(r.verdict.ok) << r.verdict.reason;
    return std::move(*r.step);
  }
};

double relative(double a, double b) {
  return std::abs(a - b) / std::max(1.0, std::abs(b));
}

TEST(UnitGraphComm, DataParallelGradientBytesFollowZeroSectionSeven) {
  for (int zero = 0; zero <= 3; ++zero) {
    Case s;
    s.p.dp = 8;
    s.p.zero_stage = zero;
    s.t.global_batch = 8;  // one micro-batch per step, as the ZeRO paper's accounting assumes
    const StepGraph step = s.build();
    const double psi = step.params_by_pipeline_rank[0];
    const double n = 8;
    const double dp_allreduce = 2 * (n - 1) / n * 2.0 * psi;
    const double expected = zero == 3 ? 1.5 * dp_allreduce : dp_allreduce;
    EXPECT_LT(relative(testing::wire_bytes(step, 0, Category::dp), expected), 1e-12)
        << "zero " << zero;
    EXPECT_LT(relative(step.comm_bytes_by_pipeline_rank[0][static_cast<std::size_t>(Category::dp)],
                       expected),
              1e-12);
  }
}

TEST(UnitGraphComm, Fp32GradientReductionDoublesTheReducedBytesNotTheGatheredOnes) {
  // Megatron-LM under bf16 reduces gradients in fp32 (4 bytes) and gathers bf16 parameters (2):
  // DDP all-reduces 2(n-1)/n x 4 Psi; ZeRO-1/2 reduce-scatter (n-1)/n x 4 Psi and all-gather
  // (n-1)/n x 2 Psi; ZeRO-3 gathers twice (2 Psi each) and reduce-scatters 4 Psi.
  for (int zero = 0; zero <= 3; ++zero) {
    Case s;
    s.p.dp = 8;
    s.p.zero_stage = zero;
    s.p.grad_reduce_fp32 = true;
    s.t.global_batch = 8;
    const StepGraph step = s.build();
    const double psi = step.params_by_pipeline_rank[0];
    const double f = 7.0 / 8.0;
    const double expected = zero == 0  ? 2 * f * 4 * psi
                            : zero < 3 ? f * (4 + 2) * psi
                                       : f * (4 + 2 * 2) * psi;
    EXPECT_LT(relative(testing::wire_bytes(step, 0, Category::dp), expected), 1e-12)
        << "zero " << zero;
  }
}

TEST(UnitGraphComm, ShardedGradientsReduceEveryMicroBatch) {
  // ZeRO-2 and ZeRO-3 keep only a shard of the gradients, so each micro-batch's gradients are
  // reduce-scattered at once (DeepSpeed stage 2, FSDP); ZeRO-1 and DDP reduce once per step.
  const double n = 4, m = 4;
  for (int zero = 0; zero <= 3; ++zero) {
    Case s;
    s.p.dp = 4;
    s.p.zero_stage = zero;
    s.t.global_batch = 16;
    const StepGraph step = s.build();
    const double psi = step.params_by_pipeline_rank[0];
    const double one = (n - 1) / n * 2.0 * psi;  // one reduce-scatter or all-gather of 2 Psi
    const double expected = zero <= 1 ? 2 * one : (zero == 2 ? (m + 1) * one : 3 * m * one);
    EXPECT_LT(relative(testing::wire_bytes(step, 0, Category::dp), expected), 1e-12)
        << "zero " << zero;
  }
}

double layer_mb_bytes(const StepGraph& step, Category c, int layer, int mb) {
  return testing::wire_bytes(step, 0, c,
                             [&](const Op& op) { return op.label.a == layer && op.label.b == mb; });
}

TEST(UnitGraphComm, TensorParallelBytesPerLayerWithAndWithoutSequenceParallelism) {
  for (bool sp : {false, true}) {
    for (int tp : {2, 4, 8}) {
      Case s;
      s.p.tp = tp;
      s.p.sequence_parallel = sp;
      s.p.micro_batch = 2;
      const StepGraph step = s.build();
      const double bsh = 2.0 * s.t.seq_len * s.m.hidden;
      const double elements = (sp ? 10.0 : 8.0) * bsh * (tp - 1) / tp;
      EXPECT_LT(relative(layer_mb_bytes(step, Category::tp, 1, 0), 2.0 * elements), 1e-12)
          << "tp " << tp << " sp " << sp;
    }
  }
}

TEST(UnitGraphComm, PipelineSendsCarryOneActivationPerMicroBatch) {
  for (bool sp : {false, true}) {
    Case s;
    s.p.pp = 4;
    s.p.tp = 2;
    s.p.cp = 2;
    s.p.sequence_parallel = sp;
    const StepGraph step = s.build();
    const double expected = 2.0 * s.p.micro_batch * (s.t.seq_len / 2.0) * s.m.hidden / (sp ? 2 : 1);
    int sends = 0;
    for (const Op& op : step.graph.ops()) {
      if (op.kind != OpKind::send) continue;
      EXPECT_DOUBLE_EQ(step.graph.transfer_of(op).bytes, expected);
      ++sends;
    }
    // Forward and backward sends across 3 boundaries for each of 8 micro-batches.
    EXPECT_EQ(sends, 2 * 3 * 8);
  }
}

TEST(UnitGraphComm, ContextParallelRingMovesKeyValueBlocks) {
  for (int cp : {2, 4}) {
    Case s;
    s.m = testing::llama_spec(4, 512, 8, 2, 1024, 4096);  // GQA: 2 kv heads
    s.p.cp = cp;
    const StepGraph step = s.build();
    const double tokens = s.p.micro_batch * s.t.seq_len / static_cast<double>(cp);
    const double kv = 2.0 * tokens * 2 * (64 + 64);  // bf16 k and v of 2 heads of dim 64
    const double fwd = (cp - 1) * kv;
    const double bwd = (2 * cp - 1) * kv;
    EXPECT_LT(relative(layer_mb_bytes(step, Category::cp, 2, 1), fwd + bwd), 1e-12) << "cp " << cp;
  }
}

TEST(UnitGraphComm, ExpertAllToAllBytesPerMoeLayer) {
  for (int ep : {2, 4, 8}) {
    Case s;
    s.m = testing::moe_spec(4, 512, 8, 8, 512, 8, 2, 4096);
    s.p.dp = 8;
    s.p.ep = ep;
    s.t.global_batch = 16;
    const StepGraph step = s.build();
    const double routed = s.t.seq_len * 2.0 /*top-k*/ * s.m.hidden * 2.0;  // bytes each rank sends
    const double expected = 4 * (ep - 1.0) / ep * routed;
    EXPECT_LT(relative(layer_mb_bytes(step, Category::ep, 3, 0), expected), 1e-12) << "ep " << ep;
  }
}

TEST(UnitGraphComm, BuilderAccountingAgreesWithTheOps) {
  Case s;
  s.m = testing::moe_spec(4, 512, 8, 4, 512, 8, 2, 4096);
  s.p.tp = 2;
  s.p.sequence_parallel = true;
  s.p.pp = 2;
  s.p.dp = 4;
  s.p.ep = 4;
  s.p.zero_stage = 1;
  s.t.global_batch = 16;
  const StepGraph step = s.build(GraphMode::full);
  for (GraphRank r = 0; r < step.graph.rank_count(); ++r) {
    const int pr = step.pipeline_rank[r];
    for (Category c : {Category::tp, Category::cp, Category::dp, Category::pp, Category::ep}) {
      EXPECT_LT(relative(testing::wire_bytes(step, r, c),
                         step.comm_bytes_by_pipeline_rank[static_cast<std::size_t>(pr)]
                                                         [static_cast<std::size_t>(c)]),
                1e-12)
          << "rank " << r << " " << category_name(c);
    }
  }
}

}  // namespace
}  // namespace ptsim
