#include "planner/mpi_points.h"

#include <charconv>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <initializer_list>
#include <optional>
#include <string_view>

#include "common/check.h"

#ifdef PTSIM_HAVE_MPI
#include <mpi.h>
#endif

namespace ptsim {
namespace {

// A non-negative integer from the environment, or nullopt when unset or unreadable.
std::optional<int> env_int(const char* name) {
  const char* text = std::getenv(name);
  if (text == nullptr) return std::nullopt;
  const std::string_view s(text);
  int v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v < 0) return std::nullopt;
  return v;
}

std::optional<int> first_env_int(std::initializer_list<const char*> names) {
  for (const char* name : names) {
    if (const std::optional<int> v = env_int(name)) return v;
  }
  return std::nullopt;
}

// Results in item order, checking that each of 0..n-1 came exactly once.
std::vector<std::string> in_item_order(std::size_t n,
                                       std::vector<std::pair<std::size_t, std::string>> items) {
  std::vector<std::optional<std::string>> slots(n);
  for (auto& [index, text] : items) {
    PTSIM_CHECK(index < n, "gather_results: item index out of range");
    PTSIM_CHECK(!slots[index].has_value(), "gather_results: item delivered twice");
    slots[index] = std::move(text);
  }
  std::vector<std::string> out;
  out.reserve(n);
  for (auto& slot : slots) {
    PTSIM_CHECK(slot.has_value(), "gather_results: an item was evaluated by no rank");
    out.push_back(std::move(*slot));
  }
  return out;
}

#ifdef PTSIM_HAVE_MPI
bool mpi_active() {
  int initialised = 0, finalised = 0;
  MPI_Initialized(&initialised);
  MPI_Finalized(&finalised);
  return initialised != 0 && finalised == 0;
}

// Wire format of one rank's results: per item, index and length as 8 little-endian bytes each,
// then the text. Explicit byte order keeps it independent of the hosts' endianness.
void put_u64(std::string& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i)
    out += static_cast<char>((v >> (8 * i)) & 0xFF);
}
std::uint64_t get_u64(std::string_view in, std::size_t& pos) {
  PTSIM_CHECK(pos + 8 <= in.size(), "gather_results: truncated message");
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) {
    v |= static_cast<std::uint64_t>(static_cast<unsigned char>(in[pos + i])) << (8 * i);
  }
  pos += 8;
  return v;
}

std::string pack(const std::vector<std::pair<std::size_t, std::string>>& items) {
  std::string out;
  for (const auto& [index, text] : items) {
    put_u64(out, index);
    put_u64(out, text.size());
    out += text;
  }
  return out;
}

void unpack(std::string_view in, std::vector<std::pair<std::size_t, std::string>>& items) {
  std::size_t pos = 0;
  while (pos < in.size()) {
    const std::uint64_t index = get_u64(in, pos);
    const std::uint64_t length = get_u64(in, pos);
    PTSIM_CHECK(length <= in.size() - pos, "gather_results: truncated message");
    items.emplace_back(index, std::string(in.substr(pos, length)));
    pos += length;
  }
}

// Gathers every rank's packed bytes on rank 0 (MPI_Gather of the sizes, then MPI_Gatherv).
std::vector<std::string> gather_bytes(const std::string& mine, int rank, int size) {
  PTSIM_CHECK(mine.size() <= INT_MAX, "gather_results: one rank's results exceed 2 GiB");
  int my_count = static_cast<int>(mine.size());
  std::vector<int> counts(rank == 0 ? size : 0), offsets(rank == 0 ? size : 0);
  MPI_Gather(&my_count, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, MPI_COMM_WORLD);
  long long total = 0;
  for (int r = 0; r < static_cast<int>(counts.size()); ++r) {
    PTSIM_CHECK(total <= INT_MAX, "gather_results: results exceed 2 GiB");
    offsets[r] = static_cast<int>(total);
    total += counts[r];
  }
  PTSIM_CHECK(total <= INT_MAX, "gather_results: results exceed 2 GiB");
  std::string all(static_cast<std::size_t>(total), '\0');
  MPI_Gatherv(mine.data(), my_count, MPI_CHAR, all.data(), counts.data(), offsets.data(), MPI_CHAR,
              0, MPI_COMM_WORLD);
  std::vector<std::string> per_rank;
  for (std::size_t r = 0; r < counts.size(); ++r)
    per_rank.push_back(all.substr(offsets[r], counts[r]));
  return per_rank;
}
#endif

}  // namespace

std::vector<std::size_t> my_items(std::size_t n, int rank, int size) {
  PTSIM_CHECK(size >= 1 && rank >= 0 && rank < size, "my_items: rank must be in [0, size)");
  std::vector<std::size_t> items;
  for (std::size_t i = static_cast<std::size_t>(rank); i < n; i += static_cast<std::size_t>(size)) {
    items.push_back(i);
  }
  return items;
}

std::vector<std::string> gather_results(
    std::size_t n, const std::vector<std::pair<std::size_t, std::string>>& mine) {
#ifdef PTSIM_HAVE_MPI
  if (mpi_active()) {
    int rank = 0, size = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (size > 1) {
      const std::vector<std::string> per_rank = gather_bytes(pack(mine), rank, size);
      if (rank != 0) return {};
      std::vector<std::pair<std::size_t, std::string>> all;
      for (const auto& bytes : per_rank)
        unpack(bytes, all);
      return in_item_order(n, std::move(all));
    }
  }
#endif
  return in_item_order(n, mine);
}

MpiSession::MpiSession(int& argc, char**& argv) {
  // Open MPI sets OMPI_COMM_WORLD_*; PMIx launchers (Open MPI 5, srun --mpi=pmix) set PMIX_RANK;
  // MPICH's Hydra and srun --mpi=pmi2 set PMI_RANK and PMI_SIZE.
  const std::optional<int> rank_env =
      first_env_int({"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK"});
  const std::optional<int> size_env = first_env_int({"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"});
  const bool launched = rank_env.has_value() || size_env.has_value();
  launcher_rank_ = rank_env.value_or(0);
  launcher_size_ = size_env.value_or(launcher_rank_ + 1);
#ifdef PTSIM_HAVE_MPI
  int already = 0;
  MPI_Initialized(&already);
  if (launched && already == 0) {
    MPI_Init(&argc, &argv);
    initialised_here_ = true;
  }
  if (mpi_active()) {
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
  }
#else
  (void)launched;
  (void)argc;
  (void)argv;
#endif
}

MpiSession::~MpiSession() {
#ifdef PTSIM_HAVE_MPI
  if (initialised_here_ && mpi_active()) MPI_Finalize();
#endif
}

Status MpiSession::launch_status() const {
  if (size_ == 1 && (launcher_size_ > 1 || launcher_rank_ > 0)) {
    return InputError{"mpirun", "",
                      "started as one of " + std::to_string(launcher_size_) +
                          " ranks, but this build has no MPI support (install libopenmpi-dev "
                          "and rebuild, or run without mpirun)"};
  }
  return ok_status();
}

}  // namespace ptsim
