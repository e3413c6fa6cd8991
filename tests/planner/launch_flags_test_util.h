// Independent readers for the three launch-flag formats, written from the frameworks' documented
// rules rather than from the planner's writers, and a generator of random valid configurations.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

// GCC 12's libstdc++ <regex> trips -Wmaybe-uninitialized inside its own NFA code under
// -O1 -fsanitize=address (a false positive in the library, not here).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <regex>
#pragma GCC diagnostic pop

#include "common/rng.h"
#include "planner/launch_flags.h"
#include "sim/workload/config_rules.h"
#include "sim/workload/presets.h"
#include "sim/workload/rank_layout.h"

namespace ptsim::testing {

// ---------------------------------------------------------------------------------------------
// Megatron-LM: a torchrun command line, flags after the script name.
struct MegatronArgs {
  std::map<std::string, std::string> launcher;  // torchrun's own flags
  std::map<std::string, std::string> flags;     // value "" for switches
  std::vector<std::string> order;               // flags in order of appearance

  bool has(const std::string& f) const { return flags.count(f) > 0; }
  int integer(const std::string& f, int fallback) const {
    auto it = flags.find(f);
    return it == flags.end() ? fallback : std::stoi(it->second);
  }
};

inline MegatronArgs parse_megatron(const std::string& text) {
  MegatronArgs a;
  std::istringstream in(text);
  std::vector<std::string> tokens;
  for (std::string tok; in >> tok;) {
    if (tok != "\\") tokens.push_back(tok);
  }
  bool after_script = false;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    const std::string& tok = tokens[i];
    if (tok == "pretrain_gpt.py") {
      after_script = true;
      continue;
    }
    if (tok.rfind("--", 0) != 0) continue;
    // A value, or a list of them (argparse nargs: --recompute-modules layernorm moe), joined by
    // spaces.
    std::string value;
    while (i + 1 < tokens.size() && tokens[i + 1].rfind("--", 0) != 0 &&
           tokens[i + 1] != "pretrain_gpt.py") {
      if (!value.empty()) value += ' ';
      value += tokens[++i];
    }
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    if (after_script) {
      EXPECT_EQ(a.flags.count(tok), 0u) << "flag given twice: " << tok;
      a.flags[tok] = value;
      a.order.push_back(tok);
    } else {
      a.launcher[tok] = value;
    }
  }
  return a;
}

// Megatron's --pipeline-model-parallel-layout, unrolled as
// megatron/core/transformer/pipeline_parallel_layer_layout.py describes: commas are cosmetic,
// "(X)*n" repeats X, "c*n" repeats one character, '|' separates stages; returns the decoder
// layers ('t') per stage and checks that 'E' opens the first stage and 'L' closes the last.
inline std::vector<int> megatron_layout_layers(std::string layout) {
  layout.erase(std::remove(layout.begin(), layout.end(), ','), layout.end());
  const auto unroll = [](const std::string& s, const std::regex& re) {
    std::string out;
    auto begin = std::sregex_iterator(s.begin(), s.end(), re);
    std::size_t last = 0;
    for (auto it = begin; it != std::sregex_iterator(); ++it) {
      out += s.substr(last, static_cast<std::size_t>(it->position()) - last);
      for (int k = 0; k < std::stoi((*it)[2].str()); ++k)
        out += (*it)[1].str();
      last = static_cast<std::size_t>(it->position() + it->length());
    }
    return out + s.substr(last);
  };
  layout = unroll(layout, std::regex(R"(\(([^)]+)\)\*(\d+))"));
  layout = unroll(layout, std::regex(R"((.)\*(\d+))"));
  std::vector<int> layers(1, 0);
  for (std::size_t i = 0; i < layout.size(); ++i) {
    const char c = layout[i];
    if (c == '|') {
      layers.push_back(0);
    } else if (c == 't') {
      ++layers.back();
    } else if (c == 'E') {
      EXPECT_EQ(i, 0u) << "embedding must open the first stage";
    } else if (c == 'L') {
      EXPECT_EQ(i + 1, layout.size()) << "loss must close the last stage";
    } else {
      ADD_FAILURE() << "unexpected layout character " << c;
    }
  }
  return layers;
}

// Layers per model stage that Megatron-LM builds from the flags (transformer_layer.py
// get_transformer_layer_offset and arguments.py): the explicit layout; else first/last stage
// counts with the rest spread evenly over the middle stages; else an even split over pp x vpp.
inline std::vector<int> megatron_stage_layers(const MegatronArgs& a) {
  const int layers = a.integer("--num-layers", 0);
  const int pp = a.integer("--pipeline-model-parallel-size", 1);
  if (a.has("--pipeline-model-parallel-layout")) {
    return megatron_layout_layers(a.flags.at("--pipeline-model-parallel-layout"));
  }
  const int vpp = a.integer("--num-virtual-stages-per-pipeline-rank", 1);
  if (a.has("--decoder-first-pipeline-num-layers") || a.has("--decoder-last-pipeline-num-layers")) {
    EXPECT_EQ(vpp, 1) << "first/last layer counts are used without virtual stages here";
    const int first = a.integer("--decoder-first-pipeline-num-layers", -1);
    const int last = a.integer("--decoder-last-pipeline-num-layers", -1);
    const int middle_stages = pp - (first >= 0) - (last >= 0);
    const int middle_layers = layers - std::max(first, 0) - std::max(last, 0);
    EXPECT_GT(middle_stages, 0);
    EXPECT_EQ(middle_layers % middle_stages, 0) << "Megatron needs an even middle split";
    std::vector<int> out(static_cast<std::size_t>(pp), middle_layers / middle_stages);
    if (first >= 0) out.front() = first;
    if (last >= 0) out.back() = last;
    return out;
  }
  EXPECT_EQ(layers % (pp * vpp), 0) << "an even split must divide";
  return std::vector<int>(static_cast<std::size_t>(pp * vpp), layers / (pp * vpp));
}

