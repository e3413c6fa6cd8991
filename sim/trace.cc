#include "sim/trace.h"

#include <cstdio>

#include "common/check.h"

namespace ptsim {

namespace {

void append_escaped(std::string& out, const std::string& s) {
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) continue;
    out += c;
  }
}

void append_number(std::string& out, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3f", v);
  out += buf;
}

}  // namespace

std::string chrome_trace_json(const Graph& g, const SimulationResult& sim) {
  PTSIM_CHECK(!sim.op_start_s.empty(), "a trace needs recorded op times");
  std::string out;
  out.reserve(g.op_count() * 160 + 4096);
  out += "{\"displayTimeUnit\":\"ms\",\"traceEvents\":[\n";
  bool first = true;
  auto sep = [&] {
    if (!first) out += ",\n";
    first = false;
  };
  for (GraphRank r = 0; r < g.rank_count(); ++r) {
    const RankInfo& info = g.ranks()[r];
    sep();
    out += "{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":" + std::to_string(info.global_rank) +
           ",\"args\":{\"name\":\"rank " + std::to_string(info.global_rank) + " (";
    append_escaped(out, info.role);
    if (info.represents > 1) out += ", stands for " + std::to_string(info.represents) + " GPUs";
    out += ")\"}}";
    for (std::size_t s = 0; s < g.streams().size(); ++s) {
      sep();
      out += "{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":" + std::to_string(info.global_rank) +
             ",\"tid\":" + std::to_string(s) + ",\"args\":{\"name\":\"";
      append_escaped(out, g.streams()[s]);
      out += "\"}}";
    }
  }
  for (OpId i = 0; i < g.op_count(); ++i) {
    const Op& op = g.op(i);
    if (op.kind == OpKind::alloc || op.kind == OpKind::free) continue;
    sep();
    out += "{\"ph\":\"X\",\"name\":\"";
    append_escaped(out, g.format_label(op));
    out += "\",\"cat\":\"";
    out += category_name(op.category);
    out += "\",\"pid\":" + std::to_string(g.ranks()[op.rank].global_rank) +
           ",\"tid\":" + std::to_string(op.stream) + ",\"ts\":";
    append_number(out, sim.op_start_s[i] * 1e6);
    out += ",\"dur\":";
    append_number(out, (sim.op_end_s[i] - sim.op_start_s[i]) * 1e6);
    out += ",\"args\":{";
    if (op.kind == OpKind::compute) {
      out += "\"kernels\":" + std::to_string(g.kernels_of(op).size());
    } else if (op.kind == OpKind::collective) {
      const Collective& c = g.collective_of(op);
      out += "\"collective\":\"";
      out += collective_kind_name(c.kind);
      out += "\",\"bytes\":";
      append_number(out, c.bytes);
      out += ",\"group_size\":" + std::to_string(g.groups()[c.group].ranks.size());
    } else {
      out += "\"bytes\":";
      append_number(out, g.transfer_of(op).bytes);
      out += ",\"peer\":" + std::to_string(g.ranks()[g.transfer_of(op).peer].global_rank);
    }
    out += "}}";
  }
  out += "\n]}\n";
  return out;
}

}  // namespace ptsim
