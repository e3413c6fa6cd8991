#include "sim/network/collective_flows.h"

#include <algorithm>
#include <map>

#include "common/check.h"

namespace ptsim {

void merge_link_uses(std::vector<LinkUse>& uses) {
  std::sort(uses.begin(), uses.end(),
            [](const LinkUse& a, const LinkUse& b) { return a.link.value < b.link.value; });
  std::size_t out = 0;
  for (std::size_t i = 0; i < uses.size(); ++i) {
    if (out > 0 && uses[out - 1].link.value == uses[i].link.value) {
      uses[out - 1].weight += uses[i].weight;
    } else {
      uses[out++] = uses[i];
    }
  }
  uses.resize(out);
}

namespace {

// Adds a replica's uses to the representative's (merged, sorted by link) on the links those
// contain; the others are dropped (collective_flows.h: by symmetry they carry the same load).
// A lookup per use rather than merging and sorting every replica's uses: a 128-way data-parallel
// group of a 16,384-GPU reduced graph has 127 replicas and about 100k uses per phase.
void add_replica_uses(std::vector<LinkUse>& own, std::span<const LinkUse> replica) {
  for (const LinkUse& u : replica) {
    const auto it =
        std::lower_bound(own.begin(), own.end(), u.link.value,
                         [](const LinkUse& o, std::uint32_t link) { return o.link.value < link; });
    if (it != own.end() && it->link.value == u.link.value) it->weight += u.weight;
  }
}

}  // namespace

GroupShape CollectiveFlows::shape(std::span<const int> members) const {
  GroupShape g;
  g.ranks = static_cast<int>(members.size());
  std::map<int, int> per_domain;
  for (int m : members)
    ++per_domain[topology_.domain_of(m)];
  g.domains = static_cast<int>(per_domain.size());
  g.ranks_per_domain = 0;
  for (const auto& [d, count] : per_domain)
    g.ranks_per_domain = std::max(g.ranks_per_domain, count);
  return g;
}

std::vector<int> CollectiveFlows::ring_order(std::span<const int> members) const {
  // NCCL builds rings along the topology: all ranks of a domain consecutively.
  std::vector<int> ring(members.begin(), members.end());
  std::stable_sort(ring.begin(), ring.end(), [this](int a, int b) {
    return topology_.domain_of(a) < topology_.domain_of(b);
  });
  return ring;
}

void CollectiveFlows::ring_uses(std::span<const int> ring, std::vector<LinkUse>& out) const {
  const std::size_t n = ring.size();
  if (n < 2) return;
  // Members of each domain in ring order, to spread domain-crossing hops over their rails.
  std::map<int, std::vector<int>> by_domain;
  for (int m : ring)
    by_domain[topology_.domain_of(m)].push_back(m);
  for (std::size_t i = 0; i < n; ++i) {
    const int a = ring[i];
    const int b = ring[(i + 1) % n];
    if (topology_.same_domain(a, b)) {
      append_link_uses(topology_.route(a, b), 1.0, out);
      continue;
    }
    const auto& from = by_domain[topology_.domain_of(a)];
    const auto& to = by_domain[topology_.domain_of(b)];
    const std::size_t rails = std::min(from.size(), to.size());
    for (std::size_t j = 0; j < rails; ++j) {
      append_link_uses(topology_.route(from[j], to[j]), 1.0 / static_cast<double>(rails), out);
    }
  }
}

void CollectiveFlows::phase_uses(CollectiveKind kind, CollectiveAlgorithm algo, int phase,
                                 std::span<const int> members, std::vector<LinkUse>& out) const {
  const std::vector<int> ring = ring_order(members);
  switch (algo) {
    case CollectiveAlgorithm::ring:
    case CollectiveAlgorithm::tree:
      ring_uses(ring, out);
      return;
    case CollectiveAlgorithm::direct:
      // Each member sends to its successor in group order (the caller's ring order).
      for (std::size_t i = 0; i < members.size(); ++i) {
        append_link_uses(topology_.route(members[i], members[(i + 1) % members.size()]), 1.0, out);
      }
      return;
    case CollectiveAlgorithm::nvls:
      // Every GPU sends its buffer up to the NVSwitch and receives the reduced one down.
      for (std::size_t i = 0; i < members.size(); ++i) {
        const int a = members[i];
        const int b = members[(i + 1) % members.size()];
        const Route up = topology_.route(a, b);
        const Route down = topology_.route(b, a);
        out.push_back(LinkUse{up.links().front(), 1.0});
        out.push_back(LinkUse{down.links().back(), 1.0});
      }
      return;
    case CollectiveAlgorithm::hierarchical: {
      std::map<int, std::vector<int>> by_domain;
      for (int m : ring)
        by_domain[topology_.domain_of(m)].push_back(m);
      if (phase == 1) {
        // All-reduce across domains, one ring per rail (the j-th GPU of every domain).
        std::size_t rails = SIZE_MAX;
        for (const auto& [d, local] : by_domain)
          rails = std::min(rails, local.size());
        for (std::size_t j = 0; j < rails; ++j) {
          std::vector<int> rail;
          for (const auto& [d, local] : by_domain)
            rail.push_back(local[j]);
          ring_uses(rail, out);
        }
      } else {
        for (const auto& [d, local] : by_domain)
          ring_uses(local, out);
      }
      return;
    }
    case CollectiveAlgorithm::pairwise:
      for (int a : members) {
        for (int b : members) {
          if (a != b) append_link_uses(topology_.route(a, b), 1.0, out);
        }
      }
      return;
  }
  (void)kind;
}

CollectivePlan CollectiveFlows::plan(CollectiveKind kind, std::span<const int> members,
                                     std::span<const std::vector<int>> replicas, double bytes,
                                     DomainDedup dedup, double rate_cap_bytes_per_s) const {
  CollectivePlan plan;
  const int n = static_cast<int>(members.size());
  if (n < 2 || bytes <= 0) return plan;
  const GroupShape g = shape(members);
  if (kind == CollectiveKind::all_to_all && dedup.copies > 0 && g.domains > 1)
    return plan_dedup(members, replicas, bytes, dedup);
  plan.algorithm = cost_.choose(kind, g, bytes);
  const double f = static_cast<double>(n - 1) / n;
  auto add_phase = [&](int phase, double hop_bytes, double efficiency, double latency_s) {
    FlowPhase fp;
    phase_uses(kind, plan.algorithm, phase, members, fp.uses);
    merge_link_uses(fp.uses);
    std::vector<LinkUse> replica_uses;
    for (const auto& r : replicas) {
      replica_uses.clear();
      phase_uses(kind, plan.algorithm, phase, r, replica_uses);
      add_replica_uses(fp.uses, replica_uses);
    }
    fp.bytes = hop_bytes / efficiency;
    fp.latency_s = latency_s;
    // Progress bytes are hop bytes / efficiency, so a cap C on hop bytes per second bounds
    // progress at C / efficiency.
    if (rate_cap_bytes_per_s > 0) fp.rate_bound_bytes_per_s = rate_cap_bytes_per_s / efficiency;
    plan.phases.push_back(std::move(fp));
  };
  const CollectiveCostModel::Cost c = cost_.cost(kind, plan.algorithm, g, bytes);
  switch (plan.algorithm) {
    case CollectiveAlgorithm::ring:
    case CollectiveAlgorithm::tree: {
      const double factor = kind == CollectiveKind::all_reduce  ? 2 * f
                            : kind == CollectiveKind::broadcast ? 1.0
                                                                : f;
      add_phase(0, factor * bytes, c.efficiency, c.latency_s);
      break;
    }
    case CollectiveAlgorithm::nvls:
      add_phase(0, bytes, c.efficiency, c.latency_s);
      break;
    case CollectiveAlgorithm::hierarchical: {
      const int gpd = g.ranks_per_domain;
      const double fin = static_cast<double>(gpd - 1) / gpd;
      const double fout = static_cast<double>(g.domains - 1) / g.domains;
      const auto& cl = cost_.cluster();
      const auto intra = cost_.ring_phase_cost(gpd, 1, 1, fin * bytes,
                                               cl.nvlink_bandwidth_bytes_per_s, bytes, true);
      const double inter_hop = 2 * fout * bytes / gpd;
      const auto inter = cost_.ring_phase_cost(g.domains, g.domains, 2, inter_hop,
                                               cl.nic_bandwidth_bytes_per_s, bytes, true);
      add_phase(0, fin * bytes, intra.efficiency, intra.latency_s);
      add_phase(1, inter_hop, inter.efficiency, inter.latency_s);
      add_phase(2, fin * bytes, intra.efficiency, intra.latency_s);
      break;
    }
    case CollectiveAlgorithm::pairwise:
      // Progress unit: the bytes of one (sender, receiver) pair.
      add_phase(0, bytes / n, c.efficiency, c.latency_s);
      break;
    case CollectiveAlgorithm::direct:
      add_phase(0, bytes, c.efficiency, c.latency_s);
      break;
  }
  return plan;
}

void CollectiveFlows::dedup_inter_uses(std::span<const int> members, DomainDedup dedup,
                                       std::vector<LinkUse>& out) const {
  std::map<int, std::vector<int>> by_domain;
  for (int m : members)
    by_domain[topology_.domain_of(m)].push_back(m);
  const double slots_per_member = static_cast<double>(dedup.slots) / members.size();
  for (const auto& [da, local] : by_domain) {
    for (std::size_t i = 0; i < local.size(); ++i) {
      for (const auto& [db, remote] : by_domain) {
        if (db == da) continue;
        const double hit = domain_hit_probability(dedup, slots_per_member * remote.size());
        append_link_uses(topology_.route(local[i], remote[i % remote.size()]), hit, out);
      }
    }
  }
}

void CollectiveFlows::dedup_intra_uses(std::span<const int> members,
                                       std::vector<LinkUse>& out) const {
  std::map<int, std::vector<int>> by_domain;
  for (int m : members)
    by_domain[topology_.domain_of(m)].push_back(m);
  for (const auto& [d, local] : by_domain) {
    for (int a : local) {
      for (int b : local) {
        if (a != b) append_link_uses(topology_.route(a, b), 1.0, out);
      }
    }
  }
}

CollectivePlan CollectiveFlows::plan_dedup(std::span<const int> members,
                                           std::span<const std::vector<int>> replicas, double bytes,
                                           DomainDedup dedup) const {
  CollectivePlan plan;
  plan.algorithm = CollectiveAlgorithm::pairwise;
  const GroupShape g = shape(members);
  // The uses of one part for the representative group, with the replicas' load on its links.
  auto part_uses = [&](auto uses_of) {
    std::vector<LinkUse> own;
    uses_of(members, own);
    merge_link_uses(own);
    std::vector<LinkUse> replica_uses;
    for (const auto& r : replicas) {
      replica_uses.clear();
      uses_of(r, replica_uses);
      add_replica_uses(own, replica_uses);
    }
    return own;
  };
  // Across domains: one item (bytes / copies per member) to each remote domain hit, over the
  // rails; the link weights carry the hit probabilities. Latency and efficiency of a pairwise
  // exchange among one member per domain.
  const GroupShape across{g.domains, g.domains, 1};
  const double item_bytes = bytes / dedup.copies;
  const auto inter = cost_.cost(CollectiveKind::all_to_all, CollectiveAlgorithm::pairwise, across,
                                item_bytes * (g.domains - 1));
  const double inter_progress = item_bytes / inter.efficiency;
  // Inside each domain: pairwise over NVLink, the bytes of one (sender, receiver) pair each.
  const GroupShape inside{g.ranks_per_domain, 1, g.ranks_per_domain};
  const auto intra =
      cost_.cost(CollectiveKind::all_to_all, CollectiveAlgorithm::pairwise, inside, bytes);
  const double intra_progress = bytes / g.ranks_per_domain / intra.efficiency;
  // One flow for both: DeepEP forwards each token over NVLink as soon as it arrives over the
  // network, so the two domains' transfers overlap (DeepSeek-V3 report, arXiv:2412.19437, section
  // 3.2.2) and the slower one sets the time. Its progress unit is the inter-domain item, so the
  // NVLink uses are weighted by the intra-domain bytes per item. The first chunk crosses both, so
  // both latencies are paid.
  FlowPhase fp;
  fp.uses = part_uses(
      [&](std::span<const int> m, std::vector<LinkUse>& out) { dedup_inter_uses(m, dedup, out); });
  std::vector<LinkUse> nvlink = part_uses(
      [&](std::span<const int> m, std::vector<LinkUse>& out) { dedup_intra_uses(m, out); });
  const double scale = intra_progress / inter_progress;
  for (LinkUse& u : nvlink) {
    u.weight *= scale;
    fp.uses.push_back(u);
  }
  merge_link_uses(fp.uses);
  fp.bytes = inter_progress;
  fp.latency_s = inter.latency_s + intra.latency_s;
  plan.phases.push_back(std::move(fp));
  return plan;
}

CollectivePlan CollectiveFlows::plan_transfer(int src, int dst,
                                              std::span<const std::pair<int, int>> replicas,
                                              double bytes) const {
  CollectivePlan plan;
  plan.algorithm = CollectiveAlgorithm::direct;
  if (bytes <= 0 || src == dst) return plan;
  FlowPhase fp;
  const Route route = topology_.route(src, dst);
  append_link_uses(route, 1.0, fp.uses);
  merge_link_uses(fp.uses);
  std::vector<LinkUse> replica_uses;
  for (const auto& [a, b] : replicas) {
    replica_uses.clear();
    append_link_uses(topology_.route(a, b), 1.0, replica_uses);
    add_replica_uses(fp.uses, replica_uses);
  }
  const bool crosses = !topology_.same_domain(src, dst);
  const auto c = cost_.p2p_cost(crosses, bytes);
  fp.bytes = bytes / c.efficiency;
  fp.latency_s = c.latency_s + route.latency_s();
  plan.phases.push_back(std::move(fp));
  return plan;
}

}  // namespace ptsim
