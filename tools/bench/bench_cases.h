// The configurations the README's speed figures are quoted for, shared by the bench sections.
#pragma once

#include <string>
#include <vector>

#include "sim/workload/parallel_config.h"

namespace ptsim::bench {

struct Case {
  std::string label;
  std::string model;
  int gpus = 0;
  int seq_len = 0;
  int global_batch = 0;
  ParallelConfig parallel;
};

// llama3-70b on 512 GPUs (tp8 pp4 dp16, 128 micro-batches of one 8k sequence), llama3-405b on
// 16,384 GPUs without and with context parallelism (the Llama 3 pre-training and long-context
// layouts: tp8 pp16 dp128 at 8k, tp8 pp16 cp16 dp8 at 128k), and qwen3-235b-a22b on 256 GPUs
// (tp2 pp8 vpp4 dp16 ep32 with DeepEP: a mixture-of-experts step, whose expert all-to-alls make
// many concurrent flows).
std::vector<Case> readme_cases();

}  // namespace ptsim::bench
