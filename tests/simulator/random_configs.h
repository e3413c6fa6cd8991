// Random valid training configurations for property tests: small models (a few layers, hidden 256
// to 1024), 8 to 32 GPUs, every parallel dimension, schedule, ZeRO stage, recomputation mode,
// overlap option, DeepSpeed switch (serial sends, fp32 gradient copy) and expert GEMM mode the
// builder knows, drawn from a seeded Rng (common/rng.h) so every run sees the same sequence. Only
// configurations that check_config accepts are returned.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/rng.h"
#include "sim/workload/config_rules.h"
#include "sim/workload/model_spec.h"
#include "sim/workload/parallel_config.h"
#include "sim/workload/training_config.h"

namespace ptsim::testing {

struct RandomConfig {
  ModelSpec model;
  TrainingConfig training;
  ParallelConfig parallel;
  int gpus = 8;
  int micro_batches = 1;

  std::string describe() const;
};

struct RandomConfigOptions {
  std::vector<int> gpu_counts = {8, 16, 32};
  bool allow_moe = true;
  bool allow_fp8 = true;
  std::vector<int> zero_stages = {0, 1, 2, 3};
  // Rank placement orders to draw from (innermost first, sim/workload/rank_layout.h).
  std::vector<std::string> rank_orders = {kDefaultRankOrder};
  // Micro-batches per pipeline are drawn so that halving them (doubling the micro-batch size)
  // still gives a valid configuration.
  bool even_micro_batches = false;
};

// Draws until check_config accepts (a few hundred tries at most in practice).
RandomConfig random_config(Rng& rng, const RandomConfigOptions& options = {});

}  // namespace ptsim::testing
