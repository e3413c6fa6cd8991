#include "calibration/executor/launch_plan.h"

#include <algorithm>
#include <limits>
#include <unordered_map>
#include <utility>

#include "common/check.h"
#include "sim/graph/graph_index.h"

namespace ptsim {

namespace {

constexpr std::uint32_t kNotLaunched = std::numeric_limits<std::uint32_t>::max();

// The walk: the simulator's queue semantics at zero duration (launch_plan.h).
class Walk {
 public:
  explicit Walk(const Graph& g) : g_(g), index_(g) {}

  Status run(std::vector<Launch>& launches, std::vector<OpId>& ops,
             std::vector<std::uint32_t>& launch_of);

 private:
  std::uint32_t key_of(const Op& op) const { return index_.stream_key(op); }
  void prepare();
  void try_stream(std::uint32_t key);
  void emit(LaunchKind kind, std::span<const OpId> members);
  void complete(OpId op);
  void arrive_collective(OpId op);
  void arrive_transfer(OpId op);
  std::string stuck_description() const;

  const Graph& g_;
  const GraphIndex index_;  // successors, stream queues, collective matching
  std::vector<std::uint32_t> deps_left_;
  std::vector<std::uint32_t> head_;
  std::vector<char> waiting_;  // the head op has arrived at a collective or transfer
  std::vector<std::uint32_t> pending_;
  std::unordered_map<std::uint64_t, std::vector<OpId>> open_;  // (group, seq) -> arrived ops
  TransferMatcher transfers_waiting_;
  std::vector<Launch>* launches_ = nullptr;
  std::vector<OpId>* ops_ = nullptr;
  std::vector<std::uint32_t>* launch_of_ = nullptr;
  std::size_t launched_ = 0;
};

void Walk::prepare() {
  const auto& ops = g_.ops();
  deps_left_.resize(ops.size());
  for (std::size_t i = 0; i < ops.size(); ++i)
    deps_left_[i] = ops[i].dep_count;
  head_.assign(index_.queue_count(), 0);
  waiting_.assign(index_.queue_count(), 0);
}

void Walk::emit(LaunchKind kind, std::span<const OpId> members) {
  const auto index = static_cast<std::uint32_t>(launches_->size());
  launches_->push_back(
      {kind, static_cast<std::uint32_t>(ops_->size()), static_cast<std::uint32_t>(members.size())});
  for (OpId op : members) {
    PTSIM_CHECK((*launch_of_)[op] == kNotLaunched, "launch plan: an op launched twice");
    (*launch_of_)[op] = index;
    ops_->push_back(op);
  }
  for (OpId op : members)
    complete(op);
}

void Walk::complete(OpId id) {
  ++launched_;
  const std::uint32_t key = key_of(g_.op(id));
  waiting_[key] = 0;
  ++head_[key];
  pending_.push_back(key);
  for (std::uint32_t s = index_.succ_offsets[id]; s < index_.succ_offsets[id + 1]; ++s) {
    const OpId next = index_.succ[s];
    if (--deps_left_[next] == 0) pending_.push_back(key_of(g_.op(next)));
  }
}

void Walk::try_stream(std::uint32_t key) {
  while (!waiting_[key]) {
    const std::uint32_t pos = index_.queue_offsets[key] + head_[key];
    if (pos >= index_.queue_offsets[key + 1]) return;
    const OpId id = index_.queue[pos];
    if (deps_left_[id] != 0) return;
    const OpId one[1] = {id};
    switch (g_.op(id).kind) {
      case OpKind::compute:
        emit(LaunchKind::kernels, one);
        break;
      case OpKind::alloc:
      case OpKind::free:
        emit(LaunchKind::marker, one);
        break;
      case OpKind::collective:
        waiting_[key] = 1;
        arrive_collective(id);
        break;
      case OpKind::send:
      case OpKind::recv:
        waiting_[key] = 1;
        arrive_transfer(id);
        break;
    }
  }
}

void Walk::arrive_collective(OpId id) {
  const Op& op = g_.op(id);
  const GroupId group = g_.collective_of(op).group;
  const std::uint64_t key = (static_cast<std::uint64_t>(group) << 32) | index_.issue_index(id);
  auto& arrived = open_[key];
  arrived.push_back(id);
  if (arrived.size() < index_.present[group]) return;
  std::vector<OpId> members = std::move(arrived);
  open_.erase(key);
  // Group ring order: the member whose global rank comes first in Group::ranks first.
  const auto& ring = g_.groups()[group].ranks;
  auto position = [&](OpId m) {
    const int global = g_.ranks()[g_.op(m).rank].global_rank;
    return std::find(ring.begin(), ring.end(), global) - ring.begin();
  };
  std::sort(members.begin(), members.end(),
            [&](OpId a, OpId b) { return position(a) < position(b); });
  emit(LaunchKind::collective, members);
}

void Walk::arrive_transfer(OpId id) {
  const auto pair = transfers_waiting_.arrive(g_, id);
  if (!pair) return;
  const OpId ops[2] = {pair->send, pair->recv};
  emit(LaunchKind::transfer, ops);
}

std::string Walk::stuck_description() const {
  std::string out;
  int listed = 0;
  const std::size_t keys = head_.size();
  for (std::uint32_t k = 0; k < keys && listed < 8; ++k) {
    const std::uint32_t pos = index_.queue_offsets[k] + head_[k];
    if (pos >= index_.queue_offsets[k + 1]) continue;
    const Op& op = g_.op(index_.queue[pos]);
    if (listed++ > 0) out += "; ";
    out += "rank " + std::to_string(op.rank) + " stream " + g_.streams()[op.stream] + ": " +
           g_.format_label(op);
  }
  return out;
}

Status Walk::run(std::vector<Launch>& launches, std::vector<OpId>& ops,
                 std::vector<std::uint32_t>& launch_of) {
  launches_ = &launches;
  ops_ = &ops;
  launch_of_ = &launch_of;
  launch_of.assign(g_.op_count(), kNotLaunched);
  launches.reserve(g_.op_count());
  ops.reserve(g_.op_count());
  prepare();
  for (std::uint32_t k = 0; k < head_.size(); ++k)
    pending_.push_back(k);
  // A FIFO of queues to look at, drained in order: deterministic, like the simulator's.
  for (std::size_t next = 0; next < pending_.size(); ++next)
    try_stream(pending_[next]);
  if (launched_ != g_.op_count()) {
    return InputError{"graph", "",
                      "the execution graph cannot run to completion (" +
                          std::to_string(g_.op_count() - launched_) +
                          " ops never become ready): " + stuck_description()};
  }
  return ok_status();
}

}  // namespace

Result<LaunchPlan> LaunchPlan::build(const Graph& graph) {
  LaunchPlan plan;
  Walk walk(graph);
  if (auto s = walk.run(plan.launches_, plan.ops_, plan.launch_of_); !s.ok()) {
    return s.error();
  }
  // Waits: per op, the latest dependency on each other queue.
  const auto streams = static_cast<std::uint32_t>(graph.streams().size());
  auto key_of = [&](const Op& op) { return op.rank * streams + op.stream; };
  const std::size_t n = graph.op_count();
  plan.wait_offsets_.assign(n + 1, 0);
  plan.recorded_.assign(n, 0);
  std::vector<std::pair<std::uint32_t, OpId>> latest;
  for (std::size_t i = 0; i < n; ++i) {
    const Op& op = graph.op(static_cast<OpId>(i));
    latest.clear();
    for (OpId d : graph.deps(op)) {
      if (key_of(graph.op(d)) != key_of(op)) latest.emplace_back(key_of(graph.op(d)), d);
    }
    // Sorted by queue, latest op first within a queue; keep the first of each queue.
    std::sort(latest.begin(), latest.end(), [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first < b.first : a.second > b.second;
    });
    for (std::size_t j = 0; j < latest.size(); ++j) {
      if (j > 0 && latest[j].first == latest[j - 1].first) continue;
      plan.waits_.push_back(latest[j].second);
      plan.recorded_[latest[j].second] = 1;
    }
    plan.wait_offsets_[i + 1] = static_cast<std::uint32_t>(plan.waits_.size());
  }
  return plan;
}

void enqueue_step(const LaunchPlan& plan, ExecutorBackend& backend, bool time_ops) {
  backend.begin_step(time_ops);
  for (const Launch& l : plan.launches()) {
    const auto ops = plan.ops_of(l);
    for (OpId op : ops) {
      for (OpId producer : plan.waits_of(op))
        backend.wait_event(op, producer);
    }
    switch (l.kind) {
      case LaunchKind::kernels:
        backend.enqueue_kernels(ops[0]);
        break;
      case LaunchKind::marker:
        backend.enqueue_marker(ops[0]);
        break;
      case LaunchKind::collective:
        backend.enqueue_collective(ops);
        break;
      case LaunchKind::transfer:
        backend.enqueue_transfer(ops[0], ops[1]);
        break;
    }
    for (OpId op : ops) {
      if (plan.recorded(op)) backend.record_event(op);
    }
  }
}

}  // namespace ptsim
