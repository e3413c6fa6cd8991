// Rank placement: one pure function from parallel sizes and an order string to process groups, in
// the manner of Megatron-Core's RankGenerator. In the order string the first dimension is
// innermost (varies fastest over global ranks): with the default "tp-cp-ep-dp-pp", tensor-parallel
// peers are adjacent ranks and so share a node.
//
// Worked example (Megatron-Core parallel_state docstring, and tests/workload/rank_layout_test.cc):
// 8 GPUs, order "tp-pp-dp", tp = pp = dp = 2. rank = tp + 2*pp + 4*dp, so the data-parallel groups
// (fixed tp and pp, dp varying) are [[0,4],[1,5],[2,6],[3,7]].
//
// Attention/dense layers use the decoder layout (tp, cp, dp, pp; ep size 1). Experts use the expert
// layout (etp in the tp slot, ep, expert-dp in the dp slot, pp; cp size 1), which spans the same
// ranks: etp * ep * expert_dp = tp * cp * dp. Megatron-Core builds both the same way.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "sim/workload/parallel_config.h"

namespace ptsim {

enum class Dim : std::uint8_t { tp, cp, ep, dp, pp };
inline constexpr std::size_t kDimCount = 5;
const char* dim_name(Dim d);

// Sizes listed innermost first, as the order string gives them.
struct OrderedSizes {
  std::array<Dim, kDimCount> order{};
  std::array<int, kDimCount> size_by_dim{};  // indexed by Dim
};

// Parses an order string such as "tp-cp-ep-dp-pp" (any permutation of any subset of the five
// names; a dimension left out must have size 1 and is appended outermost). `flag` names the source
// of the string in errors.
Result<std::array<Dim, kDimCount>> parse_rank_order(std::string_view order, std::string_view flag,
                                                    const std::array<int, kDimCount>& sizes);

// The pure function: all groups formed by varying `group_dims` while the other coordinates stay
// fixed. Groups are listed in increasing order of their smallest member; members inside a group in
// increasing coordinate order (innermost varying fastest), which is also their ring order.
// The order string's own errors (an unknown or repeated dimension), found before any layout's
// sizes are known: what a flag can be checked for when it is read.
Status check_rank_order_words(std::string_view order, std::string_view flag);

std::vector<std::vector<int>> rank_groups(const OrderedSizes& sizes,
                                          const std::vector<Dim>& group_dims);

// The one group of rank_groups(sizes, group_dims) that holds `rank`, members in the same order,
// without enumerating the others (the planner's bounds ask for one rank's groups per candidate).
std::vector<int> rank_group_of(const OrderedSizes& sizes, const std::vector<Dim>& group_dims,
                               int rank);

// Coordinates of every rank in both layouts, and the groups each rank belongs to.
struct RankCoords {
  int tp = 0, cp = 0, dp = 0, pp = 0;  // decoder layout
  int etp = 0, ep = 0, edp = 0;        // expert layout (same pp)
};

class RankLayout {
 public:
  static Result<RankLayout> make(const ParallelConfig& config);

  int world_size() const { return world_size_; }
  RankCoords coords(int rank) const;
  // Global rank of decoder coordinates.
  int rank_of(int tp, int cp, int dp, int pp) const;

  // Groups of the decoder layout.
  std::vector<std::vector<int>> tp_groups() const;
  std::vector<std::vector<int>> cp_groups() const;
  std::vector<std::vector<int>> dp_groups() const;     // dense data parallel, without cp
  std::vector<std::vector<int>> dp_cp_groups() const;  // gradient reduction of dense parameters
  std::vector<std::vector<int>> pp_groups() const;
  // Groups of the expert layout.
  std::vector<std::vector<int>> etp_groups() const;
  std::vector<std::vector<int>> ep_groups() const;
  std::vector<std::vector<int>> edp_groups() const;  // gradient reduction of expert parameters
  std::vector<std::vector<int>> expert_pp_groups() const;  // equal to pp_groups() when valid
  // Whether expert_pp_groups() equals pp_groups(), from the two layouts' pipeline strides alone: a
  // rank's pipeline group is its rank plus multiples of the stride, so with pp > 1 equal strides
  // give equal groups and unequal ones differ already at rank 0.
  bool pipeline_groups_agree() const;
  // The group of each kind that holds `rank` (rank_group_of).
  std::vector<int> tp_group_of(int rank) const;
  std::vector<int> cp_group_of(int rank) const;
  std::vector<int> dp_cp_group_of(int rank) const;
  std::vector<int> etp_group_of(int rank) const;
  std::vector<int> ep_group_of(int rank) const;
  std::vector<int> edp_group_of(int rank) const;

  const OrderedSizes& decoder_sizes() const { return decoder_; }
  const OrderedSizes& expert_sizes() const { return expert_; }

 private:
  OrderedSizes decoder_;
  OrderedSizes expert_;
  int world_size_ = 1;
};

}  // namespace ptsim
