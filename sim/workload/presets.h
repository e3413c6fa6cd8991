// The model catalogue: presets shipped inside the library, their short aliases, and the one entry
// point that resolves a `--model` argument (preset, alias, or path to a config.json).
//
// Each preset is a file in sim/workload/presets/, embedded at build time (cmake/EmbedFiles.cmake),
// holding the model's Hugging Face config.json as published plus one extra object,
// "training_recipe": {"seq_len", "global_batch" (sequences), "source"}, the published pretraining
// defaults and where they come from (a value that was not published is marked as a convention in
// its "source").
//
//   preset            Hugging Face repository (config.json)        what is left out
//   llama2-7b/13b/70b meta-llama/Llama-2-{7b,13b,70b}-hf           -
//   llama3-8b, -70b   meta-llama/Meta-Llama-3-{8B,70B}             -
//   llama3-405b       meta-llama/Llama-3.1-405B                    -
//   gpt3-175b         none: a GPT2LMHeadModel config with GPT-3's shape (Brown et al. 2020,
//                     Table 2.1: 96 layers, d_model 12288, 96 heads, context 2048; vocab 50257)
//   mixtral-8x7b      mistralai/Mixtral-8x7B-v0.1                  sliding window (null there)
//   mixtral-8x22b     mistralai/Mixtral-8x22B-v0.1                 -
//   qwen3-235b-a22b   Qwen/Qwen3-235B-A22B                         -
//   deepseek-v3       deepseek-ai/DeepSeek-V3                      the MTP module (not in 671B)
//
// Aliases: 7b llama2-7b, 8b llama3-8b, 13b llama2-13b, 70b llama3-70b, 175b gpt3-175b,
// 405b llama3-405b.
//
// Validated by tests/models/presets_test.cc (every preset and alias loads with its recipe) and
// tests/models/param_count_test.cc (published parameter counts).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"
#include "sim/workload/model_spec.h"

namespace ptsim {

std::vector<std::string> preset_names();                            // full names, sorted
std::vector<std::pair<std::string, std::string>> preset_aliases();  // {"70b", "llama3-70b"}, sorted

// A preset name or alias, else a path to a config.json or to a model folder holding one. Errors
// are one line: an unknown name that is not a file lists the presets and aliases; an unsupported
// architecture lists the supported ones. ModelSpec::name is the preset's full name, or for a path
// the folder holding config.json (the Hugging Face layout, `Meta-Llama-3-8B/config.json`), or the
// file name without ".json".
Result<ModelSpec> load_model(std::string_view name_or_path);

}  // namespace ptsim
