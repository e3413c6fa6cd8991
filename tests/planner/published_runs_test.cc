// How the measured-runs file's records become configurations: the recomputation they state.
#include <gtest/gtest.h>

#include <string>

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

}  // namespace
}  // namespace ptsim
