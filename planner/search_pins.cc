#include "planner/search_pins.h"

#include <initializer_list>
#include <vector>

#include "common/words.h"
#include "sim/workload/rank_layout.h"

namespace ptsim {

namespace {

template <class E>
Result<E> parse_enum(const std::string& text, const char* flag, std::initializer_list<E> values,
                     const char* (*name)(E)) {
  std::string accepted;
  for (E v : values) {
    if (text == name(v)) return v;
    if (!accepted.empty()) accepted += ", ";
    accepted += name(v);
  }
  return InputError{flag, "", "unknown value '" + text + "'; use " + accepted};
}

}  // namespace

Result<SearchPins> make_search_pins(const PinFlags& f) {
  SearchPins pins;
  for (const auto& [value, flag] : {std::pair{&f.tp, "--tp"},
                                    {&f.pp, "--pp"},
                                    {&f.dp, "--dp"},
                                    {&f.cp, "--cp"},
                                    {&f.ep, "--ep"},
                                    {&f.etp, "--etp"},
                                    {&f.vpp, "--vpp"},
                                    {&f.micro_batch, "--micro-batch"}}) {
    if (*value && **value < 1) {
      return InputError{flag, "", "must be at least 1, got " + std::to_string(**value)};
    }
  }
  pins.tp = f.tp;
  pins.pp = f.pp;
  pins.dp = f.dp;
  pins.cp = f.cp;
  pins.ep = f.ep;
  pins.etp = f.etp;
  pins.vpp = f.vpp;
  pins.micro_batch = f.micro_batch;
  if (f.zero) {
    if (*f.zero < 0 || *f.zero > 3) return InputError{"--zero", "", "must be 0, 1, 2 or 3"};
    pins.zero = f.zero;
  }
  if (f.sequence_parallel) {
    auto v = parse_on_off(*f.sequence_parallel, "--sequence-parallel");
    if (!v) return v.error();
    pins.sequence_parallel = *v;
  }
  if (f.recompute) {
    auto v = parse_enum(*f.recompute, "--recompute",
                        {Recompute::none, Recompute::selective, Recompute::full}, recompute_name);
    if (!v) return v.error();
    pins.recompute = *v;
  }
  if (f.recompute_modules) {
    auto modules = recompute_modules_flag(*f.recompute_modules, pins.recompute);
    if (!modules) return modules.error();
    pins.framework.recompute_modules = *modules;
  }
  if (f.recompute_layers) {
    auto layers = recompute_layers_flag(*f.recompute_layers, pins.recompute);
    if (!layers) return layers.error();
    pins.framework.recompute_layers = *layers;
  }
  if (f.schedule) {
    // A comma list: the schedules a framework offers, searched among themselves.
    for (const std::string& word : split_words(*f.schedule, ",")) {
      auto v = parse_enum(word, "--schedule",
                          {Schedule::gpipe, Schedule::one_f_one_b, Schedule::interleaved,
                           Schedule::zb_h1, Schedule::dualpipe},
                          schedule_name);
      if (!v) return v.error();
      pins.schedules.push_back(*v);
    }
    if (pins.schedules.empty()) {
      return InputError{"--schedule", "", "names no schedule; give one or a comma list"};
    }
  }
  if (f.cp_algorithm) {
    auto v = parse_enum(*f.cp_algorithm, "--cp-algorithm",
                        {CpAlgorithm::ring, CpAlgorithm::ulysses}, cp_algorithm_name);
    if (!v) return v.error();
    pins.cp_algorithm = *v;
  }
  if (f.rank_order) {
    if (auto words = check_rank_order_words(*f.rank_order, "--rank-order"); !words) {
      return words.error();
    }
    pins.rank_order = *f.rank_order;
  }
  if (f.zero3_gather) {
    auto g = parse_enum(*f.zero3_gather, "--zero3-gather",
                        {Zero3Gather::prefetch, Zero3Gather::on_demand}, zero3_gather_name);
    if (!g) return g.error();
    pins.framework.zero3_gather = *g;
  }
  if (f.ep_dispatcher) {
    auto d = parse_enum(*f.ep_dispatcher, "--ep-dispatcher",
                        {MoeDispatcher::all_to_all, MoeDispatcher::deepep}, moe_dispatcher_name);
    if (!d) return d.error();
    pins.framework.moe_dispatcher = *d;
  }
  if (f.expert_gemm) {
    auto g = parse_enum(*f.expert_gemm, "--expert-gemm",
                        {ExpertGemm::multi_stream, ExpertGemm::grouped}, expert_gemm_name);
    if (!g) return g.error();
    pins.framework.expert_gemm = *g;
  }
  if (auto s = apply_framework_switches(f.switches, pins.framework); !s) return s.error();
  return pins;
}

PinSummary summarize_pins(const SearchPins& p, bool moe) {
  PinSummary out;
  auto add = [](std::string& list, const std::string& item) {
    if (!list.empty()) list += ", ";
    list += item;
  };
  auto dim = [&](const char* name, const auto& pin, const std::string& value) {
    if (pin) {
      add(out.pinned, std::string(name) + " " + value);
    } else {
      add(out.searched, name);
    }
  };
  auto num = [](const std::optional<int>& v) { return v ? std::to_string(*v) : std::string(); };
  dim("tp", p.tp, num(p.tp));
  dim("pp", p.pp, num(p.pp));
  dim("dp", p.dp, num(p.dp));
  dim("cp", p.cp, num(p.cp));
  if (moe) {
    dim("ep", p.ep, num(p.ep));
    dim("etp", p.etp, num(p.etp));
  }
  dim("vpp", p.vpp, num(p.vpp));
  dim("micro-batch", p.micro_batch, num(p.micro_batch));
  dim("zero", p.zero, num(p.zero));
  dim("recompute", p.recompute, p.recompute ? recompute_name(*p.recompute) : "");
  std::string schedules;
  for (Schedule s : kSchedules) {
    if (p.schedules.empty() || !p.allows(s)) continue;
    if (!schedules.empty()) schedules += '/';
    schedules += schedule_name(s);
  }
  dim("schedule", !p.schedules.empty(), schedules);
  if (p.sequence_parallel)
    add(out.pinned, std::string("sp ") + (*p.sequence_parallel ? "on" : "off"));
  if (p.framework.recompute_modules != kRecomputeCoreAttn)
    add(out.pinned,
        "selective recompute of " + recompute_modules_name(p.framework.recompute_modules));
  if (p.framework.recompute_layers > 0)
    add(out.pinned, "full recompute of the first " + std::to_string(p.framework.recompute_layers) +
                        " layers per chunk");
  if (p.cp_algorithm) add(out.pinned, std::string("cp ") + cp_algorithm_name(*p.cp_algorithm));
  if (p.rank_order) add(out.pinned, "rank order " + *p.rank_order);
  if (out.pinned.empty()) out.pinned = "nothing";
  if (out.searched.empty()) out.searched = "nothing (fully pinned)";
  return out;
}

}  // namespace ptsim
