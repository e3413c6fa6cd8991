#include "calibration/gpu/harness.h"

#include <algorithm>
#include <chrono>
#include <vector>

#include "calibration/gpu/cuda_check.h"

namespace ptsim::gpu {

namespace {

// Frees two CUDA events on every path out of the harness.
struct EventPair {
  cudaEvent_t start = nullptr;
  cudaEvent_t stop = nullptr;
  EventPair() {
    PTSIM_CUDA(cudaEventCreate(&start));
    PTSIM_CUDA(cudaEventCreate(&stop));
  }
  ~EventPair() {
    cudaEventDestroy(start);
    cudaEventDestroy(stop);
  }
  EventPair(const EventPair&) = delete;
  EventPair& operator=(const EventPair&) = delete;
};

}  // namespace

HarnessResult run_benchmark(Benchmark& b, const HarnessSettings& settings) {
  b.init();
  int iteration = 0;
  for (int w = 0; w < settings.warmup; ++w)
    b.run(iteration++);
  b.synchronize();
  HarnessResult result;
  std::vector<double> per_op_s;
  const cudaStream_t stream = b.event_stream();
  EventPair events;
  for (int r = 0; r < settings.repetitions; ++r) {
    b.before_block();
    double elapsed_s = 0;
    if (stream != nullptr) {
      PTSIM_CUDA(cudaEventRecord(events.start, stream));
      for (int i = 0; i < settings.iters; ++i)
        b.run(iteration++);
      PTSIM_CUDA(cudaEventRecord(events.stop, stream));
      PTSIM_CUDA(cudaEventSynchronize(events.stop));
      float ms = 0;
      PTSIM_CUDA(cudaEventElapsedTime(&ms, events.start, events.stop));
      elapsed_s = 1e-3 * ms;
      b.synchronize();
    } else {
      const auto t0 = std::chrono::steady_clock::now();
      for (int i = 0; i < settings.iters; ++i)
        b.run(iteration++);
      b.synchronize();
      const auto t1 = std::chrono::steady_clock::now();
      elapsed_s = std::chrono::duration<double>(t1 - t0).count();
    }
    per_op_s.push_back(b.agree_on_time(elapsed_s / settings.iters));
    result.wrong += b.check(iteration - 1);
  }
  result.wrong = b.agree_on_wrong(result.wrong);
  std::sort(per_op_s.begin(), per_op_s.end());
  const std::size_t n = per_op_s.size();
  result.timing.median_s =
      n % 2 == 1 ? per_op_s[n / 2] : 0.5 * (per_op_s[n / 2 - 1] + per_op_s[n / 2]);
  result.timing.min_s = per_op_s.front();
  result.timing.max_s = per_op_s.back();
  result.timing.repetitions = settings.repetitions;
  result.timing.iters = settings.iters;
  return result;
}

}  // namespace ptsim::gpu
