#include "sim/workload/rank_layout.h"

#include <algorithm>

#include "common/check.h"

namespace ptsim {

const char* dim_name(Dim d) {
  switch (d) {
    case Dim::tp:
      return "tp";
    case Dim::cp:
      return "cp";
    case Dim::ep:
      return "ep";
    case Dim::dp:
      return "dp";
    case Dim::pp:
      return "pp";
  }
  return "?";
}

namespace {

std::size_t idx(Dim d) {
  return static_cast<std::size_t>(d);
}

// Strides of each dimension in the global rank for the given order (innermost first).
std::array<int, kDimCount> strides_of(const OrderedSizes& s) {
  std::array<int, kDimCount> stride{};
  int acc = 1;
  for (Dim d : s.order) {
    stride[idx(d)] = acc;
    acc *= s.size_by_dim[idx(d)];
  }
  return stride;
}

int world_of(const OrderedSizes& s) {
  int w = 1;
  for (int v : s.size_by_dim)
    w *= v;
  return w;
}

}  // namespace

Result<std::array<Dim, kDimCount>> parse_rank_order(std::string_view order, std::string_view flag,
                                                    const std::array<int, kDimCount>& sizes) {
  std::array<Dim, kDimCount> out{};
  std::array<bool, kDimCount> seen{};
  std::size_t n = 0;
  std::size_t start = 0;
  const std::string source(flag);
  while (start <= order.size()) {
    const std::size_t end = std::min(order.find('-', start), order.size());
    const std::string_view name = order.substr(start, end - start);
    bool found = false;
    for (std::size_t d = 0; d < kDimCount; ++d) {
      if (name == dim_name(static_cast<Dim>(d))) {
        if (seen[d]) {
          return InputError{source, "",
                            "dimension '" + std::string(name) + "' appears twice in '" +
                                std::string(order) + "'"};
        }
        seen[d] = true;
        out[n++] = static_cast<Dim>(d);
        found = true;
      }
    }
    if (!found) {
      return InputError{source, "",
                        "unknown dimension '" + std::string(name) + "' in rank order '" +
                            std::string(order) + "' (use tp, cp, ep, dp, pp joined by '-')"};
    }
    start = end + 1;
  }
  for (std::size_t d = 0; d < kDimCount; ++d) {
    if (seen[d]) continue;
    if (sizes[d] != 1) {
      return InputError{source, "",
                        "rank order '" + std::string(order) + "' leaves out " +
                            dim_name(static_cast<Dim>(d)) + ", whose size is " +
                            std::to_string(sizes[d])};
    }
    out[n++] = static_cast<Dim>(d);
  }
  return out;
}

Status check_rank_order_words(std::string_view order, std::string_view flag) {
  std::array<int, kDimCount> ones{};
  ones.fill(1);  // every dimension may then be left out: only the words can be wrong
  auto parsed = parse_rank_order(order, flag, ones);
  if (!parsed) return parsed.error();
  return ok_status();
}

std::vector<std::vector<int>> rank_groups(const OrderedSizes& sizes,
                                          const std::vector<Dim>& group_dims) {
  const int world = world_of(sizes);
  std::vector<std::vector<int>> groups;
  std::vector<char> assigned(static_cast<std::size_t>(world), 0);
  // Each smallest unassigned rank opens the next group.
  for (int base = 0; base < world; ++base) {
    if (assigned[static_cast<std::size_t>(base)]) continue;
    groups.push_back(rank_group_of(sizes, group_dims, base));
    for (int member : groups.back())
      assigned[static_cast<std::size_t>(member)] = 1;
  }
  return groups;
}

std::vector<int> rank_group_of(const OrderedSizes& sizes, const std::vector<Dim>& group_dims,
                               int rank) {
  PTSIM_CHECK(rank >= 0 && rank < world_of(sizes), "rank_group_of: rank out of range");
  const auto stride = strides_of(sizes);
  std::array<bool, kDimCount> in_group{};
  int group_size = 1;
  for (Dim d : group_dims) {
    PTSIM_CHECK(!in_group[idx(d)], "rank_group_of: dimension listed twice");
    in_group[idx(d)] = true;
    group_size *= sizes.size_by_dim[idx(d)];
  }
  // The group's first member: `rank` with coordinate 0 in every group dimension.
  int base = rank;
  for (Dim d : group_dims) {
    const int size = sizes.size_by_dim[idx(d)];
    base -= (rank / stride[idx(d)]) % size * stride[idx(d)];
  }
  std::vector<int> members;
  members.reserve(static_cast<std::size_t>(group_size));
  for (int i = 0; i < group_size; ++i) {
    int rest = i;
    int member = base;
    for (Dim d : sizes.order) {
      if (!in_group[idx(d)]) continue;
      const int size = sizes.size_by_dim[idx(d)];
      member += (rest % size) * stride[idx(d)];
      rest /= size;
    }
    members.push_back(member);
  }
  return members;
}

Result<RankLayout> RankLayout::make(const ParallelConfig& c) {
  RankLayout layout;
  layout.decoder_.size_by_dim = {c.tp, c.cp, 1, c.dp, c.pp};
  const int dense_ranks = c.tp * c.cp * c.dp;
  if (c.etp < 1 || c.ep < 1 || dense_ranks % (c.etp * c.ep) != 0) {
    return InputError{"--ep", "",
                      "etp x ep = " + std::to_string(c.etp * c.ep) +
                          " must divide tp x cp x dp = " + std::to_string(dense_ranks)};
  }
  layout.expert_.size_by_dim = {c.etp, 1, c.ep, dense_ranks / (c.etp * c.ep), c.pp};
  auto decoder_order = parse_rank_order(c.rank_order, "--rank-order", layout.decoder_.size_by_dim);
  if (!decoder_order) return decoder_order.error();
  auto expert_order = parse_rank_order(c.rank_order, "--rank-order", layout.expert_.size_by_dim);
  if (!expert_order) return expert_order.error();
  layout.decoder_.order = *decoder_order;
  layout.expert_.order = *expert_order;
  layout.world_size_ = world_of(layout.decoder_);
  return layout;
}

RankCoords RankLayout::coords(int rank) const {
  PTSIM_CHECK(rank >= 0 && rank < world_size_, "RankLayout::coords: rank out of range");
  auto coord_in = [rank](const OrderedSizes& s, Dim want) {
    int rest = rank;
    for (Dim d : s.order) {
      const int size = s.size_by_dim[idx(d)];
      if (d == want) return rest % size;
      rest /= size;
    }
    return 0;
  };
  RankCoords c;
  c.tp = coord_in(decoder_, Dim::tp);
  c.cp = coord_in(decoder_, Dim::cp);
  c.dp = coord_in(decoder_, Dim::dp);
  c.pp = coord_in(decoder_, Dim::pp);
  c.etp = coord_in(expert_, Dim::tp);
  c.ep = coord_in(expert_, Dim::ep);
  c.edp = coord_in(expert_, Dim::dp);
  return c;
}

int RankLayout::rank_of(int tp, int cp, int dp, int pp) const {
  const auto stride = strides_of(decoder_);
  return tp * stride[idx(Dim::tp)] + cp * stride[idx(Dim::cp)] + dp * stride[idx(Dim::dp)] +
         pp * stride[idx(Dim::pp)];
}

std::vector<std::vector<int>> RankLayout::tp_groups() const {
  return rank_groups(decoder_, {Dim::tp});
}
std::vector<std::vector<int>> RankLayout::cp_groups() const {
  return rank_groups(decoder_, {Dim::cp});
}
std::vector<std::vector<int>> RankLayout::dp_groups() const {
  return rank_groups(decoder_, {Dim::dp});
}
std::vector<std::vector<int>> RankLayout::dp_cp_groups() const {
  return rank_groups(decoder_, {Dim::cp, Dim::dp});
}
std::vector<std::vector<int>> RankLayout::pp_groups() const {
  return rank_groups(decoder_, {Dim::pp});
}
std::vector<std::vector<int>> RankLayout::etp_groups() const {
  return rank_groups(expert_, {Dim::tp});
}
std::vector<std::vector<int>> RankLayout::ep_groups() const {
  return rank_groups(expert_, {Dim::ep});
}
std::vector<std::vector<int>> RankLayout::edp_groups() const {
  return rank_groups(expert_, {Dim::dp});
}
std::vector<std::vector<int>> RankLayout::expert_pp_groups() const {
  return rank_groups(expert_, {Dim::pp});
}

bool RankLayout::pipeline_groups_agree() const {
  // With one stage every pipeline group is a single rank, whatever the strides.
  return decoder_.size_by_dim[idx(Dim::pp)] == 1 ||
         strides_of(decoder_)[idx(Dim::pp)] == strides_of(expert_)[idx(Dim::pp)];
}

std::vector<int> RankLayout::tp_group_of(int rank) const {
  return rank_group_of(decoder_, {Dim::tp}, rank);
}
std::vector<int> RankLayout::cp_group_of(int rank) const {
  return rank_group_of(decoder_, {Dim::cp}, rank);
}
std::vector<int> RankLayout::dp_cp_group_of(int rank) const {
  return rank_group_of(decoder_, {Dim::cp, Dim::dp}, rank);
}
std::vector<int> RankLayout::etp_group_of(int rank) const {
  return rank_group_of(expert_, {Dim::tp}, rank);
}
std::vector<int> RankLayout::ep_group_of(int rank) const {
  return rank_group_of(expert_, {Dim::ep}, rank);
}
std::vector<int> RankLayout::edp_group_of(int rank) const {
  return rank_group_of(expert_, {Dim::dp}, rank);
}

}  // namespace ptsim
