// Measurement records: JSON round trips, strict reading with JSON-pointer errors, stable keys.
#include "calibration/measurement.h"

#include <gtest/gtest.h>

#include <set>

#include "calibration/provenance.h"

namespace ptsim {
namespace {

Timing some_timing() {
  return {1.5e-3, 1.4e-3, 1.7e-3, 5, 20};
}

std::vector<Measurement> one_of_each() {
  GemmMeasurement g;
  g.m = 8192;
  g.n = 1280;
  g.k = 8192;
  g.dtype = Dtype::fp8;
  g.origin = "llama3-70b tp8 mb1 qkv fwd";
  g.timing = some_timing();
  g.best_s = 1.2e-3;
  g.best_index = 3;
  g.candidates = 8;
  g.heuristic0_waves = 2.5;
  g.best_waves = 1.9;
  AttentionMeasurement a;
  a.batch = 4;
  a.heads = 32;
  a.kv_heads = 8;
  a.seq = 4096;
  a.head_dim = 128;
  a.causal = true;
  a.backward = true;
  a.implementation = "ptsim-flash-wmma";
  a.timing = some_timing();
  MemoryMeasurement mm;
  mm.op = MemoryOp::rmsnorm;
  mm.elements = 8192 * 16;
  mm.bytes = 4.0 * mm.elements;
  mm.timing = some_timing();
  mm.wrong = 2;
  CollectiveMeasurement c;
  c.collective = Collective::reduce_scatter;
  c.ranks = 8;
  c.nodes = 1;
  c.count = 1024;
  c.bytes = 32768;
  c.timing = some_timing();
  c.algbw_bytes_per_s = 1e9;
  c.busbw_bytes_per_s = 0.875e9;
  InterferenceMeasurement i;
  i.held_sms = 16;
  i.sm_count = 132;
  i.m = i.n = i.k = 8192;
  i.alone_s = 1.4e-3;
  i.timing = some_timing();
  i.comm_bytes_per_s = 300e9;
  return {g, a, mm, c, i};
}

TEST(UnitMeasurementIo, EveryKindRoundTripsThroughJson) {
  for (const Measurement& m : one_of_each()) {
    const Json j = measurement_to_json(m);
    auto back = measurement_from_json(j, "x.jsonl", "line 2");
    ASSERT_TRUE(back.ok()) << back.error().one_line();
    EXPECT_EQ(measurement_to_json(*back), j) << j.dump();
    EXPECT_EQ(measurement_key(*back), measurement_key(m));
  }
}

TEST(UnitMeasurementIo, KeysNameThePointAndDifferAcrossPoints) {
  const auto all = one_of_each();
  EXPECT_EQ(measurement_key(all[0]), "gemm/fp8/8192x1280x8192");
  EXPECT_EQ(measurement_key(all[3]), "collective/reduce_scatter/r8/n1/1024");
  std::set<std::string> keys;
  for (const auto& m : all)
    keys.insert(measurement_key(m));
  EXPECT_EQ(keys.size(), all.size());
  // Times are not part of the key: a re-measured point has the same key.
  auto g = std::get<GemmMeasurement>(all[0]);
  g.timing.median_s *= 2;
  EXPECT_EQ(measurement_key(g), measurement_key(all[0]));
}

TEST(UnitMeasurementIo, UnknownKeysAndKindsAreInputErrorsWithTheirPointer) {
  Json j = measurement_to_json(one_of_each()[2]);
  j["colour"] = "blue";
  auto r = measurement_from_json(j, "run.jsonl", "line 7");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().one_line(), "run.jsonl: line 7/colour: unknown key");

  Json k = measurement_to_json(one_of_each()[0]);
  k["kind"] = "fft";
  auto r2 = measurement_from_json(k, "run.jsonl", "line 3");
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.error().field, "line 3/kind");
}

TEST(UnitMeasurementIo, MissingAndInvalidFieldsAreInputErrors) {
  Json j = measurement_to_json(one_of_each()[0]);
  j.erase("best_s");
  auto r = measurement_from_json(j, "f", "");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().field, "/best_s");

  Json bad_dtype = measurement_to_json(one_of_each()[0]);
  bad_dtype["dtype"] = "int4";
  EXPECT_FALSE(measurement_from_json(bad_dtype, "f", "").ok());

  Json neg = measurement_to_json(one_of_each()[3]);
  neg["time_s"] = -1.0;
  auto r3 = measurement_from_json(neg, "f", "");
  ASSERT_FALSE(r3.ok());
  EXPECT_EQ(r3.error().field, "/time_s");

  Json gqa = measurement_to_json(one_of_each()[1]);
  gqa["kv_heads"] = 5;  // 32 query heads cannot share 5 KV heads
  EXPECT_FALSE(measurement_from_json(gqa, "f", "").ok());
}

TEST(UnitMeasurementIo, AttentionFlopsFollowFlashAttentionsCount) {
  // Shah et al. 2024 section 4.1: forward 4 s^2 d h per sequence, halved causal; backward 2.5x.
  const auto a = std::get<AttentionMeasurement>(one_of_each()[1]);  // causal, backward
  const double forward = 4.0 * 4096.0 * 4096 * 128 * 32 * 4 / 2;
  EXPECT_DOUBLE_EQ(a.flops(), 2.5 * forward);
}

TEST(UnitProvenance, RoundTripsAndKeepsOnlyAllowListedEnvironment) {
  Provenance p;
  p.tool = "ptsim calibrate 0.1.0";
  p.command_line = {"calibrate", "--quick"};
  p.date_utc = "2026-11-24T10:00:00Z";
  p.device.name = "NVIDIA H100 80GB HBM3";
  p.device.sm_count = 132;
  p.nccl_version = "2.28.9";
  p.env = {{"CUDA_VISIBLE_DEVICES", "0"}, {"NCCL_ALGO", "Ring"}};
  p.args = Json{{"seed", 7}};
  const Json j = provenance_to_json(p);
  auto back = provenance_from_json(j, "f", "/provenance");
  ASSERT_TRUE(back.ok()) << back.error().one_line();
  EXPECT_EQ(provenance_to_json(*back), j);

  ::setenv("NCCL_PTSIM_TEST_VAR", "1", 1);
  ::setenv("PTSIM_NOT_ALLOWED", "1", 1);
  const auto env = allow_listed_environment();
  EXPECT_EQ(env.count("NCCL_PTSIM_TEST_VAR"), 1u);
  EXPECT_EQ(env.count("PTSIM_NOT_ALLOWED"), 0u);
  for (const auto& [k, v] : env) {
    EXPECT_TRUE(k.rfind("NCCL_", 0) == 0 || k.rfind("CUDA_", 0) == 0) << k;
  }
}

}  // namespace
}  // namespace ptsim
