// A study in miniature for the two-rank test: evaluates N independent items (the square of each
// index), divided among the ranks with my_items and gathered on rank 0 with gather_results, then
// prints them from rank 0. Run alone and under `mpirun -np 2`, its stdout must be byte-identical
// (tests/planner_output/mpi_compare.cmake). stderr says how the work was divided.
//
// Usage: mpi_points_demo [N]   (default 37)
#include <charconv>
#include <cstdio>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "planner/mpi_points.h"

int main(int argc, char** argv) {
  ptsim::MpiSession mpi(argc, argv);
  if (const ptsim::Status status = mpi.launch_status(); !status.ok()) {
    std::fprintf(stderr, "%s\n", status.error().one_line().c_str());
    return 2;
  }
  std::size_t n = 37;
  if (argc > 1) {
    const std::string_view arg(argv[1]);
    const auto [end, ec] = std::from_chars(arg.data(), arg.data() + arg.size(), n);
    if (ec != std::errc() || end != arg.data() + arg.size()) {
      std::fprintf(stderr, "mpi_points_demo: N: not a count: %s\n", argv[1]);
      return 2;
    }
  }
  std::vector<std::pair<std::size_t, std::string>> mine;
  for (std::size_t i : ptsim::my_items(n, mpi.rank(), mpi.size())) {
    // Variable-length results, some with separators in them, to exercise the packing.
    mine.emplace_back(i, "item " + std::to_string(i) + ": " + std::to_string(i) +
                             "^2 = " + std::to_string(i * i) + std::string(i % 4, ','));
  }
  std::fprintf(stderr, "rank %d of %d evaluated %zu items\n", mpi.rank(), mpi.size(), mine.size());
  const std::vector<std::string> all = ptsim::gather_results(n, mine);
  if (mpi.rank() == 0) {
    for (const auto& line : all)
      std::printf("%s\n", line.c_str());
  }
  return 0;
}
