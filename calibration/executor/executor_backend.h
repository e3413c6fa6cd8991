// What runs the ops of an execution graph for the reference executor: the interface between the
// plain C++ walk of the graph (launch_plan.h) and a device. The CUDA backend
// (calibration/gpu/gpu_executor.cc, declared in gpu_executor.h) launches real kernels on CUDA
// streams.
//
// Semantics, those of CUDA streams: every (rank, stream) of the graph is an in-order queue. An
// enqueued op runs after everything enqueued before it on its queue and after every producer its
// queue was told to wait for (wait_event); a collective's members run together once every member's
// queue has reached it, as NCCL's do; a send and its receive likewise. The walker only ever waits
// for producers it has already enqueued and recorded (record_event), so no call refers to the
// future, and whatever has been enqueued can finish without any later host action.
//
// Failures of the device (a CUDA, cuBLASLt or NCCL error) are thrown as InputException by the
// backend and caught at the executor's entry point (execute.h), which returns them as values.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "sim/graph/graph.h"

namespace ptsim {

// Where each compute op's kernels sit in StepTimings::kernel_end_s: op i's kernels occupy
// [offset(i), offset(i + 1)); ops that are not compute ops own no slot.
class KernelSlots {
 public:
  explicit KernelSlots(const Graph& graph) {
    offsets_.reserve(graph.op_count() + 1);
    offsets_.push_back(0);
    for (const Op& op : graph.ops()) {
      const std::size_t kernels = op.kind == OpKind::compute ? graph.kernels_of(op).size() : 0;
      offsets_.push_back(offsets_.back() + static_cast<std::uint32_t>(kernels));
    }
  }
  std::uint32_t offset(OpId op) const { return offsets_[op]; }
  std::uint32_t count(OpId op) const { return offsets_[op + 1] - offsets_[op]; }
  std::size_t total() const { return offsets_.back(); }

 private:
  std::vector<std::uint32_t> offsets_;
};

// Times of one step, in seconds from the step's origin (begin_step). NaN marks what was not timed
// (everything but step_time_s when the step ran without time_ops).
struct StepTimings {
  double step_time_s = 0;  // latest end of any op
  std::vector<double> op_start_s;
  std::vector<double> op_end_s;
  std::vector<double> kernel_end_s;  // per kernel slot (KernelSlots)
};

// What a backend says about itself, for the report.
struct BackendDescription {
  std::string name;    // "gpu"
  std::string device;  // "NVIDIA H100 80GB HBM3"
  std::vector<std::string> notes;
  // Interned kernel indices (Graph::kernels()) run as stand-ins: a delay of the cost model's time,
  // for shapes the project's kernels cannot run (e.g. attention with q_len != kv_len).
  std::vector<std::uint32_t> stand_in_kernels;
  double device_buffer_bytes = 0;  // operand and communication buffers allocated, all devices
};

class ExecutorBackend {
 public:
  virtual ~ExecutorBackend() = default;

  virtual const BackendDescription& description() const = 0;

  // Starts a step: every queue is idle, and the time origin is taken now. With `time_ops` the
  // backend also times every op and kernel (per-op device events cost a little time; a step's
  // total is measured without them).
  virtual void begin_step(bool time_ops) = 0;
  // The queue of `waiter` waits for `producer` (enqueued and recorded earlier) to finish.
  virtual void wait_event(OpId waiter, OpId producer) = 0;
  // A compute op: its kernels back to back on its queue.
  virtual void enqueue_kernels(OpId op) = 0;
  // One collective instance: the members' ops (one per rank of the group, group ring order).
  virtual void enqueue_collective(std::span<const OpId> members) = 0;
  // One point-to-point transfer: the send and the matching receive.
  virtual void enqueue_transfer(OpId send, OpId recv) = 0;
  // A memory event: nothing to run, but it holds its queue's place (its waits still apply).
  virtual void enqueue_marker(OpId op) = 0;
  // Makes `op`'s completion something other queues can wait for.
  virtual void record_event(OpId op) = 0;
  // Waits for everything enqueued since begin_step and returns the step's times.
  virtual StepTimings synchronize() = 0;
};

}  // namespace ptsim
