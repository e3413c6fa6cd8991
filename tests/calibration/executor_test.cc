// The reference executor without a GPU: the launch plan (every op once, in stream order, after its
// dependencies, collectives and transfers whole) on graphs of several ranks and schedules, and the
// walk and comparison end to end on a virtual-clock backend, whose step must be the simulator's
// for a one-GPU graph (the same stream semantics, the same kernel times, nothing to overlap).
// GpuExecutor.* runs a small step on a real GPU (skipped without one).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <vector>

#include "calibration/executor/comparison.h"
#include "calibration/executor/execute.h"
#include "calibration/executor/launch_plan.h"
#include "cost_models/compute_cost.h"
#include "hardware_profiles/catalogue.h"
#include "sim/network/topology.h"
#include "sim/simulator.h"
#include "sim/workload/graph_builder.h"
#include "sim/workload/presets.h"

namespace ptsim {
namespace {

ModelSpec llama_8b(int layers) {
  auto m = load_model("llama3-8b");
  EXPECT_TRUE(m.ok());
  ModelSpec model = *m;
  model.layers = layers;
  return model;
}

StepGraph build(const ModelSpec& model, const TrainingConfig& training, const ParallelConfig& p,
                GraphMode mode = GraphMode::full) {
  BuildResult built = build_step_graph(model, training, p, p.world_size(), mode);
  EXPECT_TRUE(built.verdict.ok) << built.verdict.reason;
  return std::move(*built.step);
}

StepGraph one_gpu_graph(int layers, int seq, int global_batch, int micro_batch) {
  TrainingConfig training;
  training.seq_len = seq;
  training.global_batch = global_batch;
  ParallelConfig p;
  p.micro_batch = micro_batch;
  return build(llama_8b(layers), training, p);
}

// Records the order of backend calls and checks the stream semantics the plan promises.
class RecordingBackend : public ExecutorBackend {
 public:
  explicit RecordingBackend(const Graph& g) : g_(g), position_(g.op_count(), -1) {}
  const BackendDescription& description() const override { return description_; }
  void begin_step(bool) override {}
  void wait_event(OpId, OpId producer) override { EXPECT_TRUE(recorded_.count(producer) > 0); }
  void enqueue_kernels(OpId op) override { place(op); }
  void enqueue_collective(std::span<const OpId> members) override {
    const Collective& c = g_.collective_of(g_.op(members[0]));
    for (OpId m : members) {
      EXPECT_EQ(g_.op(m).kind, OpKind::collective);
      EXPECT_EQ(g_.collective_of(g_.op(m)).group, c.group);
      place(m);
    }
  }
  void enqueue_transfer(OpId send, OpId recv) override {
    EXPECT_EQ(g_.op(send).kind, OpKind::send);
    EXPECT_EQ(g_.op(recv).kind, OpKind::recv);
    EXPECT_EQ(g_.transfer_of(g_.op(send)).peer, g_.op(recv).rank);
    EXPECT_EQ(g_.transfer_of(g_.op(recv)).peer, g_.op(send).rank);
    EXPECT_EQ(g_.transfer_of(g_.op(send)).match, g_.transfer_of(g_.op(recv)).match);
    place(send);
    place(recv);
  }
  void enqueue_marker(OpId op) override { place(op); }
  void record_event(OpId op) override { recorded_[op] = true; }
  StepTimings synchronize() override { return {}; }

  const std::vector<std::int64_t>& position() const { return position_; }

