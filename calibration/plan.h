// What one calibrate run measures: the settings that shape it (the command line's --what, --quick,
// byte range, iterations, seed) and the list of points they give. The plan is pure data, built
// the same way on every machine, so a resumed run and every MPI rank agree on it point by point.
// The GPU backend measures the points; a point already in the checkpoint is skipped.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "calibration/collective.h"
#include "calibration/measurement.h"
#include "common/json_reader.h"
#include "common/result.h"
#include "common/rng.h"

namespace ptsim {

// Areas of --what, in the order they run.
enum class Area : std::uint8_t { gemm, attention, memory, nccl, interference };
inline constexpr int kAreaCount = 5;
const char* area_name(Area a);
// "gemm,nccl" -> {gemm, nccl} in canonical order; "all" -> every area. Errors name `flag`.
Result<std::vector<Area>> parse_areas(const std::string& text, const std::string& flag);

// Defaults, shown by --help from these constants.
inline constexpr std::int64_t kDefaultMinBytes = 8;
inline constexpr std::int64_t kDefaultMaxBytes = std::int64_t{8} << 30;
inline constexpr std::int64_t kQuickMaxBytes = std::int64_t{64} << 20;
inline constexpr int kDefaultIters = 20;
inline constexpr int kDefaultWarmup = 5;
inline constexpr int kDefaultRepetitions = 5;
inline constexpr std::uint64_t kDefaultSeed = Rng::kDefaultSeed;
// Memory-bound kernels are swept from 64 KiB to 1 GiB (capped by --max-bytes): below that a
// kernel is pure launch overhead, which the empty kernel measures.
inline constexpr double kMemorySweepMinBytes = 64.0 * 1024;
inline constexpr double kMemorySweepMaxBytes = 1024.0 * 1024 * 1024;

struct CalibrationSettings {
  std::vector<Area> what = {Area::gemm, Area::attention, Area::memory, Area::nccl,
                            Area::interference};
  bool quick = false;
  std::optional<std::int64_t> min_bytes;  // collective sweep; default kDefaultMinBytes
  std::optional<std::int64_t> max_bytes;  // default kDefaultMaxBytes (kQuickMaxBytes with quick)
  int iters = kDefaultIters;              // timed launches per repetition
  int warmup = kDefaultWarmup;            // untimed launches before timing
  int repetitions = kDefaultRepetitions;  // timed repetitions; the median is reported
  std::uint64_t seed = kDefaultSeed;      // inputs are built from it

  bool has(Area a) const;
  std::int64_t effective_min_bytes() const;
  std::int64_t effective_max_bytes() const;
  Json to_json() const;  // recorded as provenance "args"
  Status validate() const;
};

struct HarnessSettings {
  int iters = kDefaultIters;
  int warmup = kDefaultWarmup;
  int repetitions = kDefaultRepetitions;
  std::uint64_t seed = kDefaultSeed;
};

struct CollectiveSweep {
  std::vector<Collective> collectives;
  std::vector<double> bytes;  // S per point, doubling from min to max as nccl-tests -f 2
};

struct InterferencePlan {
  std::int64_t m = 8192;
  std::int64_t n = 8192;
  std::int64_t k = 8192;
  Dtype dtype = Dtype::bf16;
  std::vector<int> held_sms;  // SMs the bandwidth-bound kernel holds; those >= the SM count skip
};

struct CalibrationPlan {
  HarnessSettings harness;
  int gemm_candidates = 8;  // cuBLASLt heuristic candidates timed per shape (top-k)
  std::vector<GemmMeasurement> gemms;
  std::vector<AttentionMeasurement> attention;
  std::vector<MemoryMeasurement> memory;  // the empty kernel (launch overhead) comes first
  CollectiveSweep collectives;
  InterferencePlan interference;
  std::size_t points() const;
};

CalibrationPlan make_plan(const CalibrationSettings& settings);

// The row length a memory-bound op works on (hidden size, vocabulary, head dim; blocks of 1024
// for the flat ones), and the elements of a `bytes`-sized instance: a whole number of rows, at
// least one.
std::int64_t memory_op_row(MemoryOp op);
std::int64_t memory_op_elements_for_bytes(MemoryOp op, double bytes);

}  // namespace ptsim
