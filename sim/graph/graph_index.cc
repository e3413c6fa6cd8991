#include "sim/graph/graph_index.h"

#include <unordered_map>

namespace ptsim {

// Two passes over the ops (count, then place) build both CSR views; simulate() builds this index
// for every graph it runs, so at 200k+ ops each extra pass or scratch vector is measurable.
GraphIndex::GraphIndex(const Graph& g) : streams(static_cast<std::uint32_t>(g.streams().size())) {
  const auto& ops = g.ops();
  const std::size_t n = ops.size();

  present.assign(g.groups().size(), 0);
  bool any_matched = false;
  for (std::size_t gi = 0; gi < g.groups().size(); ++gi) {
    for (int member : g.groups()[gi].ranks)
      present[gi] += g.graph_rank_of(member) >= 0 ? 1 : 0;
    any_matched = any_matched || present[gi] > 1;
  }

  const std::size_t keys = g.rank_count() * streams;
  succ_offsets.assign(n + 1, 0);
  queue_offsets.assign(keys + 1, 0);
  for (std::size_t i = 0; i < n; ++i) {
    for (OpId d : g.deps(ops[i]))
      ++succ_offsets[d + 1];
    ++queue_offsets[stream_key(ops[i]) + 1];
  }
  for (std::size_t i = 0; i < n; ++i)
    succ_offsets[i + 1] += succ_offsets[i];
  for (std::size_t k = 0; k < keys; ++k)
    queue_offsets[k + 1] += queue_offsets[k];

  // Place each entry at its row's running end (offsets[row]++), which leaves offsets[row] at the
  // next row's start; shifting by one row afterwards restores the starts without a scratch copy.
  succ.resize(succ_offsets[n]);
  queue.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    for (OpId d : g.deps(ops[i]))
      succ[succ_offsets[d]++] = static_cast<OpId>(i);
    queue[queue_offsets[stream_key(ops[i])]++] = static_cast<OpId>(i);
  }
  for (std::size_t i = n; i > 0; --i)
    succ_offsets[i] = succ_offsets[i - 1];
  succ_offsets[0] = 0;
  for (std::size_t k = keys; k > 0; --k)
    queue_offsets[k] = queue_offsets[k - 1];
  queue_offsets[0] = 0;

  if (!any_matched) return;  // reduced graphs: every group has one member present
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
