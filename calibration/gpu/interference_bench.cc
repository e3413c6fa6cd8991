#include "calibration/gpu/interference_bench.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include <fmt/format.h>

#include "calibration/gpu/device_buffer.h"
#include "calibration/gpu/fill.h"
#include "calibration/gpu/harness.h"
#include "calibration/gpu/host_numerics.h"
#include "calibration/gpu/interference_kernels.h"
#include "calibration/gpu/verifiable.h"

namespace ptsim::gpu {

namespace {

constexpr double kStartTimeoutS = 2.0;
constexpr std::int64_t kCommChecks = 1024;

// Owns two non-blocking streams, so the GEMMs and the communication-like kernel run concurrently.
struct Streams {
  cudaStream_t a = nullptr, b = nullptr;
  Streams() {
    PTSIM_CUDA(cudaStreamCreateWithFlags(&a, cudaStreamNonBlocking));
    PTSIM_CUDA(cudaStreamCreateWithFlags(&b, cudaStreamNonBlocking));
  }
  ~Streams() {
    cudaStreamDestroy(a);
    cudaStreamDestroy(b);
  }
};

class GemmAlone : public Benchmark {
 public:
  GemmAlone(GemmRunner& r, cudaStream_t s) : r_(r), s_(s) {}
  void init() override {}
  void run(int it) override { r_.launch(0, it, s_); }
  void synchronize() override { PTSIM_CUDA(cudaStreamSynchronize(s_)); }
  std::int64_t check(int it) override { return r_.check(it, s_); }
  cudaStream_t event_stream() const override { return s_; }

 protected:
  GemmRunner& r_;
  cudaStream_t s_;
};

// The GEMM with the communication-like kernel started (and confirmed resident) in init().
class GemmShared : public GemmAlone {
 public:
  struct Comm {
    const DeviceBuffer* src;
    const DeviceBuffer* dst;
    DeviceBuffer* flags;  // int stop, int timed_out, u64 started, u64 copied
    int ctas;
    int smem;
    cudaStream_t stream;
    cudaEvent_t begin, end;
  };
  GemmShared(GemmRunner& r, cudaStream_t s, const Comm& c) : GemmAlone(r, s), c_(c) {}
  void init() override {
    auto* base = c_.flags->as<unsigned char>();
    PTSIM_CUDA(cudaMemsetAsync(base, 0, c_.flags->bytes(), c_.stream));
    PTSIM_CUDA(cudaEventRecord(c_.begin, c_.stream));
    launch_comm_like(c_.src->as<uint4>(), c_.dst->as<uint4>(),
                     static_cast<std::int64_t>(c_.src->bytes() / 16), c_.ctas, c_.smem, stop(),
                     started(), copied(), c_.stream);
    PTSIM_CUDA(cudaEventRecord(c_.end, c_.stream));
    // The GEMM stream waits for the flags' reset (recorded as `begin`), then spins until every
    // CTA of the copy kernel is resident.
    PTSIM_CUDA(cudaStreamWaitEvent(s_, c_.begin, 0));
    launch_wait_for_start(started(), static_cast<unsigned long long>(c_.ctas), kStartTimeoutS,
                          timed_out(), s_);
  }
  int* stop() const { return c_.flags->as<int>(); }
  int* timed_out() const { return c_.flags->as<int>() + 1; }
  unsigned long long* started() const { return c_.flags->as<unsigned long long>() + 1; }
  unsigned long long* copied() const { return c_.flags->as<unsigned long long>() + 2; }

