// Which links the bandwidth solver may leave out (sim/network/link_dominance.h), on hand-made
// phase sets whose answer follows from the definition: same phases, same weights, then the
// larger capacity (or, at equal capacity, the higher id) is implied by the other.
#include "sim/network/link_dominance.h"

#include <gtest/gtest.h>

#include <span>
#include <vector>

namespace ptsim {
namespace {

using Uses = std::vector<LinkUse>;

std::vector<char> run(const std::vector<Uses>& phases, const std::vector<double>& capacity,
                      std::vector<char> eligible = {}) {
  if (eligible.empty()) eligible.assign(capacity.size(), 1);
  std::vector<std::span<const LinkUse>> spans(phases.begin(), phases.end());
  return dominated_links(spans, capacity, eligible);
}

TEST(UnitLinkDominance, SamePhasesAndWeightsKeepOnlyTheSmallestCapacity) {
  // A ring phase crossing links 0..3 once each; link 2 is the slowest.
  const std::vector<Uses> phases = {
      {{LinkId{0}, 1}, {LinkId{1}, 1}, {LinkId{2}, 1}, {LinkId{3}, 1}}};
  const auto d = run(phases, {450e9, 450e9, 50e9, 450e9});
  EXPECT_EQ(d, (std::vector<char>{1, 1, 0, 1}));
}

TEST(UnitLinkDominance, EqualCapacitiesKeepTheLowestId) {
  const std::vector<Uses> phases = {{{LinkId{0}, 1}, {LinkId{1}, 1}},
                                    {{LinkId{0}, 2}, {LinkId{1}, 2}}};
  EXPECT_EQ(run(phases, {10, 10}), (std::vector<char>{0, 1}));
}

TEST(UnitLinkDominance, ADifferentWeightOrAnExtraPhaseKeepsBothLinks) {
  // Link 1 carries phase 0 with weight 2 where link 0 has weight 1: with a second flow on only
  // one of them the two constraints bind at different levels, so neither implies the other.
  const std::vector<Uses> weights = {{{LinkId{0}, 1}, {LinkId{1}, 2}}};
  EXPECT_EQ(run(weights, {10, 20}), (std::vector<char>{0, 0}));
  // Link 1 is also crossed by phase 1: it can be busier than link 0 although faster.
  const std::vector<Uses> extra = {{{LinkId{0}, 1}, {LinkId{1}, 1}}, {{LinkId{1}, 1}}};
  EXPECT_EQ(run(extra, {10, 20}), (std::vector<char>{0, 0}));
}

TEST(UnitLinkDominance, IneligibleAndUnusedLinksAreNeverDropped) {
  // Link 1 is a fat pipe (not eligible): it bounds each flow alone and must stay. Link 3 is
  // crossed by nothing.
  const std::vector<Uses> phases = {{{LinkId{0}, 1}, {LinkId{1}, 1}, {LinkId{2}, 1}}};
  EXPECT_EQ(run(phases, {10, 20, 30, 40}, {1, 0, 1, 1}), (std::vector<char>{0, 0, 1, 0}));
}

TEST(UnitLinkDominance, ClassesAreFoundWhateverTheLinkOrder) {
  // Two classes interleaved in id order: {0, 2, 4} crossed by phase 0, {1, 3} by phases 0 and 1.
  const std::vector<Uses> phases = {
      {{LinkId{0}, 1}, {LinkId{1}, 1}, {LinkId{2}, 1}, {LinkId{3}, 1}, {LinkId{4}, 1}},
      {{LinkId{1}, 0.5}, {LinkId{3}, 0.5}}};
  EXPECT_EQ(run(phases, {30, 20, 10, 20, 10}), (std::vector<char>{1, 0, 0, 1, 1}));
}

}  // namespace
}  // namespace ptsim
