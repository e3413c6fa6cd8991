// The same step through two equivalent paths (SimGrid's ADD_TESH_FACTORIES idea, STYLE rule 14):
// the full graph (every GPU a graph rank) and the reduced graph (one representative per role,
// standing for its symmetric peers, whose traffic the network accounts through Group::replicas).
// DESIGN.md "The execution graph": both must give the same step time on symmetric
// configurations. Every configuration drawn here is symmetric: whole nodes, balanced experts
// (moe_imbalance 1), every data/tensor/context/expert peer doing identical work; the rank order is
// Megatron's default or one of three others that move the pipeline or context dimension (for
// MoE models only orders with pp outermost, see random_configs.cc). Tolerance 0.1% of the step,
// room for the reduced graph's simplifications (links that only replicas use are left out,
// sim/network/collective_flows.h); the worst difference seen is printed (so far exactly 0: a
// reduced flow carries its replicas' load as link weights, which max-min sharing treats exactly
// like the separate flows of the full graph).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <string>

#include "hardware_profiles/catalogue.h"
#include "planner/evaluate.h"
#include "tests/simulator/random_configs.h"
#include "tests/simulator/sim_fixtures.h"

namespace ptsim {
namespace {

using testing::random_config;
using testing::RandomConfig;

constexpr double kTolerance = 1e-3;

TEST(PropertySimulator, ReducedAndFullGraphsAgreeOnSymmetricConfigs) {
  Rng rng(404);
  double worst = 0;
  std::string worst_config;
  int compared = 0;
  int distinct = 0;  // comparisons where the full graph really has more ranks than the reduced one
  testing::RandomConfigOptions options;
  options.gpu_counts = {8, 16, 32, 64};
  options.rank_orders = {kDefaultRankOrder, "tp-cp-ep-pp-dp", "tp-pp-cp-ep-dp", "cp-tp-ep-dp-pp"};
  for (int i = 0; i < 300; ++i) {
    RandomConfig c = random_config(rng, options);
    const std::string name = rng.pick(std::vector<std::string>{"dgx-h100", "dgx-b200"});
    auto cluster = load_cluster(name);
    ASSERT_TRUE(cluster.ok());
    const Topology topology = testing::build_topology(*cluster, c.gpus);
    EvaluationOptions reduced_options;
    reduced_options.mode = GraphMode::reduced;
    EvaluationOptions full_options;
    full_options.mode = GraphMode::full;
    const Evaluation reduced =
        evaluate(c.model, c.training, c.parallel, *cluster, topology, c.gpus, reduced_options);
    const Evaluation full =
        evaluate(c.model, c.training, c.parallel, *cluster, topology, c.gpus, full_options);
    ASSERT_TRUE(reduced.result && full.result) << c.describe();
    const double a = reduced.result->step_time_s;
    const double b = full.result->step_time_s;
    const double diff = std::abs(a - b) / b;
    EXPECT_LE(diff, kTolerance) << "reduced " << a << " s, full " << b << " s on " << name << ": "
                                << c.describe();
    // Memory is per role too: the worst GPU's peak must agree as well.
    EXPECT_NEAR(reduced.result->memory.peak_bytes, full.result->memory.peak_bytes,
                1e-9 * full.result->memory.peak_bytes)
        << c.describe();
    if (full.result->ops > reduced.result->ops) ++distinct;
    if (diff > worst) {
      worst = diff;
      worst_config = name + ": " + c.describe();
    }
    ++compared;
  }
  // The comparison must not be vacuous: most draws have symmetric peers to fold.
  EXPECT_GT(distinct, compared / 2);
  std::printf(
      "[ reduced vs full ] %d configurations (%d with a smaller reduced graph), worst "
      "relative step-time difference %.3g%s%s\n",
      compared, distinct, worst, worst > 0 ? " on " : "", worst_config.c_str());
  RecordProperty("worst_relative_difference", std::to_string(worst));
}

}  // namespace
}  // namespace ptsim
