#include "sim/graph/graph.h"

#include <algorithm>
#include <bit>

#include "common/check.h"

namespace ptsim {

const char* op_kind_name(OpKind k) {
  switch (k) {
    case OpKind::compute:
      return "compute";
    case OpKind::collective:
      return "collective";
    case OpKind::send:
      return "send";
    case OpKind::recv:
      return "recv";
    case OpKind::alloc:
      return "alloc";
    case OpKind::free:
      return "free";
  }
  return "?";
}

const char* category_name(Category c) {
  switch (c) {
    case Category::compute:
      return "compute";
    case Category::optimizer:
      return "optimizer";
    case Category::tp:
      return "tp";
    case Category::cp:
      return "cp";
    case Category::dp:
      return "dp";
    case Category::pp:
      return "pp";
    case Category::ep:
      return "ep";
    case Category::memory:
      return "memory";
  }
  return "?";
}

const char* memory_tag_name(MemoryTag t) {
  switch (t) {
    case MemoryTag::weights:
      return "weights";
    case MemoryTag::gradients:
      return "gradients";
    case MemoryTag::optimizer:
      return "optimizer";
    case MemoryTag::activations:
      return "activations";
    case MemoryTag::comm_buffers:
      return "comm_buffers";
    case MemoryTag::workspace:
      return "workspace";
  }
  return "?";
}

GraphRank Graph::add_rank(int global_rank, int represents, std::string role) {
  PTSIM_CHECK(global_rank >= 0 && global_rank < world_size_, "add_rank: global rank out of range");
  PTSIM_CHECK(represents >= 1, "add_rank: a graph rank represents at least one GPU");
  PTSIM_CHECK(!rank_index_.contains(global_rank), "add_rank: global rank added twice");
  const auto id = static_cast<GraphRank>(ranks_.size());
  ranks_.push_back(RankInfo{global_rank, represents, std::move(role), {}});
  rank_index_.emplace(global_rank, id);
  return id;
}

void Graph::set_rank_members(GraphRank rank, std::vector<int> members) {
  PTSIM_CHECK(rank < ranks_.size(), "set_rank_members: unknown graph rank");
  PTSIM_CHECK(static_cast<int>(members.size()) == ranks_[rank].represents,
              "set_rank_members: member count differs from represents");
  ranks_[rank].members = std::move(members);
}

std::uint8_t Graph::add_stream(std::string name) {
  PTSIM_CHECK(streams_.size() < 255, "add_stream: too many streams");
  streams_.push_back(std::move(name));
  return static_cast<std::uint8_t>(streams_.size() - 1);
}

GroupId Graph::add_group(Group group) {
  PTSIM_CHECK(!group.ranks.empty(), "add_group: empty group");
  for (const auto& replica : group.replicas) {
    PTSIM_CHECK(replica.size() == group.ranks.size(), "add_group: replica of a different size");
  }
  groups_.push_back(std::move(group));
  return static_cast<GroupId>(groups_.size() - 1);
}

std::uint32_t Graph::intern_label(std::string_view label_template) {
  auto it = label_index_.find(std::string(label_template));
  if (it != label_index_.end()) return it->second;
  const auto id = static_cast<std::uint32_t>(labels_.size());
  labels_.emplace_back(label_template);
  label_index_.emplace(labels_.back(), id);
  return id;
}

void Graph::reserve(std::size_t ops, std::size_t deps) {
  ops_.reserve(ops);
  deps_.reserve(deps);
}

// Fields are written straight into the new element: building an Op in a temporary with narrow
// stores and copying it with wide loads stalled on store forwarding, which cost about a third of
// a 70B graph's build.
OpId Graph::push(OpKind kind, Category category, std::uint8_t stream, GraphRank rank,
                 std::uint32_t payload, OpLabel label, std::span<const OpId> deps) {
  PTSIM_CHECK(rank < ranks_.size(), "op on an unknown graph rank");
  PTSIM_CHECK(stream < streams_.size(), "op on an unknown stream");
  PTSIM_CHECK(label.id < labels_.size(), "op with an unknown label");
  const auto id = static_cast<OpId>(ops_.size());
  const auto dep_begin = static_cast<std::uint32_t>(deps_.size());
  for (OpId d : deps) {
    PTSIM_CHECK(d < id, "a dependency must name an existing op");
    deps_.push_back(d);
  }
  Op& op = ops_.emplace_back();
  op.kind = kind;
  op.category = category;
  op.stream = stream;
  op.rank = rank;
  op.payload = payload;
  op.label = label;
  op.dep_begin = dep_begin;
  op.dep_count = static_cast<std::uint32_t>(deps.size());
  return id;
}

std::uint32_t Graph::intern_kernel(const Kernel& kernel) {
  auto [it, inserted] =
      kernel_index_.try_emplace(kernel, static_cast<std::uint32_t>(kernels_.size()));
  if (inserted) kernels_.push_back(kernel);
  return it->second;
}

OpId Graph::add_compute(GraphRank rank, std::uint8_t stream, Category category,
                        const Kernel& kernel, OpLabel label, std::span<const OpId> deps) {
  return add_compute_interned(rank, stream, category, intern_kernel(kernel), label, deps);
}

OpId Graph::add_compute_interned(GraphRank rank, std::uint8_t stream, Category category,
                                 std::uint32_t kernel, OpLabel label, std::span<const OpId> deps) {
  return add_compute_sequence(rank, stream, category, std::span<const std::uint32_t>(&kernel, 1),
                              label, deps);
}

OpId Graph::add_compute_sequence(GraphRank rank, std::uint8_t stream, Category category,
                                 std::span<const std::uint32_t> kernels, OpLabel label,
                                 std::span<const OpId> deps) {
  PTSIM_CHECK(!kernels.empty(), "compute op without kernels");
  std::uint64_t key = kernels.size();
  for (std::uint32_t k : kernels) {
    PTSIM_CHECK(k < kernels_.size(), "compute op with an unknown kernel");
    key = detail::mix64(key ^ k);
  }
  std::uint32_t index = sequence_index_.find(key, [&](std::uint32_t candidate) {
    const auto& [begin, count] = sequences_[candidate];
    return count == kernels.size() &&
           std::equal(kernels.begin(), kernels.end(), sequence_kernels_.begin() + begin);
  });
  if (index == detail::FlatIndex::kEmpty) {
    index = static_cast<std::uint32_t>(sequences_.size());
    sequences_.emplace_back(static_cast<std::uint32_t>(sequence_kernels_.size()),
                            static_cast<std::uint32_t>(kernels.size()));
    sequence_kernels_.insert(sequence_kernels_.end(), kernels.begin(), kernels.end());
    sequence_index_.insert(key, index);
  }
  return push(OpKind::compute, category, stream, rank, index, label, deps);
}

OpId Graph::add_collective(GraphRank rank, std::uint8_t stream, Category category,
                           CollectiveKind kind, GroupId group, double bytes, OpLabel label,
                           std::span<const OpId> deps, DomainDedup dedup,
                           double rate_cap_bytes_per_s) {
  PTSIM_CHECK(group < groups_.size(), "collective on an unknown group");
  PTSIM_CHECK(bytes >= 0, "collective with negative bytes");
  PTSIM_CHECK(
      dedup.copies == 0 || (kind == CollectiveKind::all_to_all && dedup.copies <= dedup.slots),
      "domain deduplication needs an all-to-all with copies <= slots");
  PTSIM_CHECK(rate_cap_bytes_per_s >= 0, "collective with a negative rate cap");
  const Collective c{kind, group, bytes, dedup, rate_cap_bytes_per_s};
  const std::uint64_t key = detail::mix64(
      std::bit_cast<std::uint64_t>(bytes) ^ (static_cast<std::uint64_t>(group) << 8) ^
      static_cast<std::uint64_t>(kind) ^ (static_cast<std::uint64_t>(dedup.copies) << 40) ^
      std::bit_cast<std::uint64_t>(rate_cap_bytes_per_s));
  std::uint32_t index =
      collective_index_.find(key, [&](std::uint32_t i) { return collectives_[i] == c; });
  if (index == detail::FlatIndex::kEmpty) {
    index = static_cast<std::uint32_t>(collectives_.size());
    collectives_.push_back(c);
    collective_index_.insert(key, index);
  }
  return push(OpKind::collective, category, stream, rank, index, label, deps);
}

OpId Graph::add_send(GraphRank rank, std::uint8_t stream, Category category, GraphRank peer,
                     std::uint32_t match, double bytes, OpLabel label, std::span<const OpId> deps) {
  PTSIM_CHECK(peer < ranks_.size() && peer != rank, "send to an invalid peer");
  transfers_.push_back(Transfer{peer, match, bytes});
  return push(OpKind::send, category, stream, rank,
              static_cast<std::uint32_t>(transfers_.size() - 1), label, deps);
}

OpId Graph::add_recv(GraphRank rank, std::uint8_t stream, Category category, GraphRank peer,
                     std::uint32_t match, double bytes, OpLabel label, std::span<const OpId> deps) {
  PTSIM_CHECK(peer < ranks_.size() && peer != rank, "recv from an invalid peer");
  transfers_.push_back(Transfer{peer, match, bytes});
  return push(OpKind::recv, category, stream, rank,
              static_cast<std::uint32_t>(transfers_.size() - 1), label, deps);
}

OpId Graph::add_memory(GraphRank rank, std::uint8_t stream, bool allocate, MemoryTag tag,
                       double bytes, OpLabel label, std::span<const OpId> deps) {
  PTSIM_CHECK(bytes >= 0, "memory event with negative bytes");
  memory_events_.push_back(MemoryEvent{tag, bytes});
  return push(allocate ? OpKind::alloc : OpKind::free, Category::memory, stream, rank,
              static_cast<std::uint32_t>(memory_events_.size() - 1), label, deps);
}

bool Graph::reduced() const {
  for (const auto& r : ranks_) {
    if (r.represents > 1) return true;
  }
  return false;
}

std::string Graph::format_label(const Op& op) const {
  const std::string& t = labels_[op.label.id];
  std::string out;
  out.reserve(t.size() + 8);
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (t[i] == '{' && i + 2 < t.size() && t[i + 2] == '}' &&
        (t[i + 1] == '0' || t[i + 1] == '1')) {
      out += std::to_string(t[i + 1] == '0' ? op.label.a : op.label.b);
      i += 2;
    } else {
      out += t[i];
    }
  }
  return out;
}

std::int64_t Graph::graph_rank_of(int global_rank) const {
  auto it = rank_index_.find(global_rank);
  return it == rank_index_.end() ? -1 : static_cast<std::int64_t>(it->second);
}

}  // namespace ptsim