 private:
  Comm c_;
};

std::int64_t check_copy(const DeviceBuffer& dst, std::uint64_t seed, cudaStream_t s) {
  const auto n = static_cast<std::int64_t>(dst.bytes() / 4);
  const auto pos = sample_positions(n, kCommChecks, seed ^ 0xc033);
  DeviceBuffer idx(pos.size() * sizeof(std::int64_t)), got(pos.size() * 4);
  copy_to_device(idx, pos.data(), idx.bytes(), s);
  gather_elements(dst.get(), 4, idx.as<std::int64_t>(), static_cast<std::int64_t>(pos.size()),
                  got.get(), s);
  std::vector<float> host(pos.size());
  PTSIM_CUDA(cudaMemcpyAsync(host.data(), got.get(), got.bytes(), cudaMemcpyDeviceToHost, s));
  PTSIM_CUDA(cudaStreamSynchronize(s));
  std::int64_t wrong = 0;
  for (std::size_t i = 0; i < pos.size(); ++i) {
    if (host[i] != verifiable_value(seed, kStreamComm, static_cast<std::uint64_t>(pos[i]))) ++wrong;
  }
  return wrong;
}

}  // namespace

void run_interference(const CalibrationPlan& plan, const LtContext& lt, int device, int sm_count,
                      double l2_bytes, MeasurementSink& sink) {
  const InterferencePlan& ip = plan.interference;
  if (ip.held_sms.empty()) return;
  std::vector<int> ks;
  for (int k : ip.held_sms) {
    InterferenceMeasurement probe;
    probe.held_sms = k;
    probe.sm_count = sm_count;
    probe.m = ip.m;
    probe.n = ip.n;
    probe.k = ip.k;
    probe.dtype = ip.dtype;
    if (k >= 1 && k < sm_count - 1 && !sink.already_measured(probe)) ks.push_back(k);
  }
  sink.begin_section(Section::interference,
                     {fmt::format("interference: {} GEMM {}x{}x{} (heuristic #0) alone and while a "
                                  "copy kernel holds k of {} SMs, one 1024-thread CTA per SM",
                                  dtype_name(ip.dtype), ip.m, ip.n, ip.k, sm_count)});
  if (ks.empty()) {
    sink.end_section();
    return;
  }
  Streams streams;
  GemmRunner runner(lt, ip.m, ip.n, ip.k, ip.dtype, 1, l2_bytes, plan.harness.seed, streams.a);
  if (runner.candidates() == 0) {
    sink.note("skipped: cuBLASLt offers no algorithm for the interference GEMM");
    sink.end_section();
    return;
  }
  GemmAlone alone(runner, streams.a);
  const HarnessResult base = run_benchmark(alone, plan.harness);

  // The copy streams at least four times the L2 size, so it runs from HBM.
  const auto comm_bytes = static_cast<std::size_t>(std::max(4.0 * l2_bytes, 64.0 * (1 << 20)));
  DeviceBuffer src(comm_bytes), dst(comm_bytes), flags(4 * sizeof(unsigned long long));
  fill_verifiable(src.get(), ElementType::fp32, static_cast<std::int64_t>(comm_bytes / 4),
                  plan.harness.seed, kStreamComm, ValueRange::eighths, streams.b);
  PTSIM_CUDA(
      cudaMemcpyAsync(dst.get(), src.get(), comm_bytes, cudaMemcpyDeviceToDevice, streams.b));
  PTSIM_CUDA(cudaStreamSynchronize(streams.b));
  cudaEvent_t begin, end;
  PTSIM_CUDA(cudaEventCreate(&begin));
  PTSIM_CUDA(cudaEventCreate(&end));
  const int smem = comm_like_smem_bytes(device);
  // Every kernel that runs while the copy kernel spins must be loaded before it starts: the
  // interference kernels, the GEMM's (loaded by the run alone above) and the check's gather.
  preload_interference_kernels();
  for (int k : ks) {
    GemmShared shared(runner, streams.a, {&src, &dst, &flags, k, smem, streams.b, begin, end});
    const HarnessResult r = run_benchmark(shared, plan.harness);
    launch_set_flag(shared.stop(), streams.a);
    PTSIM_CUDA(cudaStreamSynchronize(streams.a));
    PTSIM_CUDA(cudaStreamSynchronize(streams.b));
    int timed_out = 0;
    unsigned long long copied = 0;
    PTSIM_CUDA(
        cudaMemcpy(&timed_out, shared.timed_out(), sizeof timed_out, cudaMemcpyDeviceToHost));
    PTSIM_CUDA(cudaMemcpy(&copied, shared.copied(), sizeof copied, cudaMemcpyDeviceToHost));
    float ms = 0;
    PTSIM_CUDA(cudaEventElapsedTime(&ms, begin, end));
    InterferenceMeasurement m;
    m.held_sms = k;
    m.sm_count = sm_count;
    m.m = ip.m;
    m.n = ip.n;
    m.k = ip.k;
    m.dtype = ip.dtype;
    m.alone_s = base.timing.median_s;
    m.timing = r.timing;
    m.comm_bytes_per_s = ms > 0 ? static_cast<double>(copied) / (1e-3 * ms) : 0;
    m.wrong = base.wrong + r.wrong + (timed_out != 0 ? 1 : 0) +
              check_copy(dst, plan.harness.seed, streams.b);
    if (auto s = sink.record(m); !s.ok()) {
      cudaEventDestroy(begin);
      cudaEventDestroy(end);
      throw InputException(s.error());
    }
  }
  cudaEventDestroy(begin);
  cudaEventDestroy(end);
  sink.end_section();
}

}  // namespace ptsim::gpu
