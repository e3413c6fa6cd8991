// Work division across ranks: every item to exactly one rank, balanced, deterministic; gathering
// without an MPI session is the identity in item order; a broken distribution stops the program.
// The two-rank run under mpirun is the CTest test mpi_points_two_ranks (mpi_points_demo.cc).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "planner/mpi_points.h"

namespace ptsim {
namespace {

TEST(UnitMpiPoints, ItemsGoRoundRobin) {
  // By hand: 10 items over 3 ranks, item i to rank i % 3.
  EXPECT_EQ(my_items(10, 0, 3), (std::vector<std::size_t>{0, 3, 6, 9}));
  EXPECT_EQ(my_items(10, 1, 3), (std::vector<std::size_t>{1, 4, 7}));
  EXPECT_EQ(my_items(10, 2, 3), (std::vector<std::size_t>{2, 5, 8}));
  EXPECT_EQ(my_items(2, 3, 4), (std::vector<std::size_t>{}));
  EXPECT_EQ(my_items(5, 0, 1), (std::vector<std::size_t>{0, 1, 2, 3, 4}));
}

TEST(PropertyMpiPoints, EveryItemBelongsToExactlyOneRankAndLoadsDifferByAtMostOne) {
  for (std::size_t n = 0; n <= 40; ++n) {
    for (int size = 1; size <= 9; ++size) {
      std::vector<int> owners(n, 0);
      std::size_t most = 0, least = n;
      for (int rank = 0; rank < size; ++rank) {
        const auto items = my_items(n, rank, size);
        EXPECT_TRUE(std::is_sorted(items.begin(), items.end()));
        EXPECT_EQ(items, my_items(n, rank, size));  // deterministic
        for (std::size_t i : items) {
          ASSERT_LT(i, n);
          ++owners[i];
        }
        most = std::max(most, items.size());
        least = std::min(least, items.size());
      }
      for (std::size_t i = 0; i < n; ++i)
        EXPECT_EQ(owners[i], 1) << n << " " << size << " " << i;
      EXPECT_LE(most - least, 1u) << n << " " << size;
    }
  }
}

TEST(UnitMpiPoints, GatherWithoutMpiReturnsResultsInItemOrder) {
  EXPECT_EQ(gather_results(3, {{2, "c"}, {0, "a"}, {1, "b"}}),
            (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(gather_results(0, {}), (std::vector<std::string>{}));
  // Results are opaque bytes: NULs and newlines pass through.
  const std::string odd("x\0y\n", 4);
  EXPECT_EQ(gather_results(1, {{0, odd}}), (std::vector<std::string>{odd}));
}

TEST(UnitMpiPoints, BrokenDistributionIsABug) {
  EXPECT_DEATH((void)gather_results(2, {{0, "a"}}), "evaluated by no rank");
  EXPECT_DEATH((void)gather_results(2, {{0, "a"}, {1, "b"}, {1, "b"}}), "delivered twice");
  EXPECT_DEATH((void)gather_results(1, {{5, "a"}}), "out of range");
  EXPECT_DEATH((void)my_items(3, 2, 2), "rank must be in");
}

TEST(UnitMpiPoints, PlainRunIsOneRankWithoutStartingMpi) {
  // The test binary is not started by mpirun, so the session must not initialise MPI.
  if (std::getenv("OMPI_COMM_WORLD_SIZE") || std::getenv("PMIX_RANK") || std::getenv("PMI_RANK")) {
    GTEST_SKIP() << "running under an MPI launcher";
  }
  int argc = 1;
  char name[] = "test_planner_output";
  char* args[] = {name, nullptr};
  char** argv = args;
  MpiSession session(argc, argv);
  EXPECT_EQ(session.rank(), 0);
  EXPECT_EQ(session.size(), 1);
  EXPECT_TRUE(session.launch_status().ok());
  EXPECT_EQ(gather_results(2, {{1, "b"}, {0, "a"}}), (std::vector<std::string>{"a", "b"}));
}

TEST(UnitMpiPoints, LaunchedOnManyRanksWithoutMpiIsAnInputError) {
#ifdef PTSIM_HAVE_MPI
  GTEST_SKIP() << "built with MPI: a launcher's environment would initialise a real MPI runtime";
#else
  // What Open MPI's mpirun puts in the environment of rank 1 of 2.
  ::setenv("OMPI_COMM_WORLD_SIZE", "2", 1);
  ::setenv("OMPI_COMM_WORLD_RANK", "1", 1);
  int argc = 0;
  char** argv = nullptr;
  const MpiSession session(argc, argv);
  ::unsetenv("OMPI_COMM_WORLD_SIZE");
  ::unsetenv("OMPI_COMM_WORLD_RANK");
  EXPECT_EQ(session.size(), 1);
  ASSERT_FALSE(session.launch_status().ok());
  EXPECT_EQ(session.launch_status().error().one_line(),
            "mpirun: started as one of 2 ranks, but this build has no MPI support (install "
            "libopenmpi-dev and rebuild, or run without mpirun)");
#endif
}

}  // namespace
}  // namespace ptsim
