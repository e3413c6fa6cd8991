// What is trained per optimizer step, apart from how it is parallelised: sequence length, batch,
// numeric precision, and the MoE routing regime.
#pragma once

#include <cstdint>

namespace ptsim {

enum class Precision : std::uint8_t { bf16, fp8 };

// How attention is computed. FlashAttention fuses softmax and never stores the s x s scores;
// the unfused path (Megatron-LM before FlashAttention, 2021-22) runs two batched GEMMs with a
// softmax, mask and dropout between them and stores the scores (Korthikanti et al. 2022, eq. 1).
enum class AttentionImpl : std::uint8_t { flash, unfused };

struct TrainingConfig {
  int seq_len = 0;
  int global_batch = 0;  // sequences per optimizer step
  Precision precision = Precision::bf16;
  AttentionImpl attention = AttentionImpl::flash;
  // MoE routing: capacity_factor 0 = dropless (an expert takes every token routed to it);
  // otherwise an expert takes at most capacity_factor * tokens * top_k / experts tokens.
  double moe_capacity_factor = 0;
  // Tokens of the busiest expert over the mean (1 = perfectly balanced). The busiest rank sets the
  // pace of the expert all-to-all and GEMMs.
  double moe_imbalance = 1.0;
};

}  // namespace ptsim
