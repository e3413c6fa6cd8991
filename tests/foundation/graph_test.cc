#include "sim/graph/graph.h"

#include <gtest/gtest.h>

namespace ptsim {
namespace {

TEST(UnitGraph, InternsKernelsAndFormatsLabels) {
  Graph g(4);
  const GraphRank r0 = g.add_rank(0, 1, "a");
  const GraphRank r1 = g.add_rank(3, 1, "b");
  const auto s = g.add_stream("compute");
  const auto label = g.intern_label("L{0}.fwd mb{1}");
  const GemmKernel k{128, 256, 512, 1, Dtype::bf16};
  const OpId a = g.add_compute(r0, s, Category::compute, k, {label, 2, 7}, {});
  const OpId b = g.add_compute(r1, s, Category::compute, k, {label, 3, 1}, std::vector<OpId>{a});
  EXPECT_EQ(g.kernels().size(), 1u);
  EXPECT_EQ(g.op(a).payload, g.op(b).payload);
  EXPECT_EQ(g.format_label(g.op(a)), "L2.fwd mb7");
  EXPECT_EQ(g.deps(g.op(b)).size(), 1u);
  EXPECT_EQ(g.graph_rank_of(3), 1);
  EXPECT_EQ(g.graph_rank_of(2), -1);
  EXPECT_FALSE(g.reduced());
}

}  // namespace
}  // namespace ptsim
