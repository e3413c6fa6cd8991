#include "sim/simulator.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <deque>
#include <limits>
#include <unordered_map>

#include "common/check.h"
#include "cost_models/collective_cost.h"
#include "cost_models/compute_cost.h"
#include "sim/engine/engine.h"
#include "sim/graph/graph_index.h"
#include "sim/network/collective_flows.h"
#include "sim/network/link_dominance.h"
#include "sim/network/link_sharing.h"

namespace ptsim {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

class Run;

// A 16-byte event handler: kept inline in the engine's heap.
struct Event {
  Run* run;
  std::uint32_t kind;
  std::uint32_t arg;
  void operator()() const;
};

// kJoinSolver: a shared flow's latency has passed and it joins the max-min solver.
enum EventKind : std::uint32_t { kOpDone, kNetworkWake, kJoinSolver, kFastDone };
// kFastDone events carry the instance's fast-flow generation in the kind's upper bits.
constexpr std::uint32_t kKindBits = 8;

// A flow phase with what every start of it needs, worked out once per plan: the links on which
// another flow can take bandwidth from it (shared policy, finite capacity), in link order, and its
// rate when it has all its links to itself (the smallest capacity / weight over its finite links).
// start_phase() runs for every collective (about 100k per step of a 70B model), and scanning all
// uses and dividing on each of them was a fifth of a simulation's time. Both link lists leave out
// links another link dominates (link_dominance.h): they can never bind, so only the solver's work
// changes, not its answer.
struct PreparedPhase {
  std::vector<std::uint32_t> shared_links;
  std::vector<LinkUse> solver_uses;  // the phase's uses without dominated links
  double exclusive_rate_bytes_per_s = std::numeric_limits<double>::infinity();
};

struct PreparedPlan {
  CollectivePlan plan;
  std::vector<PreparedPhase> phases;  // parallel to plan.phases
};

// A collective or transfer in progress: the member ops it completes and its flow phases.
struct Instance {
  const PreparedPlan* plan = nullptr;
  std::vector<OpId> ops;
  std::uint32_t arrived = 0;
  std::uint32_t expected = 0;
  std::uint32_t phase = 0;
  bool active = false;
  // Exclusive ("fast") flow: while no other flow uses any of its links, max-min fairness gives it
  // exactly its bottleneck rate, so its finish is scheduled directly; a flow arriving on one of its
  // links promotes it into the shared solver with its remaining bytes (identical result).
  bool fast = false;
  double fast_rate = 0;
  double fast_start_s = 0;
  double fast_bytes = 0;
  std::uint32_t fast_generation = 0;
};

// Collectives with the same kind, group, size and deduplication have the same plan.
struct CollectivePlanKey {
  CollectiveKind kind;
  GroupId group;
  double bytes;
  DomainDedup dedup;
  double rate_cap_bytes_per_s;
  friend bool operator==(const CollectivePlanKey&, const CollectivePlanKey&) = default;
};
struct CollectivePlanKeyHash {
  std::size_t operator()(const CollectivePlanKey& k) const {
    std::uint64_t bits;
    std::memcpy(&bits, &k.bytes, sizeof bits);
    std::uint64_t h =
        (static_cast<std::uint64_t>(k.group) << 8) ^ static_cast<std::uint64_t>(k.kind);
    h = (h * 0x9e3779b97f4a7c15ULL) ^ bits;
    h = (h * 0x9e3779b97f4a7c15ULL) ^
        ((static_cast<std::uint64_t>(k.dedup.copies) << 32) | k.dedup.slots);
    return static_cast<std::size_t>(h ^ (h >> 29));
  }
};

struct TransferPlanKey {
  GraphRank sender;
  GraphRank receiver;
  double bytes;
  friend bool operator==(const TransferPlanKey&, const TransferPlanKey&) = default;
};
struct TransferPlanKeyHash {
  std::size_t operator()(const TransferPlanKey& k) const {
    std::uint64_t bits;
    std::memcpy(&bits, &k.bytes, sizeof bits);
    std::uint64_t h =
        ((static_cast<std::uint64_t>(k.sender) << 32) ^ k.receiver) * 0x9e3779b97f4a7c15ULL;
    return static_cast<std::size_t>(h ^ bits ^ (bits >> 31));
  }
};

class Run {
 public:
  Run(const Graph& g, const ClusterProfile& cluster, const Topology& topology,
      const SimulationOptions& options)
      : g_(g),
        index_(g),
        cluster_(cluster),
        compute_(cluster.gpu),
        collective_cost_(cluster),
        flows_(topology, collective_cost_),
        options_(options) {
    topology.add_links_to(sharing_);
  }

