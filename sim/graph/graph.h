// The execution graph: one training step (or any distributed program) as ops on per-rank streams.
//
// Vocabulary (README glossary): an Op is one thing a GPU stream does: a compute kernel, a
// collective over a Group, a point-to-point send or receive, or a memory event (allocate / free).
// Ops on one (rank, stream) run in the order they were added, as on a CUDA stream; `deps` add
// cross-stream and cross-rank order. A compute op runs a sequence of one or more kernels back to
// back (kernels with nothing to wait for between them), which keeps graphs and simulations small. A
// collective starts when every member present in the graph has reached it, as NCCL does; a send
// starts when its matching receive has been reached.
//
// Deps may only name ops that already exist, so every graph is acyclic by construction.
//
// Full and reduced graphs: a full graph has one graph rank per GPU. A reduced graph has one
// representative per Role (class of ranks doing identical work); RankInfo::represents says how many
// GPUs each stands for, and Group::replicas lists the symmetric groups whose identical collectives
// run at the same time, so the network can account for their traffic.
//
// This file knows nothing of models: the workload builder decides what the ops mean.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "cost_models/collective_kind.h"
#include "cost_models/kernel.h"
#include "sim/graph/flat_index.h"

namespace ptsim {

using OpId = std::uint32_t;
using GraphRank = std::uint32_t;
using GroupId = std::uint32_t;

enum class OpKind : std::uint8_t { compute, collective, send, recv, alloc, free };

// What an op's time counts as in a step's breakdown; communication is split by the parallel
// dimension that issued it.
enum class Category : std::uint8_t { compute, optimizer, tp, cp, dp, pp, ep, memory };
inline constexpr std::size_t kCategoryCount = 8;

enum class MemoryTag : std::uint8_t {
  weights,
  gradients,
  optimizer,
  activations,
  comm_buffers,
  workspace,
};
inline constexpr std::size_t kMemoryTagCount = 6;

const char* op_kind_name(OpKind k);
const char* category_name(Category c);
const char* memory_tag_name(MemoryTag t);

// A label template with up to two integer arguments, e.g. {"L{0}.attn.fwd mb{1}", 12, 3}: one
// interned string per kind of op instead of one string per op.
struct OpLabel {
  std::uint32_t id = 0;
  std::int32_t a = -1;
  std::int32_t b = -1;
};

struct Op {
  OpKind kind = OpKind::compute;
  Category category = Category::compute;
  std::uint8_t stream = 0;
  std::uint8_t reserved = 0;
  GraphRank rank = 0;
  // Index by kind: kernel sequence (compute), collective, transfer or memory event.
  std::uint32_t payload = 0;
  OpLabel label;
  std::uint32_t dep_begin = 0;
  std::uint32_t dep_count = 0;
};

// nccl-tests' size convention: all-reduce and broadcast S = buffer bytes; all-gather and
// reduce-scatter S = the full (gathered) buffer, n x each rank's shard; all-to-all S = bytes each
// rank sends in total (including the 1/n it keeps); ring_shift S = bytes each member sends.
struct Collective {
  CollectiveKind kind = CollectiveKind::all_reduce;
  GroupId group = 0;
  double bytes = 0;
  DomainDedup dedup;
  // A ceiling the issuing software puts on the bytes each rank moves per second (the per-hop
  // bytes of the algorithm), below what the links allow; 0 = none (NCCL at link speed).
  double rate_cap_bytes_per_s = 0;
  friend bool operator==(const Collective&, const Collective&) = default;
};

// A send on `rank` to `peer` matches the recv on `peer` from `rank` with the same `match` key.
struct Transfer {
  GraphRank peer = 0;
  std::uint32_t match = 0;
  double bytes = 0;
};

struct MemoryEvent {
  MemoryTag tag = MemoryTag::activations;
  double bytes = 0;
};

struct Group {
  Category dimension = Category::dp;
  std::vector<int> ranks;                  // global ranks in ring order
  std::vector<std::vector<int>> replicas;  // reduced graphs: symmetric concurrent groups
};

struct RankInfo {
  int global_rank = 0;
  int represents = 1;  // GPUs this graph rank stands for (1 in a full graph)
  std::string role;
  // Reduced graphs: the global ranks this graph rank stands for, in an order aligned across graph
  // ranks (the i-th member of one sends to the i-th member of its peer). Empty means {global_rank}.
  std::vector<int> members;
};

class Graph {
 public:
  explicit Graph(int world_size = 1) : world_size_(world_size) {}

  // --- construction ---------------------------------------------------------------------------
  GraphRank add_rank(int global_rank, int represents, std::string role);
  void set_rank_members(GraphRank rank, std::vector<int> members);
  std::uint8_t add_stream(std::string name);  // streams are the same on every rank
  GroupId add_group(Group group);
  std::uint32_t intern_label(std::string_view label_template);

