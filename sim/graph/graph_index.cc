#include "sim/graph/graph_index.h"

#include <unordered_map>

namespace ptsim {

GraphIndex::GraphIndex(const Graph& g) : streams(static_cast<std::uint32_t>(g.streams().size())) {
  const auto& ops = g.ops();
  const std::size_t n = ops.size();
  succ_offsets.assign(n + 1, 0);
  for (std::size_t i = 0; i < n; ++i) {
    for (OpId d : g.deps(ops[i]))
      ++succ_offsets[d + 1];
  }
  for (std::size_t i = 0; i < n; ++i)
    succ_offsets[i + 1] += succ_offsets[i];
  succ.resize(succ_offsets[n]);
  {
    std::vector<std::uint32_t> fill(succ_offsets.begin(), succ_offsets.end() - 1);
    for (std::size_t i = 0; i < n; ++i) {
      for (OpId d : g.deps(ops[i]))
        succ[fill[d]++] = static_cast<OpId>(i);
    }
  }
  const std::size_t keys = g.rank_count() * streams;
  queue_offsets.assign(keys + 1, 0);
  for (const Op& op : ops)
    ++queue_offsets[stream_key(op) + 1];
  for (std::size_t k = 0; k < keys; ++k)
    queue_offsets[k + 1] += queue_offsets[k];
  queue.resize(n);
  {
    std::vector<std::uint32_t> fill(queue_offsets.begin(), queue_offsets.end() - 1);
    for (std::size_t i = 0; i < n; ++i)
      queue[fill[stream_key(ops[i])]++] = static_cast<OpId>(i);
  }
  present.assign(g.groups().size(), 0);
  for (std::size_t gi = 0; gi < g.groups().size(); ++gi) {
    for (int member : g.groups()[gi].ranks)
      present[gi] += g.graph_rank_of(member) >= 0 ? 1 : 0;
  }
  instance_seq.assign(n, 0);
  std::unordered_map<std::uint64_t, std::uint32_t> issued;
  for (std::size_t i = 0; i < n; ++i) {
    if (ops[i].kind != OpKind::collective) continue;
    if (present[g.collective_of(ops[i]).group] <= 1) continue;  // matched without issue order
    const std::uint64_t key =
        (static_cast<std::uint64_t>(g.collective_of(ops[i]).group) << 32) | ops[i].rank;
    instance_seq[i] = issued[key]++;
  }
}

}  // namespace ptsim
