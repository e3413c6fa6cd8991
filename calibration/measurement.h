// One calibration measurement: what was run (kernel class and shape, or collective and group), how
// long it took, and how many output elements were wrong. Measurements are the unit of
// checkpointing (one JSON line each, results_io.h) and the input of fitting (fit/).
//
// Every measurement has a key built from what was run, never from how long it took, so a resumed
// run recognises a point it has already measured. Times are per operation, in seconds: the median
// over repetitions of (elapsed time of `iters` back-to-back launches) / iters, as nccl-tests
// reports them, with the fastest and slowest repetition beside it.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "calibration/collective.h"
#include "common/json_reader.h"
#include "common/result.h"
#include "hardware_profiles/gpu_profile.h"

namespace ptsim {

// Timing of one point: median, fastest and slowest repetition, per operation.
struct Timing {
  double median_s = 0;
  double min_s = 0;
  double max_s = 0;
  int repetitions = 0;
  int iters = 0;
};

// C[m,n] = A[m,k] * B[k,n] through cuBLASLt, A and B in `dtype`, accumulation in fp32, the
// output in bf16 (fp32 for tf32). The layout is PyTorch's nn.Linear: weights stored [n,k].
struct GemmMeasurement {
  std::int64_t m = 0;
  std::int64_t n = 0;
  std::int64_t k = 0;
  Dtype dtype = Dtype::bf16;
  std::string origin;           // "grid" or the first model shape that produced it
  Timing timing;                // cuBLASLt heuristic #0 (what frameworks get by default)
  double best_s = 0;            // fastest median over the top-k heuristic candidates
  int best_index = 0;           // position of that candidate in the heuristic list
  int candidates = 0;           // how many candidates were timed
  double heuristic0_waves = 0;  // cuBLASLt wavesCount of candidate #0
  double best_waves = 0;        // wavesCount of the fastest candidate
  std::int64_t wrong = 0;       // wrong output elements over every check
  double flops() const { return 2.0 * static_cast<double>(m) * n * k; }
};

// One fused attention call: q, k, v in [batch, seq, heads, head_dim] bf16 layout.
struct AttentionMeasurement {
  std::int32_t batch = 0;
  std::int32_t heads = 0;
  std::int32_t kv_heads = 0;
  std::int32_t seq = 0;
  std::int32_t head_dim = 0;
  bool causal = false;
  bool backward = false;
  std::string implementation;  // which kernel ran ("ptsim-flash-wmma")
  Timing timing;
  std::int64_t wrong = 0;
  double flops() const;  // FlashAttention's count (cost_models/kernel.h AttentionKernel)
};

// The memory-bound kernels calibrate measures, each with the bytes it must move.
enum class MemoryOp : std::uint8_t {
  rmsnorm,        // y = x / rms(x) * g, bf16 rows of `row` elements
  layernorm,      // y = (x - mean) / std * g + b
  swiglu,         // y = silu(gate) * up (gate and up side by side, bf16)
  gelu,           // y = gelu_tanh(x)
  rope,           // rotary embedding applied in place to q, bf16
  cross_entropy,  // loss and dlogits of softmax cross-entropy over bf16 logits
  adam,           // AdamW step: fp32 p, m, v; bf16 grad in, bf16 weight copy out
  copy,           // device-to-device copy
  empty,          // a kernel that does nothing: the launch overhead of back-to-back kernels
};
inline constexpr int kMemoryOpCount = 9;
const char* memory_op_name(MemoryOp op);
Result<MemoryOp> parse_memory_op(const std::string& name, const std::string& source,
                                 const std::string& field);
// Bytes one element (one output element; one parameter for adam) moves through HBM; 0 for empty.
double memory_op_bytes_per_element(MemoryOp op);

struct MemoryMeasurement {
  MemoryOp op = MemoryOp::copy;
  std::int64_t elements = 0;  // output elements (parameters for adam)
  double bytes = 0;           // bytes read plus bytes written
  Timing timing;
  std::int64_t wrong = 0;
};

// A collective over `ranks` GPUs on `nodes` nodes, nccl-tests conventions: bytes is S (the whole
// buffer, count * ranks * 4 for all-gather, reduce-scatter and all-to-all), fp32 elements, sum.
struct CollectiveMeasurement {
  Collective collective = Collective::all_reduce;
  int ranks = 1;
  int nodes = 1;
  double bytes = 0;
  std::int64_t count = 0;  // elements per rank as NCCL's API takes them
  Timing timing;           // out of place
  double algbw_bytes_per_s = 0;
  double busbw_bytes_per_s = 0;
  std::int64_t wrong = 0;
};

// A GEMM timed alone and while a bandwidth-bound kernel holds `held_sms` SMs, as an NCCL kernel
// would during overlapped communication.
struct InterferenceMeasurement {
  int held_sms = 0;
  int sm_count = 0;
  std::int64_t m = 0;
  std::int64_t n = 0;
  std::int64_t k = 0;
  Dtype dtype = Dtype::bf16;
  double alone_s = 0;
  Timing timing;  // with the bandwidth-bound kernel running
  double comm_bytes_per_s = 0;
  std::int64_t wrong = 0;
  double slowdown() const { return timing.median_s / alone_s - 1.0; }
};

using Measurement = std::variant<GemmMeasurement, AttentionMeasurement, MemoryMeasurement,
                                 CollectiveMeasurement, InterferenceMeasurement>;

const char* measurement_kind(const Measurement& m);
// Identity of the point that was measured (no times): "gemm/bf16/4096x4096x4096" etc.
std::string measurement_key(const Measurement& m);
std::int64_t measurement_wrong(const Measurement& m);
const Timing& measurement_timing(const Measurement& m);

Json measurement_to_json(const Measurement& m);
// Strict: unknown or missing keys are input errors naming source and JSON pointer.
Result<Measurement> measurement_from_json(const Json& j, const std::string& source,
                                          const std::string& pointer);

}  // namespace ptsim
