// The optimizer phase's bytes (sim/workload/optimizer_step.h) for each ZeRO stage, by hand:
// Adam 28 B and the gradient norm 4 B per parameter of the shard, plus the zeroed gradient buffer
// (the whole rank's under ZeRO 0/1, the shard's under 2/3) at the gradient width.
#include <gtest/gtest.h>

#include "sim/workload/optimizer_step.h"

namespace ptsim {
namespace {

TEST(UnitOptimizerStep, BytesPerParameterForEachZeroStageAndGradientWidth) {
  const double params = 1.0e9, dp = 8;
  struct Case {
    int zero;
    bool fp32_grads;
    double expected_bytes;
  };
  for (const Case& c : {
           Case{0, true, 36 * params},   // DDP: Adam + norm + fp32 buffer, all local
           Case{0, false, 34 * params},  // bf16 gradient buffer
           Case{1, true, 32 * params / dp + 4 * params},  // distributed optimizer: full buffer
           Case{2, true, 36 * params / dp},               // gradients sharded too
           Case{3, false, 34 * params / dp},              // FSDP with bf16 gradients
       }) {
    ParallelConfig p;
    p.zero_stage = c.zero;
    p.grad_reduce_fp32 = c.fp32_grads;
    const double shard = c.zero >= 1 ? params / dp : params;
    const MemoryBoundKernel k = optimizer_step_kernel(p, params, shard);
    EXPECT_DOUBLE_EQ(k.bytes, c.expected_bytes) << "zero " << c.zero << " fp32 " << c.fp32_grads;
    EXPECT_EQ(k.kind, MemoryBoundKind::optimizer);
  }
}

}  // namespace
}  // namespace ptsim
