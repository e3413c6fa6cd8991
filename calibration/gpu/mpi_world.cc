#include "calibration/gpu/mpi_world.h"

#include <unistd.h>

#include <array>
#include <cstdlib>
#include <cstring>
#include <map>

#include "common/result.h"

#if PTSIM_HAVE_MPI
#include <mpi.h>
#endif

namespace ptsim::gpu {

namespace {
bool started_by_mpi_launcher() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"}) {
    if (std::getenv(v) != nullptr) return true;
  }
  return false;
}
}  // namespace

#if PTSIM_HAVE_MPI

namespace {
MPI_Comm comm_of(const std::vector<void*>& comms, int handle) {
  if (handle == 0) return MPI_COMM_WORLD;
  MPI_Comm c;
  std::memcpy(&c, &comms.at(static_cast<std::size_t>(handle - 1)), sizeof c);
  return c;
}
void check_mpi(int rc, const char* what) {
  if (rc != MPI_SUCCESS) throw_input_error("MPI", "", std::string(what) + " failed");
}
}  // namespace

MpiWorld::MpiWorld() {
  if (!started_by_mpi_launcher()) return;
  int already = 0;
  MPI_Initialized(&already);
  if (!already) {
    int provided = 0;
    check_mpi(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided), "MPI_Init");
    initialised_here_ = true;
  }
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
  active_ = size_ > 1;
  // Hosts: every rank's host name, in world-rank order; nodes numbered by first appearance.
  constexpr int kName = 256;
  std::array<char, kName> mine{};
  ::gethostname(mine.data(), kName - 1);
  std::vector<char> all(static_cast<std::size_t>(kName) * size_);
  check_mpi(
      MPI_Allgather(mine.data(), kName, MPI_CHAR, all.data(), kName, MPI_CHAR, MPI_COMM_WORLD),
      "MPI_Allgather");
  std::map<std::string, int> node_of;
  std::vector<std::string> names;
  for (int r = 0; r < size_; ++r) {
    names.emplace_back(all.data() + static_cast<std::size_t>(r) * kName);
    node_of.try_emplace(names.back(), static_cast<int>(node_of.size()));
  }
  nodes_ = static_cast<int>(node_of.size());
  node_ = node_of.at(names[static_cast<std::size_t>(rank_)]);
  local_rank_ = 0;
  local_size_ = 0;
  for (int r = 0; r < size_; ++r) {
    if (names[static_cast<std::size_t>(r)] != names[static_cast<std::size_t>(rank_)]) continue;
    if (r < rank_) ++local_rank_;
    ++local_size_;
  }
}

MpiWorld::~MpiWorld() {
  for (void*& slot : comms_) {
    MPI_Comm c;
    std::memcpy(&c, &slot, sizeof c);
    MPI_Comm_free(&c);
  }
  if (initialised_here_) MPI_Finalize();
}

void MpiWorld::barrier() const {
  if (active_) MPI_Barrier(MPI_COMM_WORLD);
}

double MpiWorld::average(double v) const {
  if (!active_) return v;
  double sum = 0;
  MPI_Allreduce(&v, &sum, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
  return sum / size_;
}

double MpiWorld::minimum(double v) const {
  if (!active_) return v;
  double out = v;
  MPI_Allreduce(&v, &out, 1, MPI_DOUBLE, MPI_MIN, MPI_COMM_WORLD);
  return out;
}

std::int64_t MpiWorld::sum(std::int64_t v) const {
  if (!active_) return v;
  long long in = v, out = 0;
  MPI_Allreduce(&in, &out, 1, MPI_LONG_LONG, MPI_SUM, MPI_COMM_WORLD);
  return out;
}

bool MpiWorld::broadcast_from_root(bool v) const {
  if (!active_) return v;
  int x = v ? 1 : 0;
  MPI_Bcast(&x, 1, MPI_INT, 0, MPI_COMM_WORLD);
  return x != 0;
}

int MpiWorld::split(int color) {
  if (!active_) return 0;
  MPI_Comm c;
  check_mpi(MPI_Comm_split(MPI_COMM_WORLD, color, rank_, &c), "MPI_Comm_split");
  static_assert(sizeof(MPI_Comm) <= sizeof(void*), "MPI_Comm must fit in a pointer");
  void* slot = nullptr;
  std::memcpy(&slot, &c, sizeof c);
  comms_.push_back(slot);
  return static_cast<int>(comms_.size());
}

void MpiWorld::barrier(int comm) const {
  if (active_) MPI_Barrier(comm_of(comms_, comm));
}

int MpiWorld::comm_rank(int comm) const {
  if (!active_) return 0;
  int r = 0;
  MPI_Comm_rank(comm_of(comms_, comm), &r);
  return r;
}

int MpiWorld::comm_size(int comm) const {
  if (!active_) return 1;
  int s = 1;
  MPI_Comm_size(comm_of(comms_, comm), &s);
  return s;
}

void MpiWorld::broadcast_bytes(int comm, void* data, int bytes) const {
  if (active_) MPI_Bcast(data, bytes, MPI_BYTE, 0, comm_of(comms_, comm));
}

#else  // !PTSIM_HAVE_MPI

MpiWorld::MpiWorld() {
  if (started_by_mpi_launcher() && std::getenv("OMPI_COMM_WORLD_SIZE") != nullptr &&
      std::atoi(std::getenv("OMPI_COMM_WORLD_SIZE")) > 1) {
    throw_input_error("MPI", "",
                      "started by mpirun, but this build has no MPI support (install an MPI "
                      "development package and reconfigure)");
  }
}
MpiWorld::~MpiWorld() = default;
void MpiWorld::barrier() const {}
double MpiWorld::average(double v) const {
  return v;
}
double MpiWorld::minimum(double v) const {
  return v;
}
std::int64_t MpiWorld::sum(std::int64_t v) const {
  return v;
}
bool MpiWorld::broadcast_from_root(bool v) const {
  return v;
}
int MpiWorld::split(int) {
  return 0;
}
void MpiWorld::barrier(int) const {}
int MpiWorld::comm_rank(int) const {
  return 0;
}
int MpiWorld::comm_size(int) const {
  return 1;
}
void MpiWorld::broadcast_bytes(int, void*, int) const {}

#endif

}  // namespace ptsim::gpu
