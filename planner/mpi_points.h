// Dividing independent work items (the points of a what-if study) among MPI ranks and gathering
// their results on rank 0, so that a study run under `mpirun -np N` prints exactly what a single
// process prints. MPI is optional: without it (not built with it, or not started by an MPI
// launcher) there is one rank and gathering is the identity.
//
// Only mpi_points.cc includes <mpi.h> (compiled with PTSIM_HAVE_MPI, cmake/OptionalMpi.cmake).
//
// Running as root (containers, CI) under Open MPI needs its consent, as flag and environment:
//   OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
//   mpirun --allow-run-as-root --oversubscribe -np 2 build/bin/whatif ...
// (the two variables set in the environment of mpirun; --oversubscribe lets a machine with fewer
// cores than ranks run them all).
//
// Validated by tests/planner_output/mpi_points_test.cc (partition properties, the single-process
// identity) and the CTest test mpi_points_two_ranks (two local ranks, output byte-identical to
// one process).
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "common/result.h"

namespace ptsim {

// Items of 0..n-1 that `rank` of `size` evaluates: round-robin (item i goes to rank i % size),
// which spreads the costly end of a sweep (the largest GPU counts) over all ranks. Increasing;
// every item belongs to exactly one rank.
std::vector<std::size_t> my_items(std::size_t n, int rank, int size);

// Collects every rank's (item index, result) pairs on rank 0 and returns all n results there, in
// item order; other ranks get an empty vector. Collective: every rank must call it. Without an
// active MPI session it returns `mine` in item order. Each item must be delivered exactly once
// across ranks (a broken distribution is a bug and stops the program).
std::vector<std::string> gather_results(
    std::size_t n, const std::vector<std::pair<std::size_t, std::string>>& mine);

// MPI for the lifetime of a tool's main(). Initialises MPI only when the process was started by
// an MPI launcher (Open MPI's OMPI_COMM_WORLD_SIZE, PMIx's PMIX_RANK or PMI's PMI_RANK/PMI_SIZE in
// the environment), so plain runs stay cheap and never start an MPI runtime. Finalises what it
// initialised. One per process.
class MpiSession {
 public:
  MpiSession(int& argc, char**& argv);
  ~MpiSession();
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }

  // An input error when a launcher started several ranks but this build has no MPI: each process
  // would evaluate and print the whole study. Otherwise ok.
  Status launch_status() const;

 private:
  int rank_ = 0;
  int size_ = 1;
  bool initialised_here_ = false;
  int launcher_rank_ = 0;  // as the launcher's environment says; 0 when not launched
  int launcher_size_ = 1;
};

}  // namespace ptsim
