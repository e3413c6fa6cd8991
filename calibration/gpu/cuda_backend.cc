// make_gpu_backend() for builds with CUDA: probes the device, starts MPI when launched by an MPI
// launcher, and runs a plan area by area (compute on this process's GPU - world rank 0's under
// MPI - then NCCL on every rank).
#include <cuda_runtime.h>

#include <memory>
#include <optional>

#include <fmt/format.h>

#include "calibration/gpu/attention_bench.h"
#include "calibration/gpu/cuda_check.h"
#include "calibration/gpu/device.h"
#include "calibration/gpu/gemm_bench.h"
#include "calibration/gpu/interference_bench.h"
#include "calibration/gpu/memory_bench.h"
#include "calibration/gpu/mpi_world.h"
#include "calibration/gpu_backend.h"

#if PTSIM_HAVE_NCCL
#include "calibration/gpu/nccl_bench.h"
#endif

#ifndef PTSIM_VERSION
#define PTSIM_VERSION "unknown"
#endif

namespace ptsim {

namespace {

using gpu::MpiWorld;

// Owns the stream compute benchmarks run on.
struct ComputeStream {
  cudaStream_t s = nullptr;
  ComputeStream() { PTSIM_CUDA(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking)); }
  ~ComputeStream() { cudaStreamDestroy(s); }
};

class CudaBackend : public GpuBackend {
 public:
  explicit CudaBackend(int device_count) : devices_(device_count) {
    world_ = std::make_unique<MpiWorld>();
    device_ = world_->active() ? world_->local_rank() % devices_ : 0;
    PTSIM_CUDA(cudaSetDevice(device_));
    env_.tool = std::string("ptsim calibrate ") + PTSIM_VERSION;
    env_.date_utc = utc_now_iso8601();
    env_.host = host_name();
    env_.device = gpu::describe_device(device_);
    env_.devices_visible = devices_;
    env_.world_ranks = world_->size();
    env_.nodes = world_->nodes();
    env_.driver_version = gpu::cuda_driver_version();
    env_.cuda_runtime_version = gpu::cuda_runtime_version();
    env_.cublaslt_version = gpu::cublaslt_version();
    env_.nccl_version = gpu::nccl_version();
    env_.env = allow_listed_environment();
  }

  const Provenance& environment() const override { return env_; }
  int world_rank() const override { return world_->rank(); }

  Status run(const CalibrationPlan& plan, MeasurementSink& sink) override {
    return catch_input_errors([&] {
      if (world_->rank() == 0) run_compute(plan, sink);
      world_->barrier();
      run_nccl(plan, sink);
      return Ok{};
    });
  }

 private:
  void run_compute(const CalibrationPlan& plan, MeasurementSink& sink) {
    PTSIM_CUDA(cudaSetDevice(device_));
    ComputeStream stream;
    const DeviceDescription& d = env_.device;
    const gpu::LtContext lt(d.compute_capability_major);
    if (!plan.gemms.empty()) {
      sink.begin_section(Section::gemm,
                         {fmt::format("GEMM through cuBLASLt {} (TN layout, fp32 accumulation); "
                                      "time = heuristic #0, best = fastest of the top {}",
                                      env_.cublaslt_version, plan.gemm_candidates)});
      const bool fp8 = d.compute_capability_major * 10 + d.compute_capability_minor >= 89;
      if (!fp8) sink.note("fp8 skipped: needs compute capability 8.9 or newer");
      const gpu::GemmBenchEnv genv{&lt, d.l2_bytes, stream.s, false};
      for (const auto& g : plan.gemms) {
        if ((g.dtype == Dtype::fp8 && !fp8) || sink.already_measured(g)) continue;
        std::string why;
        auto m = gpu::measure_gemm(g, plan.gemm_candidates, plan.harness, genv, why);
        if (m) {
          record(sink, *m);
        } else {
          sink.note(fmt::format("skipped {}: {}", measurement_key(g), why));
        }
      }
      sink.end_section();
    }
    if (!plan.attention.empty()) {
      sink.begin_section(Section::attention,
                         {fmt::format("attention: kernel {} (FlashAttention-2 algorithm on WMMA "
                                      "tensor cores; FlashAttention-3 is faster on Hopper)",
                                      gpu::kAttentionImplementation)});
      for (const auto& a : plan.attention) {
        if (sink.already_measured(a)) continue;
        std::string why;
        auto m = gpu::measure_attention(a, plan.harness, stream.s, why);
        if (m) {
          record(sink, *m);
        } else {
          sink.note(fmt::format("skipped {}: {}", measurement_key(a), why));
        }
      }
      sink.end_section();
    }
    if (!plan.memory.empty()) {
      sink.begin_section(Section::memory,
                         {"memory-bound kernels; busbw = bytes read + written / time; 'empty' is "
                          "a kernel doing nothing: the launch overhead of back-to-back kernels"});
      for (const auto& mm : plan.memory) {
        if (sink.already_measured(mm)) continue;
        std::string why;
        auto m = gpu::measure_memory(mm, plan.harness, stream.s, why);
        if (m) {
          record(sink, *m);
        } else {
          sink.note(fmt::format("skipped {}: {}", measurement_key(mm), why));
        }
      }
      sink.end_section();
    }
    gpu::run_interference(plan, lt, device_, d.sm_count, d.l2_bytes, sink);
  }

  void run_nccl(const CalibrationPlan& plan, MeasurementSink& sink) {
    if (plan.collectives.bytes.empty()) return;
#if PTSIM_HAVE_NCCL
    gpu::run_collectives(plan, *world_, devices_, sink);
#else
    sink.note("nccl skipped: built without NCCL");
#endif
  }

  static void record(MeasurementSink& sink, const Measurement& m) {
    if (auto s = sink.record(m); !s.ok()) throw InputException(s.error());
  }

  int devices_;
  int device_ = 0;
  std::unique_ptr<MpiWorld> world_;
  Provenance env_;
};

}  // namespace

Result<std::unique_ptr<GpuBackend>> make_gpu_backend() {
  auto count = gpu::cuda_device_count();
  if (!count.ok()) return count.error();
  return catch_input_errors(
      [&]() -> std::unique_ptr<GpuBackend> { return std::make_unique<CudaBackend>(*count); });
}

}  // namespace ptsim