 private:
  void place(OpId op) {
    EXPECT_EQ(position_[op], -1) << "op " << op << " enqueued twice";
    position_[op] = next_++;
  }
  const Graph& g_;
  BackendDescription description_;
  std::vector<std::int64_t> position_;
  std::map<OpId, bool> recorded_;
  std::int64_t next_ = 0;
};

void expect_valid_plan(const Graph& g, const std::string& what) {
  SCOPED_TRACE(what);
  auto plan = LaunchPlan::build(g);
  ASSERT_TRUE(plan.ok()) << plan.error().one_line();
  RecordingBackend backend(g);
  enqueue_step(*plan, backend, false);
  const auto& pos = backend.position();
  std::map<std::pair<int, int>, std::int64_t> last_on_queue;
  for (std::size_t i = 0; i < g.op_count(); ++i) {
    const Op& op = g.op(static_cast<OpId>(i));
    ASSERT_GE(pos[i], 0) << "op " << i << " never enqueued";
    for (OpId d : g.deps(op))
      EXPECT_LT(pos[d], pos[i]) << "op " << i << " enqueued before its dependency " << d;
    // Ops of a queue are created in queue order: their enqueue order must be the same.
    auto [it, added] = last_on_queue.emplace(
        std::pair{static_cast<int>(op.rank), static_cast<int>(op.stream)}, pos[i]);
    if (!added) {
      EXPECT_LT(it->second, pos[i]) << "op " << i << " overtook its queue";
      it->second = pos[i];
    }
  }
}

TEST(UnitLaunchPlan, EveryOpOnceInQueueOrderAfterItsDependencies) {
  expect_valid_plan(one_gpu_graph(2, 2048, 4, 1).graph, "one GPU");
  TrainingConfig training;
  training.seq_len = 1024;
  training.global_batch = 16;
  for (Schedule s : {Schedule::one_f_one_b, Schedule::interleaved, Schedule::zb_h1,
                     Schedule::dualpipe, Schedule::gpipe}) {
    ParallelConfig p;
    p.tp = 2;
    p.pp = 2;
    p.dp = 2;
    p.sequence_parallel = true;
    p.schedule = s;
    p.vpp = s == Schedule::interleaved ? 2 : 1;
    expect_valid_plan(build(llama_8b(4), training, p).graph, schedule_name(s));
  }
  ParallelConfig zero3;
  zero3.dp = 4;
  zero3.cp = 2;
  zero3.zero_stage = 3;
  expect_valid_plan(build(llama_8b(2), training, zero3).graph, "zero-3 with cp");
  // A reduced graph: every group has one member present, so no collective waits for a peer.
  ParallelConfig reduced;
  reduced.tp = 2;
  reduced.pp = 2;
  reduced.dp = 2;
  reduced.sequence_parallel = true;
  expect_valid_plan(build(llama_8b(4), training, reduced, GraphMode::reduced).graph, "reduced");
}

// Runs every kernel for the compute cost model's time on a virtual clock with CUDA stream
// semantics: the executor's walk on a device that behaves exactly as the simulator assumes.
class VirtualClockBackend : public ExecutorBackend {
 public:
  VirtualClockBackend(const Graph& g, const ComputeCostModel& cost)
      : g_(g), cost_(cost), slots_(g), queue_s_(g.streams().size(), 0.0) {
    description_.name = "virtual clock";
  }
  const BackendDescription& description() const override { return description_; }
  void begin_step(bool time_ops) override {
    time_ops_ = time_ops;
    std::fill(queue_s_.begin(), queue_s_.end(), 0.0);
    const double nan = std::numeric_limits<double>::quiet_NaN();
    t_.op_start_s.assign(g_.op_count(), nan);
    t_.op_end_s.assign(g_.op_count(), nan);
    t_.kernel_end_s.assign(slots_.total(), nan);
    done_.assign(g_.op_count(), nan);
  }
  void wait_event(OpId waiter, OpId producer) override {
    double& q = queue_s_[g_.op(waiter).stream];
    q = std::max(q, done_[producer]);
  }
  void enqueue_kernels(OpId id) override {
    const Op& op = g_.op(id);
    double& q = queue_s_[op.stream];
    if (time_ops_) t_.op_start_s[id] = q;
    std::uint32_t slot = slots_.offset(id);
    for (std::uint32_t k : g_.kernels_of(op)) {
      q += cost_.time_s(g_.kernel(k));
      if (time_ops_) t_.kernel_end_s[slot++] = q;
    }
    if (time_ops_) t_.op_end_s[id] = q;
  }
  void enqueue_collective(std::span<const OpId> members) override { enqueue_marker(members[0]); }
  void enqueue_transfer(OpId send, OpId) override { enqueue_marker(send); }
  void enqueue_marker(OpId id) override {
    const double q = queue_s_[g_.op(id).stream];
    if (time_ops_) t_.op_start_s[id] = t_.op_end_s[id] = q;
  }
  void record_event(OpId id) override { done_[id] = queue_s_[g_.op(id).stream]; }
  StepTimings synchronize() override {
    t_.step_time_s = *std::max_element(queue_s_.begin(), queue_s_.end());
    return t_;
  }

