#include "tools/bench/bench_cases.h"

namespace ptsim::bench {

namespace {

ParallelConfig layout(int tp, int pp, int dp, int cp) {
  ParallelConfig p;
  p.tp = tp;
  p.pp = pp;
  p.dp = dp;
  p.cp = cp;
  p.sequence_parallel = tp > 1;
  p.zero_stage = 1;
  p.recompute = Recompute::none;
  p.schedule = Schedule::one_f_one_b;
  return p;
}

// The Megatron MoE model zoo's Qwen3-235B layout on 256 H100s (tp2 pp8 vpp4 ep32, DeepEP,
// selective recomputation of the norms and expert activations; a validation run).
ParallelConfig qwen3_layout() {
  ParallelConfig p = layout(2, 8, 16, 1);
  p.ep = 32;
  p.vpp = 4;
  p.schedule = Schedule::interleaved;
  p.recompute = Recompute::selective;
  p.recompute_modules = kRecomputeLayernorm | kRecomputeMoeAct;
  p.moe_dispatcher = MoeDispatcher::deepep;
  return p;
}

}  // namespace

std::vector<Case> readme_cases() {
  return {
      {"llama3-70b   512 GPUs  tp8 pp4 dp16", "llama3-70b", 512, 8192, 2048, layout(8, 4, 16, 1)},
      {"llama3-405b 16384 GPUs tp8 pp16 dp128", "llama3-405b", 16384, 8192, 2048,
       layout(8, 16, 128, 1)},
      {"llama3-405b 16384 GPUs tp8 pp16 cp16 dp8", "llama3-405b", 16384, 131072, 128,
       layout(8, 16, 8, 16)},
      {"qwen3-235b   256 GPUs  tp2 pp8 dp16 ep32", "qwen3-235b-a22b", 256, 4096, 2048,
       qwen3_layout()},
  };
}

}  // namespace ptsim::bench
