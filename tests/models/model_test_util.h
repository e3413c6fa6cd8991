// Helpers shared by the model-catalogue tests.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "common/json_reader.h"
#include "sim/workload/hf_config_loader.h"
#include "sim/workload/presets.h"

namespace ptsim::testing_util {

// Parses config text (as a config.json would hold it); a test failure if it does not load.
inline ModelSpec spec_from_text(std::string_view text, const std::string& source = "cfg.json") {
  auto json = parse_json(text, source);
  EXPECT_TRUE(json.ok()) << (json.ok() ? "" : json.error().one_line());
  if (!json.ok()) return {};
  auto spec = parse_hf_config(*json, source);
  EXPECT_TRUE(spec.ok()) << (spec.ok() ? "" : spec.error().one_line());
  return spec.ok() ? *spec : ModelSpec{};
}

// The one-line error of a config that must not load ("" if it loads).
inline std::string error_of(std::string_view text, const std::string& source = "cfg.json") {
  auto json = parse_json(text, source);
  if (!json.ok()) return json.error().one_line();
  auto spec = parse_hf_config(*json, source);
  return spec.ok() ? std::string() : spec.error().one_line();
}

inline ModelSpec preset(std::string_view name) {
  auto spec = load_model(name);
  EXPECT_TRUE(spec.ok()) << (spec.ok() ? "" : spec.error().one_line());
  return spec.ok() ? *spec : ModelSpec{};
}

// A GPT2LMHeadModel config (MHA, 4h GELU MLP, learned positions): the shape Megatron's closed
// forms describe.
inline std::string gpt2_config(int hidden, int layers, int heads, int vocab, int positions) {
  return R"({"architectures": ["GPT2LMHeadModel"], "n_embd": )" + std::to_string(hidden) +
         R"(, "n_layer": )" + std::to_string(layers) + R"(, "n_head": )" + std::to_string(heads) +
         R"(, "vocab_size": )" + std::to_string(vocab) + R"(, "n_positions": )" +
         std::to_string(positions) + R"(, "n_inner": null})";
}

}  // namespace ptsim::testing_util
