#include "calibration/measurement.h"

#include <array>
#include <cstdio>

#include "cost_models/kernel.h"

namespace ptsim {

namespace {

constexpr std::array<const char*, kMemoryOpCount> kMemoryOpNames = {
    "rmsnorm", "layernorm", "swiglu", "gelu", "rope", "cross_entropy", "adam", "copy", "empty"};

Dtype read_dtype(StrictObject& o, std::string_view key) {
  const std::string name = o.string(key);
  for (std::size_t i = 0; i < kDtypeCount; ++i) {
    if (name == kDtypeNames[i]) return static_cast<Dtype>(i);
  }
  o.fail(key, "unknown dtype '" + name + "' (fp32, tf32, bf16, fp16, fp8)");
}

void write_timing(Json& j, const Timing& t) {
  j["time_s"] = t.median_s;
  j["min_s"] = t.min_s;
  j["max_s"] = t.max_s;
  j["repetitions"] = t.repetitions;
  j["iters"] = t.iters;
}

Timing read_timing(StrictObject& o) {
  Timing t;
  t.median_s = o.positive_number("time_s");
  t.min_s = o.positive_number("min_s");
  t.max_s = o.positive_number("max_s");
  t.repetitions = static_cast<int>(o.positive_integer("repetitions"));
  t.iters = static_cast<int>(o.positive_integer("iters"));
  return t;
}

std::int32_t read_int32(StrictObject& o, std::string_view key) {
  const std::int64_t v = o.positive_integer(key);
  if (v > INT32_MAX) o.fail(key, "too large");
  return static_cast<std::int32_t>(v);
}

std::int64_t read_wrong(StrictObject& o) {
  const std::int64_t w = o.integer("wrong");
  if (w < 0) o.fail("wrong", "must not be negative");
  return w;
}

struct ToJson {
  Json operator()(const GemmMeasurement& g) const {
    Json j;
    j["kind"] = "gemm";
    j["dtype"] = dtype_name(g.dtype);
    j["m"] = g.m;
    j["n"] = g.n;
    j["k"] = g.k;
    j["origin"] = g.origin;
    write_timing(j, g.timing);
    j["best_s"] = g.best_s;
    j["best_index"] = g.best_index;
    j["candidates"] = g.candidates;
    j["heuristic0_waves"] = g.heuristic0_waves;
    j["best_waves"] = g.best_waves;
    j["wrong"] = g.wrong;
    return j;
  }
  Json operator()(const AttentionMeasurement& a) const {
    Json j;
    j["kind"] = "attention";
    j["batch"] = a.batch;
    j["heads"] = a.heads;
    j["kv_heads"] = a.kv_heads;
    j["seq"] = a.seq;
    j["head_dim"] = a.head_dim;
    j["causal"] = a.causal;
    j["backward"] = a.backward;
    j["implementation"] = a.implementation;
    write_timing(j, a.timing);
    j["wrong"] = a.wrong;
    return j;
  }
  Json operator()(const MemoryMeasurement& m) const {
    Json j;
    j["kind"] = "memory";
    j["op"] = memory_op_name(m.op);
    j["elements"] = m.elements;
    j["bytes"] = m.bytes;
    write_timing(j, m.timing);
    j["wrong"] = m.wrong;
    return j;
  }
  Json operator()(const CollectiveMeasurement& c) const {
    Json j;
    j["kind"] = "collective";
    j["collective"] = collective_name(c.collective);
    j["ranks"] = c.ranks;
    j["nodes"] = c.nodes;
    j["bytes"] = c.bytes;
    j["count"] = c.count;
    write_timing(j, c.timing);
    j["algbw_bytes_per_s"] = c.algbw_bytes_per_s;
    j["busbw_bytes_per_s"] = c.busbw_bytes_per_s;
    j["wrong"] = c.wrong;
    return j;
  }
  Json operator()(const InterferenceMeasurement& i) const {
    Json j;
    j["kind"] = "interference";
    j["held_sms"] = i.held_sms;
    j["sm_count"] = i.sm_count;
    j["m"] = i.m;
    j["n"] = i.n;
    j["k"] = i.k;
    j["dtype"] = dtype_name(i.dtype);
    j["alone_s"] = i.alone_s;
    write_timing(j, i.timing);
    j["comm_bytes_per_s"] = i.comm_bytes_per_s;
    j["wrong"] = i.wrong;
    return j;
  }
};

Measurement read_measurement(const Json& j, const std::string& source, const std::string& pointer) {
  if (!j.is_object()) throw_input_error(source, pointer, "expected a measurement object");
  StrictObject o(j, source, pointer);
  const std::string kind = o.string("kind");
  Measurement out;
  if (kind == "gemm") {
    GemmMeasurement g;
    g.dtype = read_dtype(o, "dtype");
    g.m = o.positive_integer("m");
    g.n = o.positive_integer("n");
    g.k = o.positive_integer("k");
    g.origin = o.string("origin");
    g.timing = read_timing(o);
    g.best_s = o.positive_number("best_s");
    g.best_index = static_cast<int>(o.integer("best_index"));
    g.candidates = static_cast<int>(o.positive_integer("candidates"));
    g.heuristic0_waves = o.number("heuristic0_waves");
    g.best_waves = o.number("best_waves");
    g.wrong = read_wrong(o);
    if (g.best_index < 0 || g.best_index >= g.candidates) {
      o.fail("best_index", "must be in [0, candidates)");
    }
    out = g;
  } else if (kind == "attention") {
    AttentionMeasurement a;
    a.batch = read_int32(o, "batch");
    a.heads = read_int32(o, "heads");
    a.kv_heads = read_int32(o, "kv_heads");
    a.seq = read_int32(o, "seq");
    a.head_dim = read_int32(o, "head_dim");
    a.causal = o.boolean("causal");
    a.backward = o.boolean("backward");
    a.implementation = o.string("implementation");
    a.timing = read_timing(o);
    a.wrong = read_wrong(o);
    if (a.heads % a.kv_heads != 0) o.fail("kv_heads", "must divide heads");
    out = a;
  } else if (kind == "memory") {
    MemoryMeasurement m;
    auto op = parse_memory_op(o.string("op"), source, o.pointer("op"));
    if (!op.ok()) throw InputException(op.error());
    m.op = *op;
    m.elements = o.positive_integer("elements");
    m.bytes = m.op == MemoryOp::empty ? o.number("bytes") : o.positive_number("bytes");
    if (m.bytes < 0) o.fail("bytes", "must not be negative");
    m.timing = read_timing(o);
    m.wrong = read_wrong(o);
    out = m;
  } else if (kind == "collective") {
    CollectiveMeasurement c;
    auto coll = parse_collective(o.string("collective"), source, o.pointer("collective"));
    if (!coll.ok()) throw InputException(coll.error());
    c.collective = *coll;
    c.ranks = static_cast<int>(o.positive_integer("ranks"));
    c.nodes = static_cast<int>(o.positive_integer("nodes"));
    c.bytes = o.positive_number("bytes");
    c.count = o.positive_integer("count");
    c.timing = read_timing(o);
    c.algbw_bytes_per_s = o.number("algbw_bytes_per_s");
    c.busbw_bytes_per_s = o.number("busbw_bytes_per_s");
    c.wrong = read_wrong(o);
    if (c.nodes > c.ranks) o.fail("nodes", "more nodes than ranks");
    out = c;
  } else if (kind == "interference") {
    InterferenceMeasurement i;
    i.held_sms = static_cast<int>(o.integer("held_sms"));
    i.sm_count = static_cast<int>(o.positive_integer("sm_count"));
    i.m = o.positive_integer("m");
    i.n = o.positive_integer("n");
    i.k = o.positive_integer("k");
    i.dtype = read_dtype(o, "dtype");
    i.alone_s = o.positive_number("alone_s");
    i.timing = read_timing(o);
    i.comm_bytes_per_s = o.number("comm_bytes_per_s");
    i.wrong = read_wrong(o);
    if (i.held_sms < 0 || i.held_sms >= i.sm_count) o.fail("held_sms", "must be in [0, sm_count)");
    out = i;
  } else {
    o.fail("kind", "unknown measurement kind '" + kind +
                       "' (gemm, attention, memory, collective, interference)");
  }
  o.reject_unknown_keys();
  return out;
}

}  // namespace

const char* memory_op_name(MemoryOp op) {
  return kMemoryOpNames[static_cast<std::size_t>(op)];
}

Result<MemoryOp> parse_memory_op(const std::string& name, const std::string& source,
                                 const std::string& field) {
  for (int i = 0; i < kMemoryOpCount; ++i) {
    if (name == kMemoryOpNames[static_cast<std::size_t>(i)]) return static_cast<MemoryOp>(i);
  }
  return InputError{
      source, field,
      "unknown memory-bound op '" + name +
          "' (rmsnorm, layernorm, swiglu, gelu, rope, cross_entropy, adam, copy, empty)"};
}

double memory_op_bytes_per_element(MemoryOp op) {
  // Each tensor read or written once per element (CALIBRATION_NOTES.md section 4.5), bf16 = 2
  // bytes, fp32 = 4; per-row statistics and weight vectors are negligible and not counted.
  switch (op) {
    case MemoryOp::rmsnorm:
    case MemoryOp::layernorm:
      return 4;  // read x, write y
    case MemoryOp::swiglu:
      return 6;  // read gate and up, write y (per output element)
    case MemoryOp::gelu:
      return 4;  // read x, write y
    case MemoryOp::rope:
      return 4;  // read and write q in place
    case MemoryOp::cross_entropy:
      return 6;  // read logits twice (max/sum pass, gradient pass), write dlogits
    case MemoryOp::adam:
      return 28;  // read p, m, v (fp32) and g (bf16); write p, m, v and a bf16 copy of p
    case MemoryOp::copy:
      return 4;  // read and write one bf16 element
    case MemoryOp::empty:
      return 0;
  }
  return 0;
}

double AttentionMeasurement::flops() const {
  AttentionKernel k;
  k.batch = batch;
  k.heads = heads;
  k.kv_heads = kv_heads;
  k.q_len = seq;
  k.kv_len = seq;
  k.head_dim_qk = head_dim;
  k.head_dim_v = head_dim;
  k.causal = causal;
  k.backward = backward;
  return k.flops();
}

const char* measurement_kind(const Measurement& m) {
  static constexpr std::array<const char*, 5> kKinds = {"gemm", "attention", "memory", "collective",
                                                        "interference"};
  return kKinds[m.index()];
}

std::string measurement_key(const Measurement& m) {
  char buf[160];
  if (const auto* g = std::get_if<GemmMeasurement>(&m)) {
    std::snprintf(buf, sizeof buf, "gemm/%s/%lldx%lldx%lld", dtype_name(g->dtype),
                  static_cast<long long>(g->m), static_cast<long long>(g->n),
                  static_cast<long long>(g->k));
  } else if (const auto* a = std::get_if<AttentionMeasurement>(&m)) {
    std::snprintf(buf, sizeof buf, "attention/%s/%s/b%d/h%d/kv%d/s%d/d%d",
                  a->backward ? "bwd" : "fwd", a->causal ? "causal" : "full", a->batch, a->heads,
                  a->kv_heads, a->seq, a->head_dim);
  } else if (const auto* mm = std::get_if<MemoryMeasurement>(&m)) {
    std::snprintf(buf, sizeof buf, "memory/%s/%lld", memory_op_name(mm->op),
                  static_cast<long long>(mm->elements));
  } else if (const auto* c = std::get_if<CollectiveMeasurement>(&m)) {
    std::snprintf(buf, sizeof buf, "collective/%s/r%d/n%d/%lld", collective_name(c->collective),
                  c->ranks, c->nodes, static_cast<long long>(c->count));
  } else {
    const auto& i = std::get<InterferenceMeasurement>(m);
    std::snprintf(buf, sizeof buf, "interference/%s/%lldx%lldx%lld/sms%d", dtype_name(i.dtype),
                  static_cast<long long>(i.m), static_cast<long long>(i.n),
                  static_cast<long long>(i.k), i.held_sms);
  }
  return buf;
}

std::int64_t measurement_wrong(const Measurement& m) {
  return std::visit([](const auto& x) { return x.wrong; }, m);
}

const Timing& measurement_timing(const Measurement& m) {
  return std::visit([](const auto& x) -> const Timing& { return x.timing; }, m);
}

Json measurement_to_json(const Measurement& m) {
  return std::visit(ToJson{}, m);
}

Result<Measurement> measurement_from_json(const Json& j, const std::string& source,
                                          const std::string& pointer) {
  return catch_input_errors([&] { return read_measurement(j, source, pointer); });
}

}  // namespace ptsim
