// A published run that trained on 80 GB GPUs fits in 80 GB in simulation: Megatron-Bridge's
// DeepSeek-V3 pre-training on 1,024 H100s in FP8 (performance summary, 25.09 container: tp 2,
// pp 8, vp 4, ep 64, micro-batch 1, global batch 8192, 4096 tokens, 1,297 tokens/s per GPU), with
// its recipe's settings (scripts/performance dryrun config deepseek_v3_pretrain_h100_fp8_sc_v1:
// sequence parallelism, the distributed optimizer, selective recomputation of the modules mlp and
// mla_up_proj, the flex dispatcher, forced load balancing). Two parts of the memory model decide
// it: mla_up_proj discards MLA's up-projected heads, and fp8 training keeps each linear layer's
// input as a 1-byte copy: 74.3 GiB of 79.6 with both, 93.2 GiB with the heads kept, 85.6 GiB with
// every saved tensor 16-bit (104.5 GiB with neither, as the simulator had it before both).
#include <gtest/gtest.h>

#include "tests/simulator/catalogue_run.h"

namespace ptsim {
namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

struct Case {
  Precision precision;
  std::uint8_t recompute_modules;
};

MemoryReport deepseek_v3_memory(const Case& c) {
  TrainingConfig t;
  t.seq_len = 4096;
  t.global_batch = 8192;
  t.precision = c.precision;
  ParallelConfig p;
  p.tp = 2;
  p.pp = 8;
  p.vpp = 4;
  p.schedule = Schedule::interleaved;
  p.dp = 64;
  p.ep = 64;
  p.micro_batch = 1;
  p.sequence_parallel = true;
  p.zero_stage = 1;
  p.recompute = Recompute::selective;
  p.recompute_modules = c.recompute_modules;
  p.moe_dispatcher = MoeDispatcher::deepep;
  return testing::run_catalogue_step("deepseek-v3", 0, "dgx-h100", 1024, t, p).memory;
}

TEST(PublishedMemory, DeepSeekV3Fp8OnH100FitsWithItsRecipe) {
  const MemoryReport recipe =
      deepseek_v3_memory({Precision::fp8, kRecomputeMlp | kRecomputeMlaUpProj});
  EXPECT_TRUE(recipe.fits) << recipe.peak_bytes / kGiB << " GiB";
  // The two mechanisms matter: the heads kept, or every saved tensor 16-bit, and it does not fit.
  const MemoryReport heads_kept = deepseek_v3_memory({Precision::fp8, kRecomputeMlp});
  EXPECT_FALSE(heads_kept.fits) << heads_kept.peak_bytes / kGiB << " GiB";
  const MemoryReport bf16 =
      deepseek_v3_memory({Precision::bf16, kRecomputeMlp | kRecomputeMlaUpProj});
  EXPECT_FALSE(bf16.fits) << bf16.peak_bytes / kGiB << " GiB";
}

}  // namespace
}  // namespace ptsim
