// DESIGN.md's result JSON for one configuration (simulate, and each candidate of the planner):
// step_time_s, tokens_per_s, tflops_per_gpu, mfu, hfu, flops.{model,hardware}_per_step,
// memory.{peak_bytes, per_stage, capacity_bytes, fits, ...}, comm_bytes_per_rank.{tp,cp,dp,pp,ep},
// breakdown (seconds: compute, optimizer, exposed tp/cp/dp/pp/ep, bubble), kernels (the same rank's
// kernels by class: count, time_s, flops, bytes) and config
// (every field resolved). SI units throughout. Wall-clock figures go under "provenance", which
// golden comparisons ignore.
#pragma once

#include "common/json_reader.h"
#include "planner/evaluate.h"

namespace ptsim {

struct ConfigDescription {
  const ModelSpec& model;
  const TrainingConfig& training;
  const ParallelConfig& parallel;
  const ClusterProfile& cluster;
  int gpus;
};

Json config_json(const ConfigDescription& c);
Json step_result_json(const StepResult& r, const ConfigDescription& c);

}  // namespace ptsim
