#include "calibration/gemm_shapes.h"

#include <algorithm>
#include <map>
#include <tuple>

#include <fmt/format.h>

#include "calibration/model_dims.h"

namespace ptsim {

namespace {

struct Collector {
  const GemmShapeOptions& options;
  std::map<std::tuple<std::int64_t, std::int64_t, std::int64_t>, std::string> shapes;

  void add(std::int64_t m, std::int64_t n, std::int64_t k, const std::string& origin) {
    if (m <= 0 || n <= 0 || k <= 0) return;
    if (options.max_flops > 0 && 2.0 * m * n * k > static_cast<double>(options.max_flops)) return;
    shapes.try_emplace({m, n, k}, origin);  // keeps the first producer
  }

  // One linear layer's forward GEMM and, with backward, its data- and weight-gradient GEMMs.
  void add_linear(std::int64_t tokens, std::int64_t n, std::int64_t k, const std::string& what) {
    add(tokens, n, k, what + " fwd");
    if (options.backward) {
      add(tokens, k, n, what + " dgrad");
      add(n, k, tokens, what + " wgrad");
    }
  }
};

}  // namespace

std::vector<GemmShape> generate_gemm_shapes(const GemmShapeOptions& options) {
  Collector c{options, {}};
  for (const ModelDims& d : builtin_model_dims()) {
    if (!options.models.empty() &&
        std::find(options.models.begin(), options.models.end(), d.name) == options.models.end()) {
      continue;
    }
    for (int tp : options.tensor_parallel) {
      if (d.heads % tp != 0 || d.kv_heads % tp != 0 || d.ffn_hidden % tp != 0) continue;
      for (int mb : options.micro_batch) {
        const std::int64_t tokens = static_cast<std::int64_t>(mb) * d.seq;
        const std::string tag = fmt::format("{} tp{} mb{}", d.name, tp, mb);
        const std::int64_t q_width = static_cast<std::int64_t>(d.heads) * d.head_dim / tp;
        const std::int64_t kv_width = static_cast<std::int64_t>(d.kv_heads) * d.head_dim / tp;
        c.add_linear(tokens, q_width + 2 * kv_width, d.hidden, tag + " qkv");
        c.add_linear(tokens, d.hidden, q_width, tag + " attn_out");
        const std::int64_t ffn = d.ffn_hidden / tp;
        if (d.experts == 0) {
          c.add_linear(tokens, d.gated_mlp ? 2 * ffn : ffn, d.hidden, tag + " mlp_up");
          c.add_linear(tokens, d.hidden, ffn, tag + " mlp_down");
        } else {
          const std::int64_t expert_tokens = tokens * d.experts_top_k / d.experts;
          c.add_linear(tokens, d.experts, d.hidden, tag + " router");
          c.add_linear(expert_tokens, d.gated_mlp ? 2 * ffn : ffn, d.hidden, tag + " expert_up");
          c.add_linear(expert_tokens, d.hidden, ffn, tag + " expert_down");
        }
        c.add_linear(tokens, d.vocab / tp, d.hidden, tag + " logits");
      }
    }
  }
  for (std::int64_t m : options.grid) {
    for (std::int64_t n : options.grid) {
      for (std::int64_t k : options.grid)
        c.add(m, n, k, "grid");
    }
  }
  std::vector<GemmShape> out;
  out.reserve(c.shapes.size());
  for (const auto& [mnk, origin] : c.shapes) {  // std::map: sorted by (m, n, k)
    out.push_back({std::get<0>(mnk), std::get<1>(mnk), std::get<2>(mnk), origin});
  }
  return out;
}

}  // namespace ptsim
