// peak_memory_micro_batches (sim/workload/pipeline_schedule.h): a step cut to that many
// micro-batches peaks at the same memory as the whole step, on every pipeline rank. The planner
// relies on it to check memory with a short simulation; this holds it against full simulations of
// random configurations (every schedule, ZeRO stage, recomputation mode and overlap switch) whose
// micro-batch count is well past the cut.
#include <gtest/gtest.h>

#include "planner/evaluate.h"
#include "sim/workload/config_rules.h"
#include "sim/workload/pipeline_schedule.h"
#include "tests/simulator/random_configs.h"
#include "tests/simulator/sim_fixtures.h"

namespace ptsim {
namespace {

TEST(UnitMemoryProbe, CutsEverySchedulePastItsSteadyStateButGpipe) {
  EXPECT_EQ(peak_memory_micro_batches(Schedule::one_f_one_b, 4, 1, 1000), 24);
  EXPECT_EQ(peak_memory_micro_batches(Schedule::one_f_one_b, 1, 1, 1000), 6);
  EXPECT_EQ(peak_memory_micro_batches(Schedule::interleaved, 4, 3, 1000), 40);
  EXPECT_EQ(peak_memory_micro_batches(Schedule::one_f_one_b, 4, 1, 12), 12);
  EXPECT_EQ(peak_memory_micro_batches(Schedule::gpipe, 4, 1, 1000), 1000);
}

TEST(PropertyMemoryProbe, ACutStepPeaksAtTheWholeStepsMemoryOnEveryStage) {
  Rng rng(20261207);
  const ClusterProfile cluster = testing::ideal_cluster();
  int compared = 0;
  for (int i = 0; i < 150; ++i) {
    testing::RandomConfig c = testing::random_config(rng);
    const ParallelConfig& p = c.parallel;
    // Enough micro-batches for the cut to bite: twice the cut, plus one period of 2 pp.
    const int cut = peak_memory_micro_batches(p.schedule, p.pp, p.vpp, 1 << 20);
    const int whole = p.schedule == Schedule::gpipe ? 3 * p.pp : 2 * cut + 2 * p.pp;
    TrainingConfig full = c.training;
    full.global_batch = whole * p.micro_batch * p.dp;
    if (!check_config(c.model, full, p, c.gpus).ok) continue;
    TrainingConfig probe = full;
    probe.global_batch =
        peak_memory_micro_batches(p.schedule, p.pp, p.vpp, whole) * p.micro_batch * p.dp;
    ASSERT_TRUE(check_config(c.model, probe, p, c.gpus).ok) << c.describe();
    const Topology topology = testing::build_topology(cluster, c.gpus);
    EvaluationOptions options;
    options.record_op_times = false;
    const Evaluation a = evaluate(c.model, full, p, cluster, topology, c.gpus, options);
    const Evaluation b = evaluate(c.model, probe, p, cluster, topology, c.gpus, options);
    ASSERT_TRUE(a.verdict.ok && b.verdict.ok) << c.describe();
    ASSERT_EQ(a.result->memory.per_stage_bytes.size(), b.result->memory.per_stage_bytes.size());
    for (std::size_t s = 0; s < a.result->memory.per_stage_bytes.size(); ++s) {
      EXPECT_NEAR(b.result->memory.per_stage_bytes[s], a.result->memory.per_stage_bytes[s],
                  1e-9 * a.result->memory.per_stage_bytes[s])
          << "stage " << s << ": " << c.describe() << " (" << whole << " micro-batches cut to "
          << micro_batches_per_step(probe, p) << ")";
    }
    ++compared;
  }
  EXPECT_GE(compared, 100);
}

}  // namespace
}  // namespace ptsim
