// Reads a Hugging Face `config.json` (the file `transformers` saves next to a model's weights) into
// a ModelSpec.
//
// Supported classes (the first entry of "architectures", or "model_type" when that list is absent):
// LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM, GPT2LMHeadModel,
// MixtralForCausalLM, Qwen3MoeForCausalLM, DeepseekV3ForCausalLM.
//
// Unlike hardware profiles, unknown keys are ignored: real configs carry token ids, dropout rates,
// RoPE scaling, quantisation blocks and more that do not change the shape of the computation. The
// keys that do are required (or take the default `transformers` gives them, listed per class in
// hf_config_loader.cc) and validated: positive integers, heads divisible by key-value heads, top-k
// no larger than the expert count, layer indices in range. A JSON `null` counts as absent, as in
// `transformers`. Every error names the source and the JSON pointer of the offending key.
//
// What the ModelSpec leaves out: dropout, RoPE scaling and theta, norm epsilons, sliding-window
// attention (Mistral v0.1's 4096-token window: FLOPs are counted for full attention), router
// scoring details (softmax vs sigmoid, group-limited routing), DeepSeek's multi-token-prediction
// module (num_nextn_predict_layers; not part of the 671B main model).
//
// An optional top-level "training_recipe": {"seq_len", "global_batch", "source"} object (presets
// carry one) fills ModelSpec::recipe; inside it unknown keys are rejected.
//
// Validated by tests/models/hf_config_errors_test.cc (one exact error line per malformed input) and
// tests/models/param_count_test.cc (a hand-written config of every class, counted term by term).
#pragma once

#include <string>
#include <vector>

#include "common/json_reader.h"
#include "common/result.h"
#include "sim/workload/model_spec.h"

namespace ptsim {

// `source` names the input in errors (a path, or "preset NAME"); it also becomes ModelSpec::name.
Result<ModelSpec> parse_hf_config(const Json& config, const std::string& source);

// The Hugging Face class names parse_hf_config accepts, sorted.
std::vector<std::string> supported_architectures();

}  // namespace ptsim
