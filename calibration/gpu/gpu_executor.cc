// The reference executor's CUDA backend (calibration/executor/gpu_executor.h): the graph's
// streams as CUDA streams, its dependencies as events, its kernels through KernelRunner.
#include "calibration/executor/gpu_executor.h"

#include <algorithm>
#include <limits>
#include <map>
#include <vector>

#include <fmt/format.h>

#include "calibration/gpu/cuda_check.h"
#include "calibration/gpu/device.h"
#include "calibration/gpu/executor_kernels.h"
#include "calibration/gpu/kernel_runner.h"

namespace ptsim::gpu {

namespace {

constexpr int kDevice = 0;

class GpuExecutor : public ExecutorBackend {
 public:
  GpuExecutor(const Graph& graph, const GpuExecutorSettings& settings)
      : graph_(graph), settings_(settings), slots_(graph) {
    PTSIM_CUDA(cudaSetDevice(kDevice));
    runner_ = std::make_unique<KernelRunner>(settings.seed, settings.arena_bytes);
    description_.name = "gpu";
    description_.device = runner_->device_name();
    streams_.resize(graph.streams().size());
    for (cudaStream_t& s : streams_)
      PTSIM_CUDA(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
    const std::size_t n = graph.op_count();
    done_.assign(n, nullptr);
    op_start_.assign(n, nullptr);
    op_end_.assign(n, nullptr);
    kernel_end_.assign(slots_.total(), nullptr);
    stream_end_.assign(streams_.size(), nullptr);
    PTSIM_CUDA(cudaEventCreate(&origin_));
    for (cudaEvent_t& e : stream_end_)
      PTSIM_CUDA(cudaEventCreate(&e));
    prepare_kernels();
    PTSIM_CUDA(cudaDeviceSynchronize());
  }

  ~GpuExecutor() override {
    cudaDeviceSynchronize();
    for (auto* list : {&done_, &op_start_, &op_end_, &kernel_end_, &stream_end_}) {
      for (cudaEvent_t e : *list) {
        if (e != nullptr) cudaEventDestroy(e);
      }
    }
    if (origin_ != nullptr) cudaEventDestroy(origin_);
    runner_.reset();  // frees its buffers before the streams go
    for (cudaStream_t s : streams_)
      cudaStreamDestroy(s);
  }

  const BackendDescription& description() const override { return description_; }

  void begin_step(bool time_ops) override {
    PTSIM_CUDA(cudaDeviceSynchronize());
    time_ops_ = time_ops;
    PTSIM_CUDA(cudaEventRecord(origin_, streams_[0]));
    for (std::size_t s = 1; s < streams_.size(); ++s)
      PTSIM_CUDA(cudaStreamWaitEvent(streams_[s], origin_, 0));
  }

  void wait_event(OpId waiter, OpId producer) override {
    PTSIM_CUDA(cudaStreamWaitEvent(stream_of(waiter), done_event(producer), 0));
  }

  void enqueue_kernels(OpId id) override {
    const Op& op = graph_.op(id);
    const cudaStream_t s = stream_of(id);
    if (time_ops_) PTSIM_CUDA(cudaEventRecord(timing_event(op_start_, id), s));
    std::uint32_t slot = slots_.offset(id);
    for (std::uint32_t k : graph_.kernels_of(op)) {
      run_kernel(k, s);
      if (time_ops_) PTSIM_CUDA(cudaEventRecord(timing_event(kernel_end_, slot), s));
      ++slot;
    }
    if (time_ops_) PTSIM_CUDA(cudaEventRecord(timing_event(op_end_, id), s));
  }

  void enqueue_collective(std::span<const OpId> members) override {
    // Only a one-rank graph reaches here (the constructor refuses others): a collective of a
    // group of one moves nothing and NCCL returns at once.
    enqueue_marker(members[0]);
  }

  void enqueue_transfer(OpId send, OpId) override { enqueue_marker(send); }

  void enqueue_marker(OpId id) override {
    if (!time_ops_) return;
    const cudaStream_t s = stream_of(id);
    PTSIM_CUDA(cudaEventRecord(timing_event(op_start_, id), s));
    PTSIM_CUDA(cudaEventRecord(timing_event(op_end_, id), s));
  }

  void record_event(OpId id) override {
    PTSIM_CUDA(cudaEventRecord(done_event(id), stream_of(id)));
  }

  StepTimings synchronize() override {
    for (std::size_t s = 0; s < streams_.size(); ++s)
      PTSIM_CUDA(cudaEventRecord(stream_end_[s], streams_[s]));
    PTSIM_CUDA(cudaDeviceSynchronize());
    StepTimings t;
    for (cudaEvent_t e : stream_end_)
      t.step_time_s = std::max(t.step_time_s, since_origin(e));
    const double nan = std::numeric_limits<double>::quiet_NaN();
    t.op_start_s.assign(graph_.op_count(), nan);
    t.op_end_s.assign(graph_.op_count(), nan);
    t.kernel_end_s.assign(slots_.total(), nan);
    if (time_ops_) {
      for (std::size_t i = 0; i < graph_.op_count(); ++i) {
        if (op_start_[i] != nullptr) t.op_start_s[i] = since_origin(op_start_[i]);
        if (op_end_[i] != nullptr) t.op_end_s[i] = since_origin(op_end_[i]);
      }
      for (std::size_t i = 0; i < slots_.total(); ++i) {
        if (kernel_end_[i] != nullptr) t.kernel_end_s[i] = since_origin(kernel_end_[i]);
      }
    }
    return t;
  }

 private:
  cudaStream_t stream_of(OpId id) const { return streams_[graph_.op(id).stream]; }
  cudaEvent_t done_event(OpId id) {
    if (done_[id] == nullptr)
      PTSIM_CUDA(cudaEventCreateWithFlags(&done_[id], cudaEventDisableTiming));
    return done_[id];
  }
  static cudaEvent_t timing_event(std::vector<cudaEvent_t>& list, std::size_t i) {
    if (list[i] == nullptr) PTSIM_CUDA(cudaEventCreate(&list[i]));
    return list[i];
  }
  double since_origin(cudaEvent_t e) const {
    float ms = 0;
    PTSIM_CUDA(cudaEventElapsedTime(&ms, origin_, e));
    return 1e-3 * static_cast<double>(ms);
  }

  // Allocates what every kernel of the graph needs before any step, and times the stand-ins.
  void prepare_kernels() {
    const cudaStream_t s = streams_[0];
    for (std::uint32_t i = 0; i < graph_.kernels().size(); ++i) {
      if (!runner_->prepare(graph_.kernel(i), s)) description_.stand_in_kernels.push_back(i);
    }
    runner_->finish_preparing(s);
    for (std::uint32_t i : description_.stand_in_kernels) {
      if (!settings_.stand_in_time_s) {
        throw InputException(InputError{
            "GPU", "", "a kernel needs a stand-in and no cost model was given to time it"});
      }
      stand_in_s_[i] = settings_.stand_in_time_s(graph_.kernel(i));
    }
    description_.device_buffer_bytes = runner_->device_bytes();
    description_.notes.push_back(runner_->summary());
  }

  void run_kernel(std::uint32_t index, cudaStream_t s) {
    if (const auto it = stand_in_s_.find(index); it != stand_in_s_.end()) {
      launch_spin(it->second, s);
    } else {
      runner_->run(graph_.kernel(index), s);
    }
  }

  const Graph& graph_;
  GpuExecutorSettings settings_;
  KernelSlots slots_;
  BackendDescription description_;
  std::unique_ptr<KernelRunner> runner_;
  std::vector<cudaStream_t> streams_;
  std::vector<cudaEvent_t> done_, op_start_, op_end_, kernel_end_, stream_end_;
  cudaEvent_t origin_ = nullptr;
  bool time_ops_ = false;
  std::map<std::uint32_t, double> stand_in_s_;
};

}  // namespace

}  // namespace ptsim::gpu

namespace ptsim {

Result<std::unique_ptr<ExecutorBackend>> make_gpu_executor(const Graph& graph,
                                                           const GpuExecutorSettings& settings) {
  const auto count = gpu::cuda_device_count();
  if (!count.ok()) return count.error();
  if (graph.rank_count() != 1 || graph.world_size() != 1) {
    return InputError{"--gpus", "",
                      fmt::format("the GPU executor runs one-GPU configurations (this one has {} "
                                  "GPUs): collectives between ranks are not executed yet",
                                  graph.world_size())};
  }
  return catch_input_errors([&]() -> std::unique_ptr<ExecutorBackend> {
    return std::make_unique<gpu::GpuExecutor>(graph, settings);
  });
}

}  // namespace ptsim
