// The processes of a multi-node calibration, started by `mpirun -np N calibrate ...` with one GPU
// per process (nccl-tests' MPI=1 model). Without MPI support, or when not started by an MPI
// launcher, the world is this one process. MPI is found at build time and optional
// (PTSIM_HAVE_MPI); everything here degrades to the single-process case without it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ptsim::gpu {

class MpiWorld {
 public:
  // Initialises MPI when this process was started by an MPI launcher (OMPI_COMM_WORLD_SIZE,
  // PMI_SIZE or PMIX_RANK in the environment) and MPI support was built.
  MpiWorld();
  ~MpiWorld();
  MpiWorld(const MpiWorld&) = delete;
  MpiWorld& operator=(const MpiWorld&) = delete;

  bool active() const { return active_; }  // more than one process
  int rank() const { return rank_; }
  int size() const { return size_; }
  int local_rank() const { return local_rank_; }  // among processes on this host
  int local_size() const { return local_size_; }
  int node() const { return node_; }  // index of this host, in order of first rank
  int nodes() const { return nodes_; }

  void barrier() const;
  double average(double v) const;          // over all processes
  double minimum(double v) const;          // over all processes
  std::int64_t sum(std::int64_t v) const;  // over all processes
  bool broadcast_from_root(bool v) const;  // rank 0's value
  // Handle to an MPI communicator of the processes with the same `color`, ordered by world rank
  // (0 = MPI_COMM_WORLD when inactive). Owned by this object.
  int split(int color);
  void barrier(int comm) const;
  int comm_rank(int comm) const;
  int comm_size(int comm) const;
  // Copies `bytes` bytes of `data` from the communicator's rank 0 to all its ranks.
  void broadcast_bytes(int comm, void* data, int bytes) const;

 private:
  bool active_ = false;
  bool initialised_here_ = false;
  int rank_ = 0, size_ = 1, local_rank_ = 0, local_size_ = 1, node_ = 0, nodes_ = 1;
  std::vector<void*> comms_;  // MPI_Comm values, opaque here so that mpi.h stays in the .cc
};

}  // namespace ptsim::gpu