  SimulationResult run();
  void on_event(std::uint32_t kind, std::uint32_t arg);

 private:
  void prepare();
  void drain();
  void try_start_stream(std::uint32_t key);
  void start(OpId op);
  void complete(OpId op);
  double sequence_time_s(std::uint32_t sequence);
  void arrive_collective(OpId op);
  void arrive_transfer(OpId op);
  void launch(std::uint32_t instance);
  void start_phase(std::uint32_t instance);
  void phase_done(std::uint32_t instance);
  void promote(std::uint32_t instance);
  void join_solver(std::uint32_t instance, double bytes);
  void release_fast_links(std::uint32_t instance);
  void finish_instance(std::uint32_t instance);
  void wake_network();
  std::uint32_t new_instance();
  void prepare_plans();
  const PreparedPlan& collective_plan(std::uint32_t collective) const {
    return *collective_plans_[collective];
  }
  const PreparedPlan& transfer_plan(const Op& send) const;
  void plan_transfer(const Op& send);
  void prepare_phases(PreparedPlan& prepared, const std::vector<char>& dominated) const;
  std::uint32_t stream_key(const Op& op) const { return index_.stream_key(op); }

  const Graph& g_;
  const GraphIndex index_;  // successors, stream queues, collective matching
  const ClusterProfile& cluster_;
  ComputeCostModel compute_;
  CollectiveCostModel collective_cost_;
  CollectiveFlows flows_;
  SimulationOptions options_;
  BasicEngine<Event> engine_;
  LinkSharing sharing_;

  std::vector<std::uint32_t> deps_left_;
  std::vector<std::uint32_t> head_;
  std::vector<char> busy_;
  std::vector<std::uint32_t> pending_streams_;
  std::size_t pending_head_ = 0;

  std::vector<double> sequence_time_;
  std::vector<int> comm_active_;  // per rank
  // Compute ops in progress per rank. While a communication op of the rank is active they run at
  // 1 / (1 + comm_overlap_slowdown) of their speed; each change of that state re-times them.
  struct RunningCompute {
    OpId op;
    double work_left_s;  // at full speed
    double since_s;      // when work_left_s was last brought up to date
    std::uint32_t generation;
  };
  std::vector<std::vector<RunningCompute>> running_compute_;  // per rank
  double slowed_rate_ = 1.0;
  void set_comm_active(std::uint32_t rank, int delta);
  void schedule_compute_done(const RunningCompute& c, double rate);
  std::vector<std::array<double, kMemoryTagCount>> allocated_;
  std::vector<double> allocated_total_;

  // Collectives (issue order and present members: index_).
  std::unordered_map<std::uint64_t, std::uint32_t> open_instances_;  // (group, seq) -> instance
  TransferMatcher transfers_waiting_;
  std::vector<Instance> instances_;
  std::vector<std::uint32_t> free_instances_;
  std::deque<PreparedPlan> plans_;  // every distinct plan of the graph (stable addresses)
  std::vector<const PreparedPlan*> collective_plans_;  // per collective
  std::unordered_map<TransferPlanKey, const PreparedPlan*, TransferPlanKeyHash> transfer_plans_;
  std::vector<std::uint32_t> flow_owner_;       // by FlowId index
  std::vector<std::uint32_t> done_owners_;      // scratch: owners of the flows that just finished
  std::vector<std::uint32_t> link_fast_owner_;  // instance + 1 of the exclusive flow on a link
  std::vector<double> link_capacity_;
  std::vector<char> link_shared_;  // shared policy with finite capacity: needs exclusivity
  std::uint64_t wake_generation_ = 0;
  double wake_at_s_ = std::numeric_limits<double>::infinity();

