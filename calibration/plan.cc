#include "calibration/plan.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <sstream>

#include "calibration/gemm_shapes.h"

namespace ptsim {

namespace {

constexpr std::array<const char*, kAreaCount> kAreaNames = {"gemm", "attention", "memory", "nccl",
                                                            "interference"};

void add_gemms(const CalibrationSettings& s, CalibrationPlan& plan) {
  GemmShapeOptions opt;
  if (s.quick) {
    opt.models = {"llama3-8b", "llama3-70b"};
    opt.tensor_parallel = {1, 8};
    opt.micro_batch = {1};
    // Backward shapes too: the weight-gradient GEMMs (k = tokens) tile differently from the
    // forward ones of the same FLOPs, and a training step is two thirds backward.
    opt.backward = true;
    opt.grid = {1024, 8192};
    opt.max_flops = std::int64_t{1} << 42;  // about 5 ms in bf16 on an H100
    plan.gemm_candidates = 4;
  } else {
    // The default grid's values that are not multiples of 256 (384, 2944) tell 128- from
    // 256-wide tiles apart in the tiling fit (fit/compute_fit.h); model shapes are mostly
    // multiples of 256.
    // At most about 10 ms per bf16 GEMM on an H100, and the top 4 candidates: about 2,400 points
    // x 4 candidates x 105 launches (defaults) = 2e18 FLOPs, an hour of GEMMs on an H100.
    opt.max_flops = std::int64_t{1} << 43;
    plan.gemm_candidates = 4;
  }
  const auto shapes = generate_gemm_shapes(opt);
  for (Dtype dtype : {Dtype::bf16, Dtype::fp8, Dtype::tf32}) {
    for (const GemmShape& shape : shapes) {
      // cuBLASLt's fp8 kernels need every dimension a multiple of 16 (cuBLASLt documentation,
      // "FP8 data types" requirements).
      if (dtype == Dtype::fp8 && (shape.m % 16 || shape.n % 16 || shape.k % 16)) continue;
      GemmMeasurement g;
      g.m = shape.m;
      g.n = shape.n;
      g.k = shape.k;
      g.dtype = dtype;
      g.origin = shape.origin;
      plan.gemms.push_back(g);
    }
  }
}

void add_attention(const CalibrationSettings& s, CalibrationPlan& plan) {
  const std::vector<int> seqs =
      s.quick ? std::vector<int>{1024, 4096} : std::vector<int>{512, 1024, 2048, 4096, 8192, 16384};
  constexpr int kTokens = 16384;  // batch x seq per call, a typical micro-batch
  struct HeadConfig {
    int head_dim, heads, kv_heads;
  };
  // Grouped-query attention as in Llama 3 (128-dim heads, 4 query heads per KV head) and
  // multi-head attention with 64-dim heads as in GPT-2-sized models.
  constexpr std::array<HeadConfig, 2> kHeads = {{{128, 32, 8}, {64, 32, 32}}};
  for (bool backward : {false, true}) {
    for (const HeadConfig& h : kHeads) {
      for (bool causal : {false, true}) {
        for (int seq : seqs) {
          AttentionMeasurement a;
          a.batch = std::max(1, kTokens / seq);
          a.heads = h.heads;
          a.kv_heads = h.kv_heads;
          a.seq = seq;
          a.head_dim = h.head_dim;
          a.causal = causal;
          a.backward = backward;
          plan.attention.push_back(a);
        }
      }
    }
  }
}

void add_memory(const CalibrationSettings& s, CalibrationPlan& plan) {
  MemoryMeasurement empty;  // launch overhead: a kernel that moves nothing
  empty.op = MemoryOp::empty;
  empty.elements = 1;
  empty.bytes = 0;
  plan.memory.push_back(empty);
  const double max_bytes =
      std::min(kMemorySweepMaxBytes, static_cast<double>(s.effective_max_bytes()));
  const double factor = s.quick ? 16.0 : 4.0;
  for (int i = 0; i < kMemoryOpCount; ++i) {
    const auto op = static_cast<MemoryOp>(i);
    if (op == MemoryOp::empty) continue;
    std::int64_t last = 0;
    for (double bytes = kMemorySweepMinBytes; bytes <= max_bytes; bytes *= factor) {
      MemoryMeasurement m;
      m.op = op;
      m.elements = memory_op_elements_for_bytes(op, bytes);
      if (m.elements == last) continue;  // one row already exceeds this size
      last = m.elements;
      m.bytes = static_cast<double>(m.elements) * memory_op_bytes_per_element(op);
      plan.memory.push_back(m);
    }
  }
}

void add_collectives(const CalibrationSettings& s, CalibrationPlan& plan) {
  for (int i = 0; i < kCollectiveCount; ++i) {
    plan.collectives.collectives.push_back(static_cast<Collective>(i));
  }
  for (double b = static_cast<double>(s.effective_min_bytes());
       b <= static_cast<double>(s.effective_max_bytes()); b *= 2) {
    plan.collectives.bytes.push_back(b);
  }
}

}  // namespace

const char* area_name(Area a) {
  return kAreaNames[static_cast<std::size_t>(a)];
}

Result<std::vector<Area>> parse_areas(const std::string& text, const std::string& flag) {
  std::array<bool, kAreaCount> chosen{};
  std::stringstream in(text);
  std::string item;
  bool any = false;
  while (std::getline(in, item, ',')) {
    if (item == "all") {
      chosen.fill(true);
      any = true;
      continue;
    }
    bool found = false;
    for (int i = 0; i < kAreaCount; ++i) {
      if (item == kAreaNames[static_cast<std::size_t>(i)]) {
        chosen[static_cast<std::size_t>(i)] = true;
        found = true;
      }
    }
    if (!found) {
      return InputError{
          flag, "",
          "unknown area '" + item + "' (gemm, attention, memory, nccl, interference or all)"};
    }
    any = true;
  }
  if (!any) return InputError{flag, "", "names no area"};
  std::vector<Area> out;
  for (int i = 0; i < kAreaCount; ++i) {
    if (chosen[static_cast<std::size_t>(i)]) out.push_back(static_cast<Area>(i));
  }
  return out;
}

bool CalibrationSettings::has(Area a) const {
  return std::find(what.begin(), what.end(), a) != what.end();
}

std::int64_t CalibrationSettings::effective_min_bytes() const {
  return min_bytes.value_or(kDefaultMinBytes);
}

std::int64_t CalibrationSettings::effective_max_bytes() const {
  return max_bytes.value_or(quick ? kQuickMaxBytes : kDefaultMaxBytes);
}

Json CalibrationSettings::to_json() const {
  Json j;
  j["what"] = Json::array();
  for (Area a : what)
    j["what"].push_back(area_name(a));
  j["quick"] = quick;
  j["min_bytes"] = effective_min_bytes();
  j["max_bytes"] = effective_max_bytes();
  j["iters"] = iters;
  j["warmup"] = warmup;
  j["repetitions"] = repetitions;
  j["seed"] = seed;
  return j;
}

Status CalibrationSettings::validate() const {
  if (iters < 1) return InputError{"--iters", "", "must be at least 1"};
  if (warmup < 0) return InputError{"--warmup", "", "must not be negative"};
  if (repetitions < 1) return InputError{"--repetitions", "", "must be at least 1"};
  if (effective_min_bytes() < 1) return InputError{"--min-bytes", "", "must be at least 1"};
  if (effective_max_bytes() < effective_min_bytes()) {
    return InputError{"--max-bytes", "", "must not be below --min-bytes"};
  }
  if (what.empty()) return InputError{"--what", "", "names no area"};
  return ok_status();
}

std::size_t CalibrationPlan::points() const {
  return gemms.size() + attention.size() + memory.size() +
         collectives.collectives.size() * collectives.bytes.size() + interference.held_sms.size();
}

std::int64_t memory_op_row(MemoryOp op) {
  switch (op) {
    case MemoryOp::rmsnorm:
    case MemoryOp::layernorm:
      return 8192;  // llama3-70b hidden size
    case MemoryOp::swiglu:
      return 14336;  // llama3-8b FFN width
    case MemoryOp::rope:
      return 128;  // head dim
    case MemoryOp::cross_entropy:
      return 128256;  // Llama 3 vocabulary
    case MemoryOp::gelu:
    case MemoryOp::adam:
    case MemoryOp::copy:
      return 1024;  // flat; whole blocks of 1024 keep 16-byte vector loads aligned
    case MemoryOp::empty:
      return 1;
  }
  return 1;
}

std::int64_t memory_op_elements_for_bytes(MemoryOp op, double bytes) {
  const double per_element = memory_op_bytes_per_element(op);
  if (per_element == 0) return 1;
  const std::int64_t row = memory_op_row(op);
  const auto rows = static_cast<std::int64_t>(std::floor(bytes / per_element / row));
  return std::max<std::int64_t>(1, rows) * row;
}

CalibrationPlan make_plan(const CalibrationSettings& s) {
  CalibrationPlan plan;
  plan.harness = {s.iters, s.warmup, s.repetitions, s.seed};
  if (s.has(Area::gemm)) add_gemms(s, plan);
  if (s.has(Area::attention)) add_attention(s, plan);
  if (s.has(Area::memory)) add_memory(s, plan);
  if (s.has(Area::nccl)) add_collectives(s, plan);
  if (s.has(Area::interference)) {
    plan.interference.held_sms =
        s.quick ? std::vector<int>{16, 32} : std::vector<int>{4, 8, 16, 24, 32, 48, 64};
  }
  return plan;
}

}  // namespace ptsim