 private:
  const Graph& g_;
  const ComputeCostModel& cost_;
  KernelSlots slots_;
  BackendDescription description_;
  std::vector<double> queue_s_;
  std::vector<double> done_;
  StepTimings t_;
  bool time_ops_ = false;
};

TEST(UnitExecutorComparison, VirtualClockStepIsTheSimulatedStepAndEveryClassMatches) {
  auto cluster = load_cluster("dgx-h100");
  ASSERT_TRUE(cluster.ok());
  auto topology = Topology::build(*cluster, 1);
  ASSERT_TRUE(topology.ok());
  for (auto [seq, micro_batch] : {std::pair{8192, 1}, std::pair{4096, 2}}) {
    const StepGraph step = one_gpu_graph(2, seq, 4, micro_batch);
    const SimulationResult sim = simulate_graph(step.graph, *cluster, *topology);
    ASSERT_TRUE(sim.completed);
    const ComputeCostModel cost(cluster->gpu);
    VirtualClockBackend backend(step.graph, cost);
    auto plan = LaunchPlan::build(step.graph);
    ASSERT_TRUE(plan.ok());
    enqueue_step(*plan, backend, false);
    const double untimed = backend.synchronize().step_time_s;
    enqueue_step(*plan, backend, true);
    const StepTimings timed = backend.synchronize();
    EXPECT_NEAR(untimed, sim.step_time_s, 1e-9 * sim.step_time_s);
    const StepComparison c =
        compare_step(step.graph, *cluster, sim.step_time_s, {untimed, untimed}, timed);
    EXPECT_DOUBLE_EQ(c.measured_step_s, untimed);
    ASSERT_GE(c.classes.size(), 5u);  // gemm, attention both ways, norm, optimizer at least
    double kernels_s = 0;
    for (const OpClassComparison& row : c.classes) {
      EXPECT_GT(row.kernels, 0) << row.op_class;
      EXPECT_NEAR(row.measured_s, row.predicted_s, 1e-9 * row.predicted_s) << row.op_class;
      kernels_s += row.measured_s;
    }
    // One compute stream and nothing else: the kernels fill the step.
    EXPECT_NEAR(kernels_s, sim.step_time_s, 1e-9 * sim.step_time_s);
    const auto j = comparison_json(c);
    EXPECT_NEAR(j["step"]["error_percent"].get<double>(), 0.0, 1e-6);
  }
}

TEST(UnitExecutorComparison, ErrorPercentIsSignedAgainstTheMeasurement) {
  EXPECT_NEAR(error_percent(1.1, 1.0), 10.0, 1e-9);
  EXPECT_NEAR(error_percent(0.9, 1.0), -10.0, 1e-9);
  EXPECT_DOUBLE_EQ(error_percent(1.0, 0.0), 0.0);
}

TEST(GpuExecutor, RunsAOneGpuStepAndTimesEveryClass) {
  const StepGraph step = one_gpu_graph(1, 2048, 2, 1);
  auto cluster = load_cluster("dgx-h100");
  ASSERT_TRUE(cluster.ok());
  ExecuteSettings settings;
  settings.timed_steps = 2;
  auto r = execute_graph(step.graph, *cluster, 0.0, settings);
  if (!r.ok()) {
    const std::string why = r.error().one_line();
    if (why.find("no GPU found") != std::string::npos ||
        why.find("no CUDA support") != std::string::npos) {
      GTEST_SKIP() << why;
    }
    FAIL() << why;
  }
  const StepComparison& c = r->comparison;
  EXPECT_GT(c.measured_step_s, 0);
  double kernels_s = 0;
  for (const OpClassComparison& row : c.classes) {
    EXPECT_GT(row.measured_s, 0) << row.op_class;
    kernels_s += row.measured_s;
  }
  // Kernels on one stream, each timed from the end of the one before: their sum is the step.
  EXPECT_LE(kernels_s, c.timed_ops_step_s * 1.0001);
  EXPECT_GT(kernels_s, 0.9 * c.timed_ops_step_s);
}

}  // namespace
}  // namespace ptsim
