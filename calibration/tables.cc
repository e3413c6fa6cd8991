#include "calibration/tables.h"

#include <fmt/format.h>

#include "calibration/size_units.h"

namespace ptsim {

namespace {

constexpr double kUs = 1e6;
constexpr double kGiga = 1e9;  // GB/s as nccl-tests prints it: 1e9 bytes per second
constexpr double kTera = 1e12;

std::string wrong_cell(std::int64_t wrong) {
  return fmt::format("{:>7}", wrong);
}

}  // namespace

std::vector<std::string> table_header(Section section) {
  switch (section) {
    case Section::gemm:
      return {fmt::format("#{:>5} {:>7} {:>7} {:>7} {:>10} {:>8} {:>10} {:>8} {:>5} {:>6} {:>7}",
                          "dtype", "m", "n", "k", "time", "flops", "best", "flops", "algo", "waves",
                          "#wrong"),
              fmt::format("#{:>5} {:>7} {:>7} {:>7} {:>10} {:>8} {:>10} {:>8} {:>5} {:>6} {:>7}",
                          "", "", "", "", "(us)", "(TF/s)", "(us)", "(TF/s)", "", "", "")};
    case Section::attention:
      return {fmt::format("#{:>4} {:>6} {:>6} {:>6} {:>8} {:>6} {:>5} {:>10} {:>8} {:>7}", "pass",
                          "mask", "batch", "heads", "kv_heads", "seq", "hdim", "time", "flops",
                          "#wrong"),
              fmt::format("#{:>4} {:>6} {:>6} {:>6} {:>8} {:>6} {:>5} {:>10} {:>8} {:>7}", "", "",
                          "", "", "", "", "", "(us)", "(TF/s)", "")};
    case Section::memory:
      return {fmt::format("#{:>13} {:>12} {:>12} {:>10} {:>8} {:>7}", "op", "elements", "size",
                          "time", "busbw", "#wrong"),
              fmt::format("#{:>13} {:>12} {:>12} {:>10} {:>8} {:>7}", "", "", "(B)", "(us)",
                          "(GB/s)", "")};
    case Section::collective:
      return {fmt::format("#{:>14} {:>5} {:>5} {:>12} {:>12} {:>5} {:>10} {:>7} {:>7} {:>7}",
                          "collective", "ranks", "nodes", "size", "count", "type", "time", "algbw",
                          "busbw", "#wrong"),
              fmt::format("#{:>14} {:>5} {:>5} {:>12} {:>12} {:>5} {:>10} {:>7} {:>7} {:>7}", "",
                          "", "", "(B)", "(elements)", "", "(us)", "(GB/s)", "(GB/s)", "")};
    case Section::interference:
      return {
          fmt::format("#{:>8} {:>5} {:>6} {:>6} {:>6} {:>10} {:>10} {:>8} {:>8} {:>7}", "held_sms",
                      "sms", "m", "n", "k", "alone", "shared", "slowdown", "comm bw", "#wrong"),
          fmt::format("#{:>8} {:>5} {:>6} {:>6} {:>6} {:>10} {:>10} {:>8} {:>8} {:>7}", "", "", "",
                      "", "", "(us)", "(us)", "(%)", "(GB/s)", "")};
  }
  return {};
}

std::string table_row(const Measurement& m) {
  if (const auto* g = std::get_if<GemmMeasurement>(&m)) {
    return fmt::format(
        " {:>5} {:>7} {:>7} {:>7} {:>10.2f} {:>8.1f} {:>10.2f} {:>8.1f} {:>5} {:>6.2f} {}",
        dtype_name(g->dtype), g->m, g->n, g->k, g->timing.median_s * kUs,
        g->flops() / g->timing.median_s / kTera, g->best_s * kUs, g->flops() / g->best_s / kTera,
        g->best_index, g->heuristic0_waves, wrong_cell(g->wrong));
  }
  if (const auto* a = std::get_if<AttentionMeasurement>(&m)) {
    return fmt::format(" {:>4} {:>6} {:>6} {:>6} {:>8} {:>6} {:>5} {:>10.2f} {:>8.1f} {}",
                       a->backward ? "bwd" : "fwd", a->causal ? "causal" : "full", a->batch,
                       a->heads, a->kv_heads, a->seq, a->head_dim, a->timing.median_s * kUs,
                       a->flops() / a->timing.median_s / kTera, wrong_cell(a->wrong));
  }
  if (const auto* mm = std::get_if<MemoryMeasurement>(&m)) {
    const std::string bw = mm->bytes > 0
                               ? fmt::format("{:>8.1f}", mm->bytes / mm->timing.median_s / kGiga)
                               : fmt::format("{:>8}", "-");
    return fmt::format(" {:>13} {:>12} {:>12} {:>10.2f} {} {}", memory_op_name(mm->op),
                       mm->elements, format_byte_size(mm->bytes), mm->timing.median_s * kUs, bw,
                       wrong_cell(mm->wrong));
  }
  if (const auto* c = std::get_if<CollectiveMeasurement>(&m)) {
    return fmt::format(" {:>14} {:>5} {:>5} {:>12} {:>12} {:>5} {:>10.2f} {:>7.2f} {:>7.2f} {}",
                       collective_name(c->collective), c->ranks, c->nodes,
                       static_cast<std::int64_t>(c->bytes), c->count, "float",
                       c->timing.median_s * kUs, c->algbw_bytes_per_s / kGiga,
                       c->busbw_bytes_per_s / kGiga, wrong_cell(c->wrong));
  }
  const auto& i = std::get<InterferenceMeasurement>(m);
  return fmt::format(" {:>8} {:>5} {:>6} {:>6} {:>6} {:>10.2f} {:>10.2f} {:>8.2f} {:>8.1f} {}",
                     i.held_sms, i.sm_count, i.m, i.n, i.k, i.alone_s * kUs,
                     i.timing.median_s * kUs, i.slowdown() * 100, i.comm_bytes_per_s / kGiga,
                     wrong_cell(i.wrong));
}

void TablePrinter::begin(Section section, const std::vector<std::string>& notes) {
  out_ << "#\n";
  for (const auto& n : notes)
    out_ << "# " << n << "\n";
  for (const auto& h : table_header(section))
    out_ << h << "\n";
  in_collectives_ = section == Section::collective;
  busbw_sum_ = 0;
  busbw_rows_ = 0;
  out_.flush();
}

void TablePrinter::row(const Measurement& m) {
  out_ << table_row(m) << "\n";
  if (const auto* c = std::get_if<CollectiveMeasurement>(&m)) {
    busbw_sum_ += c->busbw_bytes_per_s;
    ++busbw_rows_;
  }
  out_.flush();
}

void TablePrinter::note(const std::string& line) {
  out_ << "# " << line << "\n";
  out_.flush();
}

void TablePrinter::end() {
  if (in_collectives_ && busbw_rows_ > 0) {
    out_ << fmt::format("# Avg bus bandwidth    : {:.3f} GB/s\n", busbw_sum_ / busbw_rows_ / kGiga);
  }
  in_collectives_ = false;
  out_.flush();
}

}  // namespace ptsim
