#include "planner/config_space.h"

#include <algorithm>
#include <tuple>

namespace ptsim {

namespace {

std::vector<int> powers_of_two_up_to(long long limit) {
  std::vector<int> out;
  for (long long v = 1; v <= limit; v *= 2)
    out.push_back(static_cast<int>(v));
  return out;
}

std::vector<int> divisors(int n, int limit) {
  std::vector<int> out;
  for (int d = 1; d <= n && d <= limit; ++d) {
    if (n % d == 0) out.push_back(d);
  }
  return out;
}

template <class T>
std::vector<T> pinned_or(const std::optional<T>& pin, std::vector<T> domain) {
  if (pin) return {*pin};
  return domain;
}

struct ScheduleChoice {
  Schedule schedule;
  int vpp;
};

std::vector<ScheduleChoice> schedule_choices(const ModelSpec& m, int pp, const SearchPins& pins) {
  std::vector<ScheduleChoice> out;
  const int max_vpp = std::max(2, m.layers / std::max(pp, 1));
  auto add = [&](Schedule s) {
    if (s != Schedule::interleaved) {
      out.push_back({s, pins.vpp.value_or(1)});
    } else if (pins.vpp) {
      out.push_back({s, *pins.vpp});
    } else {
      for (int v = 2; v <= max_vpp; ++v)
        out.push_back({s, v});
    }
  };
  if (!pins.schedules.empty()) {
    // Without a pipeline every schedule runs the same: one stage of a pinned set that allows
    // 1f1b is 1f1b alone, as in the open search. Otherwise the rules judge each one, listed in
    // enum order whatever the pin's order.
    if (pp == 1 && pins.allows(Schedule::one_f_one_b)) {
      add(Schedule::one_f_one_b);
      return out;
    }
    for (Schedule s : kSchedules) {
      if (pins.allows(s)) add(s);
    }
    return out;
  }
  if (pins.vpp && *pins.vpp > 1) {
    add(Schedule::interleaved);
    return out;
  }
  out.push_back({Schedule::one_f_one_b, 1});
  if (pp == 1) return out;
  out.push_back({Schedule::zb_h1, 1});
  if (!pins.vpp) add(Schedule::interleaved);
  if (m.is_moe()) out.push_back({Schedule::dualpipe, 1});
  return out;
}

}  // namespace

SpaceDomains space_domains(const ModelSpec& model, const TrainingConfig& training,
                           const ClusterProfile& cluster, int gpus, const SearchPins& pins) {
  (void)model;
  SpaceDomains d;
  const long long tp_limit =
      std::min<long long>(std::max(cluster.nvlink_domain_gpus, cluster.gpus_per_node), gpus);
  d.tp = pinned_or(pins.tp, powers_of_two_up_to(tp_limit));
  std::vector<int> cp;
  for (int c : powers_of_two_up_to(gpus)) {
    if (c == 1 || training.seq_len % (2 * c) == 0) cp.push_back(c);
  }
  d.cp = pinned_or(pins.cp, cp);
  d.zero = pinned_or(pins.zero, std::vector<int>{0, 1, 2, 3});
  d.recompute =
      pinned_or(pins.recompute,
                std::vector<Recompute>{Recompute::none, Recompute::selective, Recompute::full});
  return d;
}

std::int64_t enumerate_configs(const ModelSpec& model, const TrainingConfig& training,
                               const ClusterProfile& cluster, int gpus, const SearchPins& pins,
                               const std::function<void(const ParallelConfig&)>& visit) {
  const SpaceDomains d = space_domains(model, training, cluster, gpus, pins);
  std::int64_t count = 0;
  ParallelConfig p = pins.framework;
  p.cp_algorithm = pins.cp_algorithm.value_or(CpAlgorithm::ring);
  p.rank_order = pins.rank_order.value_or(kDefaultRankOrder);
  for (int tp : d.tp) {
    p.tp = tp;
    for (int cp : d.cp) {
      // Unpinned context parallelism only within the GPUs tensor parallelism leaves.
      if (!pins.cp && cp > 1 && static_cast<long long>(tp) * cp > gpus) continue;
      p.cp = cp;
      const int rest = tp * cp > 0 && gpus % (tp * cp) == 0 ? gpus / (tp * cp) : 0;
      const std::vector<int> pp_domain =
          pinned_or(pins.pp, rest > 0 ? divisors(rest, std::max(1, model.layers)) : std::vector{1});
      for (int pp : pp_domain) {
        p.pp = pp;
        if (pins.dp) {
          p.dp = *pins.dp;
        } else {
          const int mp = tp * cp * pp;
          p.dp = mp > 0 && gpus % mp == 0 ? gpus / mp : std::max(1, gpus / std::max(mp, 1));
        }
        std::vector<int> ep_domain{1};
        std::vector<int> etp_domain{1};
        if (model.is_moe()) {
          ep_domain = divisors(model.moe.num_experts, model.moe.num_experts);
          etp_domain = tp > 1 ? std::vector<int>{1, tp} : std::vector<int>{1};
        }
        ep_domain = pinned_or(pins.ep, ep_domain);
        etp_domain = pinned_or(pins.etp, etp_domain);
        const long long per_replica = training.global_batch / std::max(p.dp, 1);
        const std::vector<int> mb_domain =
            pinned_or(pins.micro_batch, powers_of_two_up_to(std::max(1LL, per_replica)));
        const auto schedules = schedule_choices(model, pp, pins);
        const bool sp = pins.sequence_parallel.value_or(tp > 1);
        p.sequence_parallel = sp;
        for (int ep : ep_domain) {
          p.ep = ep;
          for (int etp : etp_domain) {
            p.etp = etp;
            for (int mb : mb_domain) {
              p.micro_batch = mb;
              for (const ScheduleChoice& s : schedules) {
                p.schedule = s.schedule;
                p.vpp = s.vpp;
                for (Recompute r : d.recompute) {
                  p.recompute = r;
                  // Pinned partial full recomputation applies to the full candidates only.
                  p.recompute_layers = r == Recompute::full ? pins.framework.recompute_layers : 0;
                  for (int z : d.zero) {
                    p.zero_stage = z;
                    ++count;
                    visit(p);
                  }
                }
              }
            }
          }
        }
      }
    }
  }
  return count;
}

namespace {

auto config_tuple(const ParallelConfig& p) {
  return std::tie(p.tp, p.pp, p.dp, p.cp, p.ep, p.etp, p.vpp, p.micro_batch, p.sequence_parallel,
                  p.zero_stage, p.recompute, p.recompute_layers, p.schedule, p.cp_algorithm,
                  p.rank_order, p.overlap_grad_reduce, p.tp_comm_overlap, p.ep_a2a_overlap,
                  p.overlap_p2p, p.fp32_grad_copy, p.serial_p2p, p.dp_bucket_bytes);
}

const char* recompute_short(Recompute r) {
  switch (r) {
    case Recompute::none:
      return "none";
    case Recompute::selective:
      return "sel";
    case Recompute::full:
      return "full";
  }
  return "?";
}

}  // namespace

bool config_less(const ParallelConfig& a, const ParallelConfig& b) {
  return config_tuple(a) < config_tuple(b);
}

std::string config_key(const ParallelConfig& p) {
  std::string s;
  auto n = [&s](const char* name, int v) {
    s.append(name);
    s.append(std::to_string(v));
    s.push_back(' ');
  };
  n("tp", p.tp);
  n("pp", p.pp);
  n("dp", p.dp);
  n("cp", p.cp);
  n("ep", p.ep);
  n("etp", p.etp);
  n("vpp", p.vpp);
  n("mb", p.micro_batch);
  n("sp", p.sequence_parallel ? 1 : 0);
  n("z", p.zero_stage);
  n("rm", p.recompute_modules);
  n("rl", p.recompute_layers);
  for (const char* word : {recompute_name(p.recompute), schedule_name(p.schedule),
                           cp_algorithm_name(p.cp_algorithm)}) {
    s.append(word);
    s.push_back(' ');
  }
  s.append(p.rank_order);
  return s;
}

std::string layout_label(const ParallelConfig& p, bool moe) {
  std::string s;
  auto n = [&s](const char* name, int v) {
    if (!s.empty()) s.push_back(' ');
    s.append(name);
    s.append(std::to_string(v));
  };
  auto w = [&s](const std::string& word) {
    s.push_back(' ');
    s.append(word);
  };
  n("tp", p.tp);
  n("pp", p.pp);
  if (p.vpp > 1) {
    s.push_back('x');
    s.append(std::to_string(p.vpp));
  }
  n("dp", p.dp);
  if (p.cp > 1) {
    n("cp", p.cp);
    if (p.cp_algorithm == CpAlgorithm::ulysses) s.push_back('u');
  }
  if (moe) {
    n("ep", p.ep);
    if (p.etp > 1) n("etp", p.etp);
  }
  n("mb", p.micro_batch);
  if (p.tp > 1 && !p.sequence_parallel) w("nosp");
  n("z", p.zero_stage);
  w(p.recomputes_some_layers() ? "full" + std::to_string(p.recompute_layers)
                               : std::string(recompute_short(p.recompute)));
  if (p.pp > 1) w(schedule_name(p.schedule));
  if (p.rank_order != kDefaultRankOrder) w(p.rank_order);
  return s;
}

}  // namespace ptsim
