#include "planner/report.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <numeric>

#include "planner/search_pins.h"
#include "sim/workload/param_count.h"

namespace ptsim {

namespace {

std::string fmt(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

std::string gib(double bytes) {
  return fmt("%.1f", bytes / (1024.0 * 1024.0 * 1024.0));
}

std::string with_commas(std::int64_t v) {
  std::string digits = std::to_string(v < 0 ? -v : v);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return v < 0 ? "-" + out : out;
}

double category_s(const StepResult& r, Category c) {
  return r.breakdown.seconds[static_cast<std::size_t>(c)];
}

}  // namespace

std::string time_bar(const StepResult& r, int cells) {
  // Parts in bar order, with their letters.
  const std::array<std::pair<char, double>, 8> parts = {{
      {'C', category_s(r, Category::compute)},
      {'O', category_s(r, Category::optimizer)},
      {'T', category_s(r, Category::tp)},
      {'X', category_s(r, Category::cp)},
      {'D', category_s(r, Category::dp)},
      {'P', category_s(r, Category::pp)},
      {'E', category_s(r, Category::ep)},
      {'B', r.breakdown.bubble_s},
  }};
  double total = 0;
  for (const auto& p : parts)
    total += std::max(0.0, p.second);
  if (total <= 0) return std::string(static_cast<std::size_t>(cells), '.');
  // Largest remainder: floor shares, then the cells left go to the largest remainders (earlier
  // parts first on ties), so the bar always has exactly `cells` cells.
  std::array<int, 8> n{};
  std::array<double, 8> rest{};
  int used = 0;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const double share = std::max(0.0, parts[i].second) / total * cells;
    n[i] = static_cast<int>(std::floor(share));
    rest[i] = share - n[i];
    used += n[i];
  }
  std::array<std::size_t, 8> idx{};
  std::iota(idx.begin(), idx.end(), 0);
  std::stable_sort(idx.begin(), idx.end(),
                   [&](std::size_t a, std::size_t b) { return rest[a] > rest[b]; });
  for (std::size_t k = 0; used < cells; ++k, ++used)
    ++n[idx[k % idx.size()]];
  std::string bar;
  for (std::size_t i = 0; i < parts.size(); ++i)
    bar.append(static_cast<std::size_t>(n[i]), parts[i].first);
  return bar;
}

std::string step_limiter(const StepResult& r) {
  const double mem_share =
      r.memory.capacity_bytes > 0 ? r.memory.peak_bytes / r.memory.capacity_bytes : 0.0;
  if (mem_share >= 0.95) return "memory " + fmt("%.0f%%", mem_share * 100);
  std::pair<std::string, double> worst{"bubble", r.breakdown.bubble_s};
  for (Category c : kCommCategories) {
    const double s = category_s(r, c);
    if (s > worst.second) worst = {std::string(category_name(c)) + " comm", s};
  }
  // A loss under 1 % of the step limits nothing: such a step is compute-bound.
  if (r.step_time_s <= 0 || worst.second < 0.01 * r.step_time_s) return "compute";
  return worst.first + " " + fmt("%.1f%%", worst.second / r.step_time_s * 100);
}

std::string bar_legend() {
  return "# time bar: " + std::to_string(kBarCells) +
         " cells of the step; C compute, O optimizer, exposed communication T tp, X cp, D dp, "
         "P pp, E ep; B pipeline bubble\n";
}

std::string report_header(const PlannerInputs& in) {
  const ParamCounts params = count_params(in.model);
  const auto& c = in.cluster;
  const PinSummary pins = summarize_pins(in.pins, in.model.is_moe());
  std::string s = "# ptsim planner\n";
  char line[512];
  std::snprintf(line, sizeof line,
                "# model     %s: %.1fB parameters (%.1fB active), %d layers, hidden %d\n",
                in.model.name.c_str(), params.total / 1e9, params.active / 1e9, in.model.layers,
                in.model.hidden);
  s += line;
  std::snprintf(line, sizeof line,
                "# training  sequence %d tokens, global batch %d sequences, %s\n",
                in.training.seq_len, in.training.global_batch,
                in.training.precision == Precision::fp8 ? "fp8" : "bf16");
  s += line;
  std::snprintf(line, sizeof line,
                "# cluster   %s: %d x %s (%.1f GiB), %d per node, NVLink domain %d, NVLink %.0f "
                "GB/s, network %.0f Gb/s per GPU\n",
                c.name.c_str(), in.gpus, c.gpu.name.c_str(),
                c.gpu.hbm_capacity_bytes / (1024.0 * 1024.0 * 1024.0), c.gpus_per_node,
                c.nvlink_domain_gpus, c.nvlink_bandwidth_bytes_per_s / 1e9,
                c.nic_bandwidth_bytes_per_s * 8 / 1e9);
  s += line;
  s += "# searched  " + pins.searched + "\n";
  s += "# pinned    " + pins.pinned + "\n";
  const ParallelConfig& f = in.pins.framework;
  s += std::string("# defaults  sequence parallel with tp > 1, rank order ") +
       in.pins.rank_order.value_or(kDefaultRankOrder) + ", context parallel " +
       cp_algorithm_name(in.pins.cp_algorithm.value_or(CpAlgorithm::ring)) +
       ", gradient reduction overlapped " + (f.overlap_grad_reduce ? "on" : "off") +
       ", TP comm overlap " + (f.tp_comm_overlap ? "on" : "off");
  if (in.model.is_moe()) {
    s += std::string(", expert dispatcher ") + moe_dispatcher_name(f.moe_dispatcher) +
         ", expert GEMMs " +
         (f.expert_gemm == ExpertGemm::grouped
              ? "in one grouped kernel"
              : "one per expert on " + std::to_string(kExpertGemmStreams) + " streams");
  }
  // The other framework switches, where the command line moved them from their defaults.
  ParallelConfig others = f;
  others.overlap_grad_reduce = ParallelConfig{}.overlap_grad_reduce;
  others.tp_comm_overlap = ParallelConfig{}.tp_comm_overlap;
  if (in.model.is_moe()) {
    others.moe_dispatcher = ParallelConfig{}.moe_dispatcher;
    others.expert_gemm = ParallelConfig{}.expert_gemm;
  }
  for (const std::string& phrase : changed_switch_phrases(others)) {
    s += ", ";
    s += phrase;
  }
  s += "\n";
  return s;
}

Table ranked_table(const SearchResult& result, const PlannerInputs& in, int top) {
  Table t;
  t.header = {"rank",   "layout",      "step",  "tokens/s", "MFU",
              "memory", "of_capacity", "limit", "time"};
  t.units = {"", "", "s", "tok/s", "%", "GiB", "%", "", ""};
  const int n = std::min<int>(top, static_cast<int>(result.ranked.size()));
  for (int i = 0; i < n; ++i) {
    const SimulatedCandidate& c = result.ranked[static_cast<std::size_t>(i)];
    const StepResult& r = c.result;
    t.rows.push_back({std::to_string(i + 1), layout_label(c.config, in.model.is_moe()),
                      fmt("%.3f", r.step_time_s), fmt("%.0f", r.tokens_per_s),
                      fmt("%.1f", r.mfu * 100), gib(r.memory.peak_bytes),
                      fmt("%.0f", r.memory.peak_bytes / r.memory.capacity_bytes * 100),
                      step_limiter(r), time_bar(r, kBarCells)});
  }
  return t;
}

std::string search_summary(const SearchStats& st) {
  std::int64_t by_rules = 0, by_memory = 0;
  std::string rules;
  for (const auto& [rule, count] : st.pruned) {
    if (rule == "memory_bound") {
      by_memory = count;
      continue;
    }
    by_rules += count;
    if (count > 0) rules += (rules.empty() ? "" : ", ") + rule + " " + with_commas(count);
  }
  std::string s = "# search    " + with_commas(st.considered) + " configurations considered; " +
                  with_commas(by_rules) + " pruned by rules" +
                  (rules.empty() ? "" : " (" + rules + ")") + ", " + with_commas(by_memory) +
                  " by the memory bound\n";
  s += "#           " + with_commas(st.candidates) + " candidates: " + with_commas(st.simulated) +
       " simulated (" + with_commas(st.out_of_memory) + " out of memory), " +
       (st.probed_out_of_memory > 0 ? with_commas(st.probed_out_of_memory) +
                                          " out of memory by a memory probe (a shortened step), "
                                    : std::string()) +
       (st.too_large > 0 ? with_commas(st.too_large) +
                               " too large to simulate (step graph over the op limit, not ranked), "
                         : std::string()) +
       with_commas(st.bounded_out) + " bounded out (cannot enter the top k)\n";
  s +=
      "#           " + fmt("%.2f s", st.wall_s) + " on " + std::to_string(st.threads) +
      (st.threads == 1 ? " thread" : " threads") +
      (st.speculative > 0 ? " (" + with_commas(st.speculative) + " speculative simulations dropped)"
                          : std::string()) +
      "\n";
  s += "#           listing and bounding " + fmt("%.2f s", st.listing_wall_s) + ", ordering " +
       fmt("%.2f s", st.ordering_wall_s) + ", simulation " + fmt("%.2f s", st.simulation_s) +
       " (summed over threads)\n";
  return s;
}

}  // namespace ptsim
