// How the measured-runs file's records become configurations: the recomputation they state, and
// the completions (run_completions.json) that fill what they leave unstated.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <tuple>
#include <vector>

#include "common/json_reader.h"
#include "planner/published_runs.h"

namespace ptsim {
namespace {

struct Files {
  Json runs;
  Json completions;
};

Files shipped_files() {
  const std::string dir = std::string(PTSIM_SOURCE_DIR) + "/tests/data/validation/";
  auto runs = read_json_file(dir + "published_runs.json");
  auto completions = read_json_file(dir + "run_completions.json");
  EXPECT_TRUE(runs.ok() && completions.ok());
  return {*runs, *completions};
}

// The position of record `id` in the runs file; runs.size() when there is none.
std::size_t record_index(const Json& runs, const std::string& id) {
  std::size_t i = 0;
  while (i < runs.size() && runs[i].at("id") != id)
    ++i;
  return i;
}

const PublishedRun* find(const PublishedRuns& runs, const std::string& id) {
  for (const PublishedRun& r : runs.runs) {
    if (r.id == id) return &r;
  }
  return nullptr;
}

TEST(UnitPublishedRuns, SelectiveRecomputeReadsTheModulesTheRecordNames) {
  const Files f = shipped_files();
  auto runs = load_published_runs(f.runs, "published_runs.json", f.completions, "c.json");
  ASSERT_TRUE(runs.ok()) << runs.error().one_line();
  struct Case {
    const char* id;
    Recompute recompute;
    std::uint8_t modules;
  };
  for (const Case& c : {
           // "selective (layernorm, moe)"
           Case{"mzoo_qwen3_235b_longctx_16384_forced_balance", Recompute::selective,
                kRecomputeLayernorm | kRecomputeMoe},
           // "selective (norm, act)": the records' short forms
           Case{"mzoo_qwen3_235b_crossnodeEP_DeepEP_tp2pp8ep32_19.7s", Recompute::selective,
                kRecomputeLayernorm | kRecomputeMoeAct},
           // "selective (moe_act, layernorm)"
           Case{"mzoo_qwen3_235b_h100_320tf", Recompute::selective,
                kRecomputeLayernorm | kRecomputeMoeAct},
           // plain "selective": the attention core (Korthikanti et al. 2022)
           Case{"k22_t5_175B_selective_sp", Recompute::selective, kRecomputeCoreAttn},
           Case{"k22_t5_175B_full_recompute", Recompute::full, kRecomputeCoreAttn},
       }) {
    const PublishedRun* r = find(*runs, c.id);
    ASSERT_NE(r, nullptr) << c.id;
    EXPECT_EQ(r->parallel.recompute, c.recompute) << c.id;
    EXPECT_EQ(recompute_modules_name(r->parallel.recompute_modules),
              recompute_modules_name(c.modules))
        << c.id;
  }
}

TEST(UnitPublishedRuns, AnUnknownRecomputeModuleIsAnInputErrorNamingTheField) {
  Files f = shipped_files();
  bool changed = false;
  for (Json& record : f.runs) {
    if (record.at("id") == "k22_t5_175B_selective_sp") {
      record["activation_recompute"] = "selective (attention_scores)";
      changed = true;
    }
  }
  ASSERT_TRUE(changed);
  auto runs = load_published_runs(f.runs, "published_runs.json", f.completions, "c.json");
  ASSERT_FALSE(runs.ok());
  const std::string line = runs.error().one_line();
  EXPECT_NE(line.find("published_runs.json"), std::string::npos) << line;
  EXPECT_NE(line.find("/activation_recompute"), std::string::npos) << line;
  EXPECT_NE(line.find("attention_scores"), std::string::npos) << line;
}

// A field of the wrong type or out of range, in any record, is one input error naming the file,
// the record and the field: never a JSON library exception, and never a zero size that a later
// division would meet (a record with 0 heads used to stop validate with SIGFPE).
TEST(UnitPublishedRuns, AMistypedOrOutOfRangeFieldIsAnInputErrorNamingIt) {
  const std::vector<std::tuple<const char*, Json, const char*>> cases = {
      {"tp", "eight", "expected a whole number of at least 1"},
      {"num_attention_heads", 0, "expected a whole number of at least 1"},
      {"hidden_size", 12288.5, "expected a whole number"},
      {"micro_batch_size", Json::object(), "expected a whole number"},
      {"sequence_parallel", "yes", "expected true or false"},
      {"activation_recompute", 3, "expected a string"},
      {"moe_imbalance", 0.5, "expected a number of at least 1"},
      {"step_time_s", -14.2, "expected a number above 0"},
      {"num_kv_heads", 48, "do not divide into 48 key/value groups"},
  };
  for (const auto& [field, value, message] : cases) {
    SCOPED_TRACE(field);
    Files f = shipped_files();
    const std::size_t index = record_index(f.runs, "mlm21_t1_39.1B");
    ASSERT_LT(index, f.runs.size());
    f.runs[index][field] = value;
    auto runs = load_published_runs(f.runs, "published_runs.json", f.completions, "c.json");
    ASSERT_FALSE(runs.ok());
    const std::string line = runs.error().one_line();
    EXPECT_NE(line.find("published_runs.json"), std::string::npos) << line;
    std::string pointer = "/";
    pointer.append(std::to_string(index)).append("/").append(field);
    EXPECT_NE(line.find(pointer), std::string::npos) << line;
    EXPECT_NE(line.find(message), std::string::npos) << line;
  }
}

// Megatron-Core's experts run Transformer Engine's per-expert GEMMs unless a record or a completion
// says the run used one grouped kernel.
TEST(UnitPublishedRuns, ExpertGemmsArePerExpertUnlessTheRecordSaysGrouped) {
  Files f = shipped_files();
  const std::string id = "mzoo_mixtral_8x22b_dropless";
  for (Json& record : f.runs) {
    if (record.at("id") == id) record["expert_gemm"] = "grouped";
  }
  auto runs = load_published_runs(f.runs, "published_runs.json", f.completions, "c.json");
  ASSERT_TRUE(runs.ok()) << runs.error().one_line();
  for (const PublishedRun& r : runs->runs) {
    EXPECT_EQ(r.parallel.expert_gemm, r.id == id ? ExpertGemm::grouped : ExpertGemm::multi_stream)
        << r.id;
  }
  for (Json& record : f.runs) {
    if (record.at("id") == id) record["expert_gemm"] = "cutlass";
  }
  auto bad = load_published_runs(f.runs, "published_runs.json", f.completions, "c.json");
  ASSERT_FALSE(bad.ok());
  const std::string line = bad.error().one_line();
  EXPECT_NE(line.find("/expert_gemm"), std::string::npos) << line;
  EXPECT_NE(line.find("cutlass"), std::string::npos) << line;
}

// Every shipped run states the schedules its framework offered, and each run's own schedule is one
// of them (a published layout its framework could not have run would be a wrong completion).
TEST(UnitPublishedRuns, EveryRunsScheduleIsOneItsFrameworkOffered) {
  const Files f = shipped_files();
  auto runs = load_published_runs(f.runs, "published_runs.json", f.completions, "c.json");
  ASSERT_TRUE(runs.ok()) << runs.error().one_line();
  for (const PublishedRun& r : runs->runs) {
    const auto& offered = r.framework_schedules;
    ASSERT_FALSE(offered.empty()) << r.id;
    EXPECT_NE(std::find(offered.begin(), offered.end(), r.parallel.schedule), offered.end())
        << r.id << ": " << schedule_name(r.parallel.schedule);
    EXPECT_EQ(std::find(offered.begin(), offered.end(), Schedule::zb_h1), offered.end()) << r.id;
  }
  const PublishedRun* bloom = find(*runs, "bloom176b_384gpu_gbs2048");
  ASSERT_NE(bloom, nullptr);
  EXPECT_EQ(bloom->framework_schedules, std::vector<Schedule>{Schedule::one_f_one_b});
}

TEST(UnitPublishedRuns, AnUnknownFrameworkScheduleIsAnInputErrorNamingTheField) {
  Files f = shipped_files();
  for (Json& record : f.runs) {
    if (record.at("id") == "k22_t5_175B_selective_sp")
      record["framework_schedules"] = Json::array({"1f1b", "looped-bfs"});
  }
  auto runs = load_published_runs(f.runs, "published_runs.json", f.completions, "c.json");
  ASSERT_FALSE(runs.ok());
  const std::string line = runs.error().one_line();
  EXPECT_NE(line.find("/framework_schedules"), std::string::npos) << line;
  EXPECT_NE(line.find("looped-bfs"), std::string::npos) << line;
}

// The layout fields a record leaves to convention are searched by the planner's ranking, and only
// those: Table 1 of Narayanan et al. 2021 gives neither micro-batch size nor chunk count (but its
// 39.1B row cannot interleave on 2 stages), Table 2's PTD-P rows give the micro-batch and the
// model-parallel size but neither its split into tp and pp nor the chunks, the Megatron-Core
// README table neither micro-batch nor chunks; the ZeRO-3 rows and the MoE model zoo state all.
TEST(UnitPublishedRuns, OnlyTheLayoutFieldsARecordLeavesToConventionAreSearchedByTheRanking) {
  const Files f = shipped_files();
  auto runs = load_published_runs(f.runs, "published_runs.json", f.completions, "c.json");
  ASSERT_TRUE(runs.ok()) << runs.error().one_line();
  using Searched = std::tuple<bool, bool, bool>;  // micro-batch, vpp, tp x pp split
  auto searched = [&](const char* id) {
    const PublishedRun* r = find(*runs, id);
    EXPECT_NE(r, nullptr) << id;
    if (r == nullptr) return Searched{};
    const auto& s = r->ranking_searches;
    return Searched{s.micro_batch, s.vpp, s.tp_pp_split};
  };
  EXPECT_EQ(searched("mlm21_t1_76.1B"), Searched(true, true, false));
  EXPECT_EQ(searched("mlm21_t1_39.1B"), Searched(true, false, false));
  EXPECT_EQ(searched("mlm21_t2_ptd_174B_384gpu"), Searched(false, true, true));
  EXPECT_EQ(searched("mlm21_t2_ptd_529B_560gpu"), Searched(false, true, true));
  EXPECT_EQ(searched("mcore08_weak_70B"), Searched(true, true, false));
  EXPECT_EQ(searched("mlm21_t2_zero3_174B_384gpu"), Searched(false, false, false));
  EXPECT_EQ(searched("k22_t5_175B_selective_sp"), Searched(false, false, false));
  EXPECT_EQ(searched("mzoo_qwen3_235b_crossnodeEP_DeepEP_tp2pp8ep32_17.6s"),
            Searched(false, false, false));
  EXPECT_EQ(searched("bloom176b_384gpu_gbs2048"), Searched(false, false, false));
}

TEST(UnitPublishedRuns, ARankingSearchOfAnotherFieldIsAnInputErrorNamingTheField) {
  Files f = shipped_files();
  for (Json& record : f.runs) {
    if (record.at("id") == "k22_t5_175B_selective_sp")
      record["ranking_searches"] = Json::array({"vpp", "tp"});
  }
  auto runs = load_published_runs(f.runs, "published_runs.json", f.completions, "c.json");
  ASSERT_FALSE(runs.ok());
  const std::string line = runs.error().one_line();
  EXPECT_NE(line.find("/ranking_searches"), std::string::npos) << line;
  EXPECT_NE(line.find("'tp'"), std::string::npos) << line;
}

// A record that gives a throughput but not the layout that reached it is planned (validate
// compares it with the planner's fastest layout) only where a completion says `layout`, with the
// reason; the layout fields it and its completions do not state are 0 so that nothing simulates
// them by mistake. Without the completion the record is skipped, naming what it lacks.
TEST(UnitPublishedRuns, ARecordWithoutItsLayoutIsPlannedOnlyWhereACompletionSaysSo) {
  Files f = shipped_files();
  auto runs = load_published_runs(f.runs, "published_runs.json", f.completions, "c.json");
  ASSERT_TRUE(runs.ok()) << runs.error().one_line();
  EXPECT_TRUE(runs->skipped.empty());
  using Layout = std::tuple<int, int, int>;
  const std::vector<std::pair<std::string, Layout>> planned = {
      {"mlm21_gpt3_175b_1024gpu", {8, 0, 0}},  // tp 8 as in every Table 1 row from 18.4B
      {"mcore08_strong_177B_96gpu", {8, 6, 0}},
      {"mcore08_strong_177B_4608gpu", {8, 6, 0}},
  };
  for (const PublishedRun& r : runs->runs) {
    const auto it = std::find_if(planned.begin(), planned.end(),
                                 [&](const auto& p) { return p.first == r.id; });
    EXPECT_EQ(r.ranking_searches.layout, it != planned.end()) << r.id;
    if (it == planned.end()) {
      EXPECT_GT(r.parallel.tp * r.parallel.pp * r.parallel.dp, 0) << r.id;
      continue;
    }
    EXPECT_EQ(Layout(r.parallel.tp, r.parallel.pp, r.parallel.dp), it->second) << r.id;
  }
  // Without the completion, the GPT-3 estimate of Narayanan et al. names what it lacks.
  Json completions = f.completions;
  Json& list = completions["completions"];
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (list[i].at("match") == "mlm21_gpt3_175b_1024gpu") list.erase(i);
  }
  auto without = load_published_runs(f.runs, "published_runs.json", completions, "c.json");
  ASSERT_TRUE(without.ok()) << without.error().one_line();
  ASSERT_EQ(without->skipped.size(), 1u);
  EXPECT_EQ(without->skipped[0].id, "mlm21_gpt3_175b_1024gpu");
  EXPECT_EQ(without->skipped[0].reason, "not stated: tp, pp, dp");
}

TEST(UnitPublishedRuns, PlanningTheLayoutOfARecordThatStatesItIsAnInputError) {
  for (const char* id : {"k22_t5_175B_selective_sp", "k22_t4_22B_layer_full_recompute"}) {
    SCOPED_TRACE(id);
    Files f = shipped_files();
    const std::size_t index = record_index(f.runs, id);
    ASSERT_LT(index, f.runs.size());
    // The per-layer record loses its dp: it still cannot be planned, as it times its own layout.
    if (std::string(id).find("layer") != std::string::npos) f.runs[index].erase("dp");
    f.runs[index]["ranking_searches"] = Json::array({"layout"});
    auto runs = load_published_runs(f.runs, "published_runs.json", f.completions, "c.json");
    ASSERT_FALSE(runs.ok());
    const std::string line = runs.error().one_line();
    std::string pointer = "/";
    pointer.append(std::to_string(index)).append("/ranking_searches");
    EXPECT_NE(line.find(pointer), std::string::npos) << line;
  }
}

// A record that gives only a model FLOP utilisation is measured through the FLOP formula its
// source divided by. Korthikanti et al. 2022 Appendix A and the Megatron-Core r0.8 README (for
// these GPT shapes: 4h FFN, no key/value groups) both count 72 B s l h^2 (1 + s/(6h) + V/(12 l h))
// model FLOPs per step, the attention core in full; the expected values are that formula.
TEST(UnitPublishedRuns, AnMfuIsMeasuredThroughTheSourcesFlopFormula) {
  const Files f = shipped_files();
  auto runs = load_published_runs(f.runs, "published_runs.json", f.completions, "c.json");
  ASSERT_TRUE(runs.ok()) << runs.error().one_line();
  struct Case {
    const char* id;
    double mfu, peak_tflops, batch, seq, layers, hidden, vocab, gpus;
  };
  for (const Case& c : {
           Case{"k22_530B_2240gpu_full_recompute", 0.421, 312, 2240, 2048, 105, 20480, 51200, 2240},
           Case{"k22_appC_175B_microbatch_level_recompute", 0.523, 312, 64, 2048, 96, 12288, 51200,
                64},
           Case{"mcore08_strong_177B_4608gpu", 0.42, 989, 1152, 4096, 96, 12288, 131072, 4608},
       }) {
    const PublishedRun* r = find(*runs, c.id);
    ASSERT_NE(r, nullptr) << c.id;
    const double h = c.hidden, s = c.seq, l = c.layers;
    const double flops = 72 * c.batch * s * l * h * h * (1 + s / (6 * h) + c.vocab / (12 * l * h));
    const double step_s = flops / (c.gpus * c.mfu * c.peak_tflops * 1e12);
    const double tokens_per_s_per_gpu = c.batch * s / step_s / c.gpus;
    EXPECT_NEAR(r->measured, tokens_per_s_per_gpu, 1e-9 * tokens_per_s_per_gpu) << c.id;
    EXPECT_NE(r->measured_from.find("mfu"), std::string::npos) << c.id;
  }
}

// Megatron-Core r0.8 counted the attention core (Q K^T and scores x V, 2 q s multiply-adds per
// token and layer, times 3 for the backward) over the whole sequence; the model zoo counts the
// causal half: the two differ by 6 q s per token and layer.
TEST(UnitPublishedRuns, TheCausalCountHalvesOnlyTheAttentionCore) {
  ModelSpec m;
  m.hidden = 4096;
  m.layers = 94;
  m.heads = 64;
  m.kv_heads = 4;
  m.head_dim = 128;
  m.ffn_hidden = 12288;
  m.vocab = 151936;
  m.mlp = MlpKind::swiglu;
  const int seq = 4096, batch = 3;
  const double full = megatron_core_flops(m, seq, batch, AttentionCoreCount::full);
  const double causal = megatron_core_flops(m, seq, batch, AttentionCoreCount::causal);
  const double q = 64.0 * 128;
  EXPECT_NEAR(full - causal, 6 * q * seq * m.layers * double(seq) * batch, 1e-9 * full);
}

// A bad value that a completion supplied is the completions file's error, at the completion's
// field, not the record's (which never stated it).
TEST(UnitPublishedRuns, ABadCompletedValueNamesTheCompletionThatSuppliedIt) {
  Files f = shipped_files();
  f.completions["completions"][0]["fields"]["ranking_searches"] = Json::array({"dp"});
  auto runs = load_published_runs(f.runs, "published_runs.json", f.completions, "c.json");
  ASSERT_FALSE(runs.ok());
  const std::string line = runs.error().one_line();
  EXPECT_NE(line.find("c.json"), std::string::npos) << line;
  EXPECT_NE(line.find("/completions/0/fields/ranking_searches"), std::string::npos) << line;
  EXPECT_EQ(line.find("published_runs.json"), std::string::npos) << line;
}

// DeepSpeed's pipeline engine refuses ZeRO-2 and -3: the runs that trained with DeepSpeed say so,
// the others state no limit; a stage outside 0-3 is an input error naming the field.
TEST(UnitPublishedRuns, DeepSpeedRunsStateTheHighestZeroStageTheirFrameworkCouldPipeline) {
  Files f = shipped_files();
  auto runs = load_published_runs(f.runs, "published_runs.json", f.completions, "c.json");
  ASSERT_TRUE(runs.ok()) << runs.error().one_line();
  for (const PublishedRun& r : runs->runs) {
    const bool deepspeed = r.id.rfind("mlm21_t2_zero3_", 0) == 0 || r.family == "bloom176b";
    EXPECT_EQ(r.framework_pipeline_zero_max, deepspeed ? 1 : -1) << r.id;
  }
  for (Json& record : f.runs) {
    if (record.at("id") == "bloom176b_384gpu_gbs2048") record["framework_pipeline_zero_max"] = 4;
  }
  auto bad = load_published_runs(f.runs, "published_runs.json", f.completions, "c.json");
  ASSERT_FALSE(bad.ok());
  const std::string line = bad.error().one_line();
  EXPECT_NE(line.find("/framework_pipeline_zero_max"), std::string::npos) << line;
}

// Megatron-LM 2021-22 took --num-layers-per-virtual-pipeline-stage, so an interleaved run's chunk
// count divides the layers per stage, and it interleaved only with more than 2 stages
// (arguments.py asserts both); it also waited for every pipeline send. The completions of the
// shipped files must respect that for every Megatron-LM run of those years.
TEST(UnitPublishedRuns, MegatronLm2021And2022InterleavingIsARunnableOne) {
  const Files f = shipped_files();
  auto runs = load_published_runs(f.runs, "published_runs.json", f.completions, "c.json");
  ASSERT_TRUE(runs.ok()) << runs.error().one_line();
  int interleaved = 0;
  for (const PublishedRun& r : runs->runs) {
    const bool old_megatron = r.id.rfind("mlm21_", 0) == 0 || r.id.rfind("k22_", 0) == 0;
    if (!old_megatron) {
      EXPECT_TRUE(r.parallel.overlap_p2p) << r.id;
      continue;
    }
    EXPECT_FALSE(r.parallel.overlap_p2p) << r.id;
    if (r.parallel.schedule != Schedule::interleaved) continue;
    ++interleaved;
    EXPECT_GT(r.parallel.pp, 2) << r.id;
    ASSERT_EQ(r.model.layers % r.parallel.pp, 0) << r.id;
    EXPECT_EQ((r.model.layers / r.parallel.pp) % r.parallel.vpp, 0)
        << r.id << ": " << r.model.layers << " layers, pp " << r.parallel.pp << ", vpp "
        << r.parallel.vpp;
  }
  EXPECT_GE(interleaved, 15);
}

// Completions fill only what is still unset, in file order: the first that sets a field wins, as
// the file's "about" says.
TEST(UnitPublishedRuns, TheFirstCompletionToSetAFieldWins) {
  Files f = shipped_files();
  Json completions = Json::object();
  completions["schema_version"] = 1;
  completions["completions"] =
      Json::array({Json{{"match", "mlm21_t1_145"}, {"fields", {{"vpp", 5}}}, {"why", "specific"}},
                   Json{{"match", "mlm21_t1_"}, {"fields", {{"vpp", 2}}}, {"why", "general"}}});
  auto runs = load_published_runs(f.runs, "published_runs.json", completions, "c.json");
  ASSERT_TRUE(runs.ok()) << runs.error().one_line();
  const PublishedRun* specific = find(*runs, "mlm21_t1_145.6B");
  const PublishedRun* general = find(*runs, "mlm21_t1_310.1B");
  ASSERT_NE(specific, nullptr);
  ASSERT_NE(general, nullptr);
  EXPECT_EQ(specific->parallel.vpp, 5);
  EXPECT_EQ(general->parallel.vpp, 2);
}

}  // namespace
}  // namespace ptsim