  SimulationResult result_;
  std::size_t completed_ops_ = 0;
};

void Event::operator()() const {
  run->on_event(kind, arg);
}

void Run::prepare() {
  const auto& ops = g_.ops();
  const std::size_t n = ops.size();
  deps_left_.resize(n);
  for (std::size_t i = 0; i < n; ++i)
    deps_left_[i] = ops[i].dep_count;
  const std::size_t keys = index_.queue_count();
  head_.assign(keys, 0);
  busy_.assign(keys, 0);
  sequence_time_.assign(g_.sequence_count(), kNaN);
  comm_active_.assign(g_.rank_count(), 0);
  running_compute_.assign(g_.rank_count(), {});
  slowed_rate_ = 1.0 / (1.0 + cluster_.gpu.efficiency.comm_overlap_slowdown);
  allocated_.assign(g_.rank_count(), {});
  allocated_total_.assign(g_.rank_count(), 0.0);
  result_.memory.assign(g_.rank_count(), {});

  if (options_.record_op_times) {
    result_.op_start_s.assign(n, kNaN);
    result_.op_end_s.assign(n, kNaN);
  }
  const std::size_t links = sharing_.link_count();
  link_fast_owner_.assign(links, 0);
  link_capacity_.resize(links);
  link_shared_.resize(links);
  for (std::uint32_t l = 0; l < links; ++l) {
    link_capacity_[l] = sharing_.capacity_bytes_per_s(LinkId{l});
    link_shared_[l] =
        sharing_.policy(LinkId{l}) == SharingPolicy::shared && std::isfinite(link_capacity_[l]);
  }
  prepare_plans();
  engine_.reserve(1024);
}

double Run::sequence_time_s(std::uint32_t sequence) {
  double& t = sequence_time_[sequence];
  if (std::isnan(t)) {
    t = 0;
    const Op probe{OpKind::compute, Category::compute, 0, 0, 0, sequence, {}, 0, 0};
    for (std::uint32_t k : g_.kernels_of(probe))
      t += compute_.time_s(g_.kernel(k));
  }
  return t;
}

// Plans every collective and transfer of the graph up front (each distinct one once), so that the
// links no phase can bind on are known before the first flow starts.
void Run::prepare_plans() {
  collective_plans_.assign(g_.collectives().size(), nullptr);
  std::unordered_map<CollectivePlanKey, const PreparedPlan*, CollectivePlanKeyHash> by_key;
  for (std::size_t i = 0; i < g_.collectives().size(); ++i) {
    const Collective& c = g_.collectives()[i];
    auto [it, inserted] = by_key.try_emplace(
        CollectivePlanKey{c.kind, c.group, c.bytes, c.dedup, c.rate_cap_bytes_per_s});
    if (inserted) {
      const Group& group = g_.groups()[c.group];
      PreparedPlan& prepared = plans_.emplace_back();
      prepared.plan = flows_.plan(c.kind, group.ranks, group.replicas, c.bytes, c.dedup,
                                  c.rate_cap_bytes_per_s);
      it->second = &prepared;
    }
    collective_plans_[i] = it->second;
  }
  for (const Op& op : g_.ops()) {
    if (op.kind == OpKind::send) plan_transfer(op);
  }
  std::vector<char> dominated(link_capacity_.size(), 0);
  if (options_.drop_dominated_links) {
    std::vector<std::span<const LinkUse>> phases;
    for (const PreparedPlan& prepared : plans_) {
      for (const FlowPhase& phase : prepared.plan.phases)
        phases.emplace_back(phase.uses);
    }
    dominated = dominated_links(phases, link_capacity_, link_shared_);
  }
  for (PreparedPlan& prepared : plans_)
    prepare_phases(prepared, dominated);
}

void Run::prepare_phases(PreparedPlan& prepared, const std::vector<char>& dominated) const {
  prepared.phases.resize(prepared.plan.phases.size());
  for (std::size_t p = 0; p < prepared.plan.phases.size(); ++p) {
    PreparedPhase& out = prepared.phases[p];
    out.exclusive_rate_bytes_per_s = prepared.plan.phases[p].rate_bound_bytes_per_s;
    for (const LinkUse& use : prepared.plan.phases[p].uses) {
      const double cap = link_capacity_[use.link.value];
      if (std::isfinite(cap)) {
        out.exclusive_rate_bytes_per_s = std::min(out.exclusive_rate_bytes_per_s, cap / use.weight);
      }
      if (dominated[use.link.value]) continue;
      out.solver_uses.push_back(use);
      if (link_shared_[use.link.value]) out.shared_links.push_back(use.link.value);
    }
  }
}

void Run::plan_transfer(const Op& send) {
  const Transfer& t = g_.transfer_of(send);
  auto [it, inserted] = transfer_plans_.try_emplace(TransferPlanKey{send.rank, t.peer, t.bytes});
  if (!inserted) return;
  const RankInfo& from = g_.ranks()[send.rank];
  const RankInfo& to = g_.ranks()[t.peer];
  std::vector<std::pair<int, int>> replicas;
  if (!from.members.empty() && from.members.size() == to.members.size()) {
    for (std::size_t i = 0; i < from.members.size(); ++i) {
      if (from.members[i] != from.global_rank)
        replicas.emplace_back(from.members[i], to.members[i]);
    }
  }
  PreparedPlan& prepared = plans_.emplace_back();
  prepared.plan = flows_.plan_transfer(from.global_rank, to.global_rank, replicas, t.bytes);
  it->second = &prepared;
}

const PreparedPlan& Run::transfer_plan(const Op& send) const {
  const Transfer& t = g_.transfer_of(send);
  return *transfer_plans_.at(TransferPlanKey{send.rank, t.peer, t.bytes});
}

std::uint32_t Run::new_instance() {
  if (!free_instances_.empty()) {
    const std::uint32_t id = free_instances_.back();
    free_instances_.pop_back();
    return id;
  }
  instances_.emplace_back();
  return static_cast<std::uint32_t>(instances_.size() - 1);
}

void Run::try_start_stream(std::uint32_t key) {
  while (!busy_[key]) {
    const std::uint32_t pos = index_.queue_offsets[key] + head_[key];
    if (pos >= index_.queue_offsets[key + 1]) return;
    const OpId op = index_.queue[pos];
    if (deps_left_[op] != 0) return;
    busy_[key] = 1;
    start(op);
  }
}

void Run::drain() {
  while (pending_head_ < pending_streams_.size()) {
    try_start_stream(pending_streams_[pending_head_++]);
  }
  pending_streams_.clear();
  pending_head_ = 0;
}

void Run::start(OpId id) {
  const Op& op = g_.op(id);
  const double now = engine_.now_s();
  // Communication ops are stamped when their transfer launches (launch()); until then they wait
  // for their peers, which is not communication time.
  const bool communication =
      op.kind == OpKind::collective || op.kind == OpKind::send || op.kind == OpKind::recv;
  if (options_.record_op_times && !communication) result_.op_start_s[id] = now;
  switch (op.kind) {
    case OpKind::compute: {
      // Fields written where the record lives: a record built on the stack and copied in is read
      // back with wide loads that stall on store forwarding (measured in this loop).
      const double work_s = sequence_time_s(op.payload);
      RunningCompute& c = running_compute_[op.rank].emplace_back();
      c.op = id;
      c.work_left_s = work_s;
      c.since_s = now;
      c.generation = 0;
      schedule_compute_done(c, comm_active_[op.rank] > 0 ? slowed_rate_ : 1.0);
      return;
    }
    case OpKind::alloc:
    case OpKind::free: {
      const MemoryEvent& e = g_.memory_of(op);
      const double delta = op.kind == OpKind::alloc ? e.bytes : -e.bytes;
      auto& tags = allocated_[op.rank];
      tags[static_cast<std::size_t>(e.tag)] += delta;
      allocated_total_[op.rank] += delta;
      RankMemoryUse& use = result_.memory[op.rank];
      use.peak_by_tag[static_cast<std::size_t>(e.tag)] = std::max(
          use.peak_by_tag[static_cast<std::size_t>(e.tag)], tags[static_cast<std::size_t>(e.tag)]);
      if (allocated_total_[op.rank] > use.peak_bytes) {
        use.peak_bytes = allocated_total_[op.rank];
        use.at_peak = tags;
      }
      complete(id);
      return;
    }
    case OpKind::collective:
      set_comm_active(op.rank, +1);
      arrive_collective(id);
      return;
    case OpKind::send:
    case OpKind::recv:
      set_comm_active(op.rank, +1);
      arrive_transfer(id);
      return;
  }
}

void Run::schedule_compute_done(const RunningCompute& c, double rate) {
  engine_.schedule_at(engine_.now_s() + c.work_left_s / rate,
                      Event{this, kOpDone | (c.generation << kKindBits), c.op});
}

void Run::set_comm_active(std::uint32_t rank, int delta) {
  const bool was = comm_active_[rank] > 0;
  comm_active_[rank] += delta;
  const bool is = comm_active_[rank] > 0;
  if (was == is || slowed_rate_ == 1.0) return;
  const double now = engine_.now_s();
  const double old_rate = was ? slowed_rate_ : 1.0;
  const double new_rate = is ? slowed_rate_ : 1.0;
  for (RunningCompute& c : running_compute_[rank]) {
    c.work_left_s = std::max(0.0, c.work_left_s - (now - c.since_s) * old_rate);
    c.since_s = now;
    c.generation = (c.generation + 1) & 0xffffffu;
    schedule_compute_done(c, new_rate);
  }
}

void Run::complete(OpId id) {
  const Op& op = g_.op(id);
  const double now = engine_.now_s();
  if (options_.record_op_times) result_.op_end_s[id] = now;
  result_.step_time_s = std::max(result_.step_time_s, now);
  ++completed_ops_;
  if (op.kind == OpKind::collective || op.kind == OpKind::send || op.kind == OpKind::recv) {
    set_comm_active(op.rank, -1);
  }
  const std::uint32_t key = stream_key(op);
  busy_[key] = 0;
  ++head_[key];
  pending_streams_.push_back(key);
  for (std::uint32_t s = index_.succ_offsets[id]; s < index_.succ_offsets[id + 1]; ++s) {
    const OpId next = index_.succ[s];
    if (--deps_left_[next] == 0) pending_streams_.push_back(stream_key(g_.op(next)));
  }
}

void Run::arrive_collective(OpId id) {
  const Op& op = g_.op(id);
  const Collective& c = g_.collective_of(op);
  if (index_.present[c.group] == 1) {
    // The only member in the graph (reduced graphs): no one to wait for.
    const std::uint32_t iid = new_instance();
    Instance& in = instances_[iid];
    in.ops.assign(1, id);
    in.arrived = in.expected = 1;
    in.phase = 0;
    in.active = true;
    in.fast = false;
    in.plan = &collective_plan(op.payload);
    launch(iid);
    return;
  }
  const std::uint64_t key = (static_cast<std::uint64_t>(c.group) << 32) | index_.issue_index(id);
  auto [it, inserted] = open_instances_.try_emplace(key, 0);
  if (inserted) {
    it->second = new_instance();
    Instance& in = instances_[it->second];
    in.ops.clear();
    in.arrived = 0;
    in.expected = index_.present[c.group];
    in.phase = 0;
    in.plan = nullptr;
    in.active = true;
    in.fast = false;
  }
  const std::uint32_t iid = it->second;
  Instance& in = instances_[iid];
  in.ops.push_back(id);
  if (++in.arrived < in.expected) return;
  open_instances_.erase(it);
  in.plan = &collective_plan(op.payload);
  launch(iid);
}

void Run::arrive_transfer(OpId id) {
  const auto pair = transfers_waiting_.arrive(g_, id);
  if (!pair) return;
  const std::uint32_t iid = new_instance();
  Instance& in = instances_[iid];
  in.ops = {id, id == pair->send ? pair->recv : pair->send};
  in.arrived = in.expected = 2;
  in.phase = 0;
  in.active = true;
  in.fast = false;
  in.plan = &transfer_plan(g_.op(pair->send));
  launch(iid);
}

void Run::launch(std::uint32_t iid) {
  Instance& in = instances_[iid];
  if (options_.record_op_times) {
    for (OpId op : in.ops)
      result_.op_start_s[op] = engine_.now_s();
  }
  if (in.plan->phases.empty()) {
    finish_instance(iid);
    return;
  }
  in.phase = 0;
  start_phase(iid);
}

// A phase pays its latency, then moves its bytes. An exclusive flow folds the latency into its
// scheduled finish (the transfer holds its links from now + latency); a shared one waits for the
// latency before it joins the solver.
void Run::start_phase(std::uint32_t iid) {
  Instance& in = instances_[iid];
  const FlowPhase& phase = in.plan->plan.phases[in.phase];
  const PreparedPhase& prepared = in.plan->phases[in.phase];
  const double now = engine_.now_s();
  bool exclusive = true;
  for (const std::uint32_t link : prepared.shared_links) {
    if (sharing_.flows_on(LinkId{link}) > 0) exclusive = false;
    const std::uint32_t owner = link_fast_owner_[link];
    if (owner != 0 && owner != iid + 1) {
      promote(owner - 1);
      exclusive = false;
    }
  }
  ++result_.flows;
  if (exclusive) {
    const double rate = prepared.exclusive_rate_bytes_per_s;
    in.fast = true;
    in.fast_rate = rate;
    in.fast_start_s = now + phase.latency_s;
    in.fast_bytes = phase.bytes;
    ++in.fast_generation;
    for (const std::uint32_t link : prepared.shared_links)
      link_fast_owner_[link] = iid + 1;
    const double done = in.fast_start_s + (std::isfinite(rate) ? phase.bytes / rate : 0.0);
    engine_.schedule_at(
        done, Event{this, kFastDone | ((in.fast_generation & 0xffffffu) << kKindBits), iid});
    return;
  }
  if (phase.latency_s > 0) {
    engine_.schedule_at(now + phase.latency_s, Event{this, kJoinSolver, iid});
    return;
  }
  join_solver(iid, phase.bytes);
}

void Run::join_solver(std::uint32_t iid, double bytes) {
  const Instance& in = instances_[iid];
  // Exclusive flows that started on these links meanwhile now share them: they join too (owners
  // are only ever recorded on shared links).
  for (const std::uint32_t link : in.plan->phases[in.phase].shared_links) {
    const std::uint32_t owner = link_fast_owner_[link];
    if (owner != 0 && owner != iid + 1) promote(owner - 1);
  }
  const FlowId flow =
      sharing_.start_flow(engine_.now_s(), in.plan->phases[in.phase].solver_uses, bytes,
                          in.plan->plan.phases[in.phase].rate_bound_bytes_per_s);
  if (flow_owner_.size() <= flow.index) flow_owner_.resize(flow.index + 1, 0);
  flow_owner_[flow.index] = iid;
  wake_network();
}

void Run::release_fast_links(std::uint32_t iid) {
  const Instance& in = instances_[iid];
  for (const std::uint32_t link : in.plan->phases[in.phase].shared_links) {
    if (link_fast_owner_[link] == iid + 1) link_fast_owner_[link] = 0;
  }
}

void Run::promote(std::uint32_t iid) {
  Instance& in = instances_[iid];
  const double now = engine_.now_s();
  release_fast_links(iid);
  in.fast = false;
  ++in.fast_generation;  // its scheduled finish is now stale
  if (now < in.fast_start_s) {
    // Still in its latency: join the solver once the latency has passed, with every byte.
    engine_.schedule_at(in.fast_start_s, Event{this, kJoinSolver, iid});
    return;
  }
  const double sent = in.fast_rate * (now - in.fast_start_s);
  join_solver(iid, std::max(0.0, in.fast_bytes - sent));
}

void Run::phase_done(std::uint32_t iid) {
  Instance& in = instances_[iid];
  if (++in.phase < in.plan->phases.size()) {
    start_phase(iid);
  } else {
    finish_instance(iid);
  }
}

void Run::finish_instance(std::uint32_t iid) {
  Instance& in = instances_[iid];
  in.active = false;
  for (OpId op : in.ops)
    complete(op);
  free_instances_.push_back(iid);
}

void Run::wake_network() {
  const double t = sharing_.next_completion_s();
  if (!std::isfinite(t)) return;
  if (t < wake_at_s_) {
    wake_at_s_ = t;
    ++wake_generation_;
    engine_.schedule_at(std::max(t, engine_.now_s()),
                        Event{this, kNetworkWake, static_cast<std::uint32_t>(wake_generation_)});
  }
}

void Run::on_event(std::uint32_t tagged_kind, std::uint32_t arg) {
  const std::uint32_t kind = tagged_kind & ((1u << kKindBits) - 1);
  switch (kind) {
    case kFastDone: {
      Instance& in = instances_[arg];
      if (!in.fast || (tagged_kind >> kKindBits) != (in.fast_generation & 0xffffffu)) break;
      release_fast_links(arg);
      in.fast = false;
      phase_done(arg);
      break;
    }
    case kOpDone: {
      // Compute ops only; a re-timed op's earlier completion events are stale.
      auto& running = running_compute_[g_.op(arg).rank];
      const std::uint32_t generation = tagged_kind >> kKindBits;
      auto it = std::find_if(running.begin(), running.end(),
                             [&](const RunningCompute& c) { return c.op == arg; });
      if (it == running.end() || it->generation != generation) return;
      running.erase(it);
      complete(arg);
      break;
    }
    case kJoinSolver:
      join_solver(arg, instances_[arg].plan->plan.phases[instances_[arg].phase].bytes);
      break;
    case kNetworkWake: {
      if (arg != static_cast<std::uint32_t>(wake_generation_)) return;  // superseded
      wake_at_s_ = std::numeric_limits<double>::infinity();
      // Owners first: a finished phase can start the next one, whose new flow may reuse the
      // index of a flow still in `done`.
      done_owners_.clear();
      for (const FlowId& f : sharing_.finish_due(engine_.now_s()))
        done_owners_.push_back(flow_owner_[f.index]);
      for (std::uint32_t owner : done_owners_)
        phase_done(owner);
      wake_network();
      break;
    }
  }
  drain();
}

SimulationResult Run::run() {
  prepare();
  const std::size_t keys = head_.size();
  for (std::uint32_t k = 0; k < keys; ++k)
    pending_streams_.push_back(k);
  drain();
  engine_.run();
  result_.events = engine_.events_processed();
  if (completed_ops_ != g_.op_count()) {
    result_.completed = false;
    // The head of every stream that did not finish (the first eight), to show the cycle.
    int listed = 0;
    for (std::uint32_t k = 0; k < keys && listed < 8; ++k) {
      const std::uint32_t pos = index_.queue_offsets[k] + head_[k];
      if (pos < index_.queue_offsets[k + 1]) {
        const Op& op = g_.op(index_.queue[pos]);
        if (listed++ > 0) result_.stuck += "; ";
        result_.stuck += "rank " + std::to_string(op.rank) + " stream " + g_.streams()[op.stream] +
                         ": " + g_.format_label(op);
        int waiting = 0;
        for (OpId d : g_.deps(op)) {
          if (options_.record_op_times && !std::isnan(result_.op_end_s[d])) continue;
          result_.stuck.append(waiting++ == 0 ? " (waits for rank " : ", rank ");
          result_.stuck.append(std::to_string(g_.op(d).rank));
          result_.stuck.append(" ");
          result_.stuck.append(g_.format_label(g_.op(d)));
          if (waiting == 3) break;
        }
        if (waiting > 0) result_.stuck += ")";
      }
    }
  }
  return std::move(result_);
}

}  // namespace

SimulationResult simulate_graph(const Graph& graph, const ClusterProfile& cluster,
                                const Topology& topology, const SimulationOptions& options) {
  Run run(graph, cluster, topology, options);
  return run.run();
}

}  // namespace ptsim
