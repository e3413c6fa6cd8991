#include "calibration/gpu/gemm_bench.h"

#include <fmt/format.h>

#include "calibration/gpu/harness.h"

namespace ptsim::gpu {

namespace {

// The harness's view of one candidate algorithm of a GemmRunner.
class GemmCandidate : public Benchmark {
 public:
  GemmCandidate(GemmRunner& runner, int candidate, cudaStream_t stream, bool check_all)
      : runner_(runner), candidate_(candidate), stream_(stream), check_all_(check_all) {}
  void init() override {}
  void run(int iteration) override { runner_.launch(candidate_, iteration, stream_); }
  void synchronize() override { PTSIM_CUDA(cudaStreamSynchronize(stream_)); }
  std::int64_t check(int last_iteration) override {
    return runner_.check(last_iteration, stream_, check_all_);
  }
  cudaStream_t event_stream() const override { return stream_; }

 private:
  GemmRunner& runner_;
  int candidate_;
  cudaStream_t stream_;
  bool check_all_;
};

}  // namespace

std::optional<GemmMeasurement> measure_gemm(const GemmMeasurement& request, int candidates,
                                            const HarnessSettings& settings,
                                            const GemmBenchEnv& env, std::string& why_skipped) {
  const double need = GemmRunner::set_bytes(request.m, request.n, request.k, request.dtype);
  if (need > 0.8 * static_cast<double>(free_device_memory())) {
    why_skipped =
        fmt::format("needs {:.1f} GiB, more than the free device memory", need / (1 << 30));
    return std::nullopt;
  }
  GemmRunner runner(*env.lt, request.m, request.n, request.k, request.dtype, candidates,
                    env.l2_bytes, settings.seed, env.stream);
  if (runner.candidates() == 0) {
    why_skipped = "cuBLASLt offers no algorithm for this shape and dtype";
    return std::nullopt;
  }
  GemmMeasurement out = request;
  out.candidates = runner.candidates();
  out.wrong = 0;
  for (int c = 0; c < runner.candidates(); ++c) {
    GemmCandidate bench(runner, c, env.stream, env.check_all);
    const HarnessResult r = run_benchmark(bench, settings);
    out.wrong += r.wrong;
    if (c == 0) {
      out.timing = r.timing;
      out.best_s = r.timing.median_s;
      out.best_index = 0;
      out.heuristic0_waves = runner.waves(0);
      out.best_waves = runner.waves(0);
    } else if (r.timing.median_s < out.best_s) {
      out.best_s = r.timing.median_s;
      out.best_index = c;
      out.best_waves = runner.waves(c);
    }
  }
  return out;
}

}  // namespace ptsim::gpu