  OpId add_compute(GraphRank rank, std::uint8_t stream, Category category, const Kernel& kernel,
                   OpLabel label, std::span<const OpId> deps);
  // Interns a kernel once so that hot loops can add ops by kernel index.
  std::uint32_t intern_kernel(const Kernel& kernel);
  OpId add_compute_interned(GraphRank rank, std::uint8_t stream, Category category,
                            std::uint32_t kernel, OpLabel label, std::span<const OpId> deps);
  // One op running interned kernels back to back.
  OpId add_compute_sequence(GraphRank rank, std::uint8_t stream, Category category,
                            std::span<const std::uint32_t> kernels, OpLabel label,
                            std::span<const OpId> deps);
  OpId add_collective(GraphRank rank, std::uint8_t stream, Category category, CollectiveKind kind,
                      GroupId group, double bytes, OpLabel label, std::span<const OpId> deps,
                      DomainDedup dedup = {}, double rate_cap_bytes_per_s = 0);
  OpId add_send(GraphRank rank, std::uint8_t stream, Category category, GraphRank peer,
                std::uint32_t match, double bytes, OpLabel label, std::span<const OpId> deps);
  OpId add_recv(GraphRank rank, std::uint8_t stream, Category category, GraphRank peer,
                std::uint32_t match, double bytes, OpLabel label, std::span<const OpId> deps);
  OpId add_memory(GraphRank rank, std::uint8_t stream, bool allocate, MemoryTag tag, double bytes,
                  OpLabel label, std::span<const OpId> deps);
  void reserve(std::size_t ops, std::size_t deps);

  // --- reading --------------------------------------------------------------------------------
  int world_size() const { return world_size_; }
  bool reduced() const;  // true when some graph rank represents more than one GPU
  std::size_t op_count() const { return ops_.size(); }
  const std::vector<Op>& ops() const { return ops_; }
  const Op& op(OpId id) const { return ops_[id]; }
  std::span<const OpId> deps(const Op& op) const {
    return {deps_.data() + op.dep_begin, op.dep_count};
  }
  const std::vector<RankInfo>& ranks() const { return ranks_; }
  std::size_t rank_count() const { return ranks_.size(); }
  const std::vector<std::string>& streams() const { return streams_; }
  const std::vector<Group>& groups() const { return groups_; }
  const std::vector<Kernel>& kernels() const { return kernels_; }
  const std::vector<Collective>& collectives() const { return collectives_; }
  const std::vector<Transfer>& transfers() const { return transfers_; }
  const std::vector<MemoryEvent>& memory_events() const { return memory_events_; }
  const std::vector<std::string>& labels() const { return labels_; }

  // Interned kernel indices a compute op runs, in order.
  std::span<const std::uint32_t> kernels_of(const Op& op) const {
    const auto& seq = sequences_[op.payload];
    return {sequence_kernels_.data() + seq.first, seq.second};
  }
  const Kernel& kernel(std::uint32_t index) const { return kernels_[index]; }
  std::size_t sequence_count() const { return sequences_.size(); }
  // Collectives are interned: ops with equal (kind, group, bytes) share one entry, so the simulator
  // plans each distinct collective's flows once.
  const Collective& collective_of(const Op& op) const { return collectives_[op.payload]; }
  const Transfer& transfer_of(const Op& op) const { return transfers_[op.payload]; }
  const MemoryEvent& memory_of(const Op& op) const { return memory_events_[op.payload]; }

  // The label with its arguments substituted: "L{0}.attn.fwd mb{1}" -> "L12.attn.fwd mb3".
  std::string format_label(const Op& op) const;
  // Graph rank of a global rank, or -1 when the graph holds no rank for it (reduced graphs).
  std::int64_t graph_rank_of(int global_rank) const;

 private:
  OpId push(OpKind kind, Category category, std::uint8_t stream, GraphRank rank,
            std::uint32_t payload, OpLabel label, std::span<const OpId> deps);

  int world_size_ = 1;
  std::vector<Op> ops_;
  std::vector<OpId> deps_;
  std::vector<RankInfo> ranks_;
  std::unordered_map<int, GraphRank> rank_index_;
  std::vector<std::string> streams_;
  std::vector<Group> groups_;
  std::vector<Kernel> kernels_;
  std::unordered_map<Kernel, std::uint32_t, KernelHash> kernel_index_;
  // Kernel sequences: (begin, count) into sequence_kernels_, interned by content.
  std::vector<std::pair<std::uint32_t, std::uint32_t>> sequences_;
  std::vector<std::uint32_t> sequence_kernels_;
  detail::FlatIndex sequence_index_;
  std::vector<Collective> collectives_;
  detail::FlatIndex collective_index_;
  std::vector<Transfer> transfers_;
  std::vector<MemoryEvent> memory_events_;
  std::vector<std::string> labels_;
  std::unordered_map<std::string, std::uint32_t> label_index_;
};

}  // namespace ptsim
