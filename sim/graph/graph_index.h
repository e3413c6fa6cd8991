// The views of an execution graph that walking it with stream semantics needs, built once per
// graph: each op's successors, each (rank, stream) queue in program order, the members of each
// group present in the graph, and each collective op's issue index on its (group, rank), which
// matches instances across ranks (NCCL semantics: the k-th collective a rank issues on a
// communicator is the communicator's k-th); and the key that pairs a send with its receive. Shared
// by the simulator (sim/simulator.cc) and the reference executor's launch plan
// (calibration/executor/launch_plan.cc), which walk a graph the same way, one with durations and
// one without.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include "sim/graph/graph.h"

namespace ptsim {

struct GraphIndex {
  explicit GraphIndex(const Graph& graph);

  // Queues are numbered rank x streams + stream.
  std::uint32_t stream_key(const Op& op) const { return op.rank * streams + op.stream; }
  std::size_t queue_count() const { return queue_offsets.size() - 1; }

  std::uint32_t streams = 0;                // per rank
  std::vector<std::uint32_t> succ_offsets;  // CSR: successors of op i are succ[offsets[i]..[i+1])
  std::vector<OpId> succ;
  std::vector<std::uint32_t> queue_offsets;  // CSR by stream key, ops in program order
  std::vector<OpId> queue;
  std::vector<std::uint32_t> present;  // per group: members that are graph ranks
  // A collective op's issue index on its (group, rank); 0 for every other op and for collectives
  // of groups with at most one member present (nothing to match).
  std::uint32_t issue_index(OpId op) const { return instance_seq.empty() ? 0 : instance_seq[op]; }
  // Per op, as issue_index(); empty when no group has two members present (reduced graphs).
  std::vector<std::uint32_t> instance_seq;
};

// A send and the receive it matches have the same key: (sender, receiver, match).
struct TransferKey {
  GraphRank sender;
  GraphRank receiver;
  std::uint32_t match;
  friend bool operator==(const TransferKey&, const TransferKey&) = default;
};
struct TransferKeyHash {
  std::size_t operator()(const TransferKey& k) const {
    std::uint64_t h = (static_cast<std::uint64_t>(k.sender) << 32) ^ k.receiver;
    h = (h * 0x9e3779b97f4a7c15ULL) ^ k.match;
    return static_cast<std::size_t>(h ^ (h >> 29));
  }
};

// The key of a send or receive op.
inline TransferKey transfer_key(const Graph& g, const Op& op) {
  const Transfer& t = g.transfer_of(op);
  const bool is_send = op.kind == OpKind::send;
  return {is_send ? op.rank : t.peer, is_send ? t.peer : op.rank, t.match};
}

// Pairs sends with their receives as they arrive, in either order.
class TransferMatcher {
 public:
  struct Pair {
    OpId send;
    OpId recv;
  };
  // The matched pair once both ends of op `id` have arrived; nothing while one is still waiting.
  std::optional<Pair> arrive(const Graph& g, OpId id) {
    const Op& op = g.op(id);
    const TransferKey key = transfer_key(g, op);
    auto it = waiting_.find(key);
    if (it == waiting_.end()) {
      waiting_.emplace(key, id);
      return std::nullopt;
    }
    const OpId other = it->second;
    waiting_.erase(it);
    return op.kind == OpKind::send ? Pair{id, other} : Pair{other, id};
  }

 private:
  std::unordered_map<TransferKey, OpId, TransferKeyHash> waiting_;
};

}  // namespace ptsim
