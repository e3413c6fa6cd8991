// The order in which the reference executor hands an execution graph's ops to a backend, worked
// out once per graph on the host, without a device.
//
// A backend's queues are asynchronous (CUDA streams): enqueueing an op does not wait for it. What
// must hold when an op is enqueued is that every op it waits for has already been enqueued (a CUDA
// stream cannot wait for an event that has not been recorded yet: the wait would be a no-op), and
// that collectives and transfers are enqueued for all their members at once (one host thread
// driving several GPUs must issue an NCCL collective's per-rank calls inside one group call, or
// the first call may block forever). So the plan walks the graph with the simulator's semantics
// (sim/simulator.h) at zero duration: an op becomes ready when it heads its (rank, stream) queue
// and every dependency has been enqueued; compute ops and memory events are enqueued as soon as
// they are ready; the k-th collective a rank issues on a group is the group's k-th instance (the
// simulator's matching), enqueued once every member present in the graph has reached it; a send
// and the receive with the same (sender, receiver, match) are enqueued together. The plan is a
// topological order of the graph's dependencies with instances merged, so whatever has been
// enqueued can finish without any later host action, and NCCL's per-communicator issue order is
// the same on every rank.
//
// Waits: an op waits for the latest op of each other (rank, stream) it depends on (stream order
// makes earlier ops of that queue implied); an op that some other queue waits for is recorded.
//
// Leaves out: memory events are enqueued as markers and do not allocate (the executor measures
// time, not memory). Validated by tests/calibration/executor_test.cc (every op exactly once,
// in queue order, after its dependencies, on graphs of every pipeline schedule; a virtual-clock
// backend reproduces simulate_graph's step).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "calibration/executor/executor_backend.h"
#include "common/result.h"
#include "sim/graph/graph.h"

namespace ptsim {

enum class LaunchKind : std::uint8_t { kernels, collective, transfer, marker };

// One backend call: a compute op, a memory marker, a collective instance (its members in group
// ring order) or a transfer (send, then receive).
struct Launch {
  LaunchKind kind = LaunchKind::kernels;
  std::uint32_t first = 0;  // into LaunchPlan's op list
  std::uint32_t count = 0;
};

class LaunchPlan {
 public:
  // The plan, or an error when the graph cannot run to completion (a deadlock: a bug of the
  // graph's builder, reported with the first stuck queues).
  static Result<LaunchPlan> build(const Graph& graph);

  const std::vector<Launch>& launches() const { return launches_; }
  std::span<const OpId> ops_of(const Launch& l) const { return {ops_.data() + l.first, l.count}; }
  // Producers on other queues that `op`'s queue must wait for before `op`.
  std::span<const OpId> waits_of(OpId op) const {
    return {waits_.data() + wait_offsets_[op], wait_offsets_[op + 1] - wait_offsets_[op]};
  }
  bool recorded(OpId op) const { return recorded_[op] != 0; }
  // Index into launches() of the launch that holds `op`.
  std::uint32_t launch_of(OpId op) const { return launch_of_[op]; }
  std::size_t op_count() const { return launch_of_.size(); }

 private:
  std::vector<Launch> launches_;
  std::vector<OpId> ops_;
  std::vector<std::uint32_t> wait_offsets_;
  std::vector<OpId> waits_;
  std::vector<char> recorded_;
  std::vector<std::uint32_t> launch_of_;
};

// Hands one step to the backend: begin_step(time_ops), then every launch of the plan in order with
// its waits before and its records after. The caller synchronizes.
void enqueue_step(const LaunchPlan& plan, ExecutorBackend& backend, bool time_ops);

}  // namespace ptsim
