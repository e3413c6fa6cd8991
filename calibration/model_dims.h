// A small built-in table of the dimensions that decide the GEMM and attention shapes of a few
// catalogue models. calibrate only needs shapes, so it keeps its own table rather than the full
// model catalogue (sim/workload), which describes far more (MoE routing, norms, recipes).
//
// Sources: Hugging Face config.json of meta-llama/Meta-Llama-3-8B, -70B, Llama-3.1-405B and
// mistralai/Mixtral-8x7B-v0.1; Llama 3 training sequence 8192 (Dubey et al. 2024, "The Llama 3
// Herd of Models", section 3.4); GPT-3 175B from Brown et al. 2020, Table 2.1 (vocabulary 50257
// padded to 51200 as Megatron-LM pads it to a multiple of 128 x TP); Mixtral's 4096 from its
// config's sliding window / common training length (an assumption, noted in the README).
#pragma once

#include <span>
#include <string>

namespace ptsim {

struct ModelDims {
  const char* name;
  int hidden;
  int ffn_hidden;  // dense MLP width, or one expert's width for MoE
  int heads;
  int kv_heads;
  int head_dim;
  int vocab;  // padded as trained
  int seq;
  bool gated_mlp;  // SwiGLU (gate and up projections fused into one GEMM)
  int experts;     // 0 = dense
  int experts_top_k;
};

std::span<const ModelDims> builtin_model_dims();

}  // namespace ptsim
