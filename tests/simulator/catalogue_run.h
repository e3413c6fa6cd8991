// One simulated step of a shipped model preset on a shipped cluster profile, for tests that check
// the catalogue's numbers against published runs (unlike sim_fixtures.h, whose hardware is
// hand-made).
#pragma once

#include <gtest/gtest.h>

#include <string_view>

#include "hardware_profiles/catalogue.h"
#include "planner/evaluate.h"
#include "sim/network/topology.h"
#include "sim/workload/presets.h"

namespace ptsim::testing {

// `layers` > 0 cuts the model to that many layers. The result is empty (and the test failed)
// when the model, cluster or configuration does not load or build.
inline StepResult run_catalogue_step(std::string_view model_name, int layers,
                                     std::string_view cluster_name, int gpus,
                                     const TrainingConfig& t, const ParallelConfig& p) {
  auto model = load_model(model_name);
  EXPECT_TRUE(model.ok());
  if (!model.ok()) return {};
  if (layers > 0) model->layers = layers;
  auto cluster = load_cluster(cluster_name);
  EXPECT_TRUE(cluster.ok());
  if (!cluster.ok()) return {};
  auto topology = Topology::build(*cluster, gpus);
  EXPECT_TRUE(topology.ok());
  if (!topology.ok()) return {};
  const Evaluation e = evaluate(*model, t, p, *cluster, *topology, gpus);
  EXPECT_TRUE(e.verdict.ok) << e.verdict.reason;
  return e.result ? *e.result : StepResult{};
}

}  // namespace ptsim::testing