// ---------------------------------------------------------------------------------------------
// torchtitan: just enough TOML for the job config the planner writes: "[section]" headers,
// "key = value" lines, '#' comments, and the one multi-line array (module_fqns_per_model_part).
struct Toml {
  std::map<std::string, std::string> values;  // "section.key" -> raw value
  std::vector<std::vector<std::string>> model_parts;

  bool has(const std::string& k) const { return values.count(k) > 0; }
  int integer(const std::string& k) const { return std::stoi(values.at(k)); }
  std::string str(const std::string& k) const {
    const std::string& v = values.at(k);
    EXPECT_GE(v.size(), 2u);
    return v.substr(1, v.size() - 2);
  }
};

inline Toml parse_toml(const std::string& text) {
  Toml t;
  std::istringstream in(text);
  std::string section;
  bool in_parts = false;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    if (in_parts) {
      if (line == "]") {
        in_parts = false;
        continue;
      }
      std::vector<std::string> part;
      static const std::regex quoted("\"([^\"]*)\"");
      for (auto it = std::sregex_iterator(line.begin(), line.end(), quoted);
           it != std::sregex_iterator(); ++it)
        part.push_back((*it)[1].str());
      t.model_parts.push_back(part);
      continue;
    }
    if (line[0] == '[') {
      section = line.substr(1, line.find(']') - 1);
      continue;
    }
    const auto eq = line.find(" = ");
    EXPECT_NE(eq, std::string::npos) << line;
    if (eq == std::string::npos) continue;
    const std::string key = section + "." + line.substr(0, eq);
    const std::string value = line.substr(eq + 3);
    EXPECT_EQ(t.values.count(key), 0u) << "key given twice: " << key;
    t.values[key] = value;
    if (value == "[") in_parts = true;
  }
  return t;
}

// ---------------------------------------------------------------------------------------------
// Random valid configurations of shipped presets.
struct Plan {
  ModelSpec model;
  TrainingConfig training;
  ParallelConfig parallel;
  int gpus = 0;
};

inline const std::vector<ModelSpec>& property_models() {
  static const std::vector<ModelSpec> models = [] {
    std::vector<ModelSpec> out;
    for (const char* name : {"llama3-8b", "llama3-70b", "llama3-405b", "llama2-7b", "gpt3-175b",
                             "mixtral-8x7b", "deepseek-v3", "qwen3-235b-a22b"}) {
      auto m = load_model(name);
      EXPECT_TRUE(m.ok()) << name;
      if (m.ok()) out.push_back(m.value());
    }
    return out;
  }();
  return models;
}

inline Plan random_plan(Rng& rng) {
  static const std::vector<int> kPow2 = {1, 2, 4, 8};
  static const std::vector<Schedule> kSchedules = {Schedule::gpipe, Schedule::one_f_one_b,
                                                   Schedule::interleaved, Schedule::zb_h1,
                                                   Schedule::dualpipe};
  static const std::vector<std::string> kOrders = {kDefaultRankOrder, "tp-cp-ep-pp-dp",
                                                   "tp-pp-cp-ep-dp", "cp-tp-ep-dp-pp"};
  for (int attempt = 0; attempt < 100000; ++attempt) {
    Plan plan;
    plan.model = rng.pick(property_models());
    const ModelSpec& m = plan.model;
    ParallelConfig& p = plan.parallel;
    TrainingConfig& t = plan.training;
    p.tp = rng.pick(kPow2);
    p.pp = rng.pick(std::vector<int>{1, 2, 3, 4, 8, 16});
    p.cp = rng.pick(std::vector<int>{1, 1, 2, 4});
    p.dp = rng.pick(std::vector<int>{1, 2, 4, 8, 16});
    p.schedule = p.pp == 1 ? Schedule::one_f_one_b : rng.pick(kSchedules);
    p.vpp = p.schedule == Schedule::interleaved ? static_cast<int>(rng.uniform_int(2, 5)) : 1;
    p.micro_batch = rng.pick(std::vector<int>{1, 2, 4});
    p.sequence_parallel = p.tp > 1 && (m.is_moe() || rng.uniform01() < 0.7);
    if (m.is_moe()) {
      p.ep = rng.pick(std::vector<int>{1, 2, 4, 8});
      p.etp = rng.uniform01() < 0.5 ? 1 : p.tp;
    }
    p.zero_stage = static_cast<int>(rng.uniform_int(0, 3));
    p.recompute =
        rng.pick(std::vector<Recompute>{Recompute::none, Recompute::selective, Recompute::full});
    p.cp_algorithm = rng.uniform01() < 0.5 ? CpAlgorithm::ring : CpAlgorithm::ulysses;
    p.rank_order = rng.uniform01() < 0.7 ? std::string(kDefaultRankOrder) : rng.pick(kOrders);
    t.seq_len = rng.pick(std::vector<int>{2048, 4096, 8192});
    t.global_batch = p.dp * p.micro_batch * p.pp * static_cast<int>(rng.uniform_int(1, 4));
    t.precision = rng.uniform01() < 0.8 ? Precision::bf16 : Precision::fp8;
    plan.gpus = p.world_size();
    if (!check_config(m, t, p, plan.gpus).ok) continue;
    if (!RankLayout::make(p).ok()) continue;
    return plan;
  }
  ADD_FAILURE() << "no valid random plan found";
  return {};
}

}  // namespace ptsim::testing
