// The one timing harness every microbenchmark runs under, in the manner of nccl-tests: warm-up
// launches, then `repetitions` timed blocks of `iters` back-to-back launches; the time per
// operation of a block is its elapsed time / iters, and the median block is reported with the
// fastest and slowest. Blocks on one stream are timed with CUDA events (0.5 us resolution);
// benchmarks spanning devices or processes are timed with a host clock around the launches and a
// synchronisation, as nccl-tests does. After every timed block the benchmark checks the output of
// its last launch against the expected values of its seeded inputs, and the wrong elements add
// up in the result.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "calibration/measurement.h"
#include "calibration/plan.h"

namespace ptsim::gpu {

class Benchmark {
 public:
  virtual ~Benchmark() = default;
  // Allocates buffers and fills inputs from the seed (may compute expected values on the host).
  virtual void init() = 0;
  // Enqueues one operation; `iteration` counts every launch from 0 (warm-up included) and picks
  // the rotated buffer set.
  virtual void run(int iteration) = 0;
  // Waits for every operation enqueued so far.
  virtual void synchronize() = 0;
  // Wrong elements in the output of launch `last_iteration` (called after synchronize()).
  virtual std::int64_t check(int last_iteration) = 0;
  // The stream to time with events, or nullptr to time with the host clock.
  virtual cudaStream_t event_stream() const = 0;
  // Multi-process benchmarks: a barrier before each timed block, and the time every rank agrees
  // on (nccl-tests averages over ranks). Defaults do nothing.
  virtual void before_block() {}
  virtual double agree_on_time(double seconds) { return seconds; }
  virtual std::int64_t agree_on_wrong(std::int64_t wrong) { return wrong; }
};

struct HarnessResult {
  Timing timing;
  std::int64_t wrong = 0;
};

HarnessResult run_benchmark(Benchmark& b, const HarnessSettings& settings);

}  // namespace ptsim::gpu
