#include "calibration/gpu/nccl_bench.h"

#include <nccl.h>

#include <algorithm>
#include <memory>
#include <vector>

#include <fmt/format.h>

#include "calibration/gpu/cuda_check.h"
#include "calibration/gpu/device_buffer.h"
#include "calibration/gpu/harness.h"
#include "calibration/gpu/nccl_check.h"

#define PTSIM_NCCL(call)                                                       \
  do {                                                                         \
    const ncclResult_t ptsim_nr_ = (call);                                     \
    if (ptsim_nr_ != ncclSuccess) {                                            \
      ::ptsim::throw_input_error(                                              \
          "NCCL", ::ptsim::gpu::source_location(__FILE__, __LINE__),           \
          fmt::format("{} failed: {}", #call, ncclGetErrorString(ptsim_nr_))); \
    }                                                                          \
  } while (false)

namespace ptsim::gpu {

namespace {

constexpr double kReservedBytes = 1.0 * (1 << 30);  // left free for NCCL's own buffers

// One communicator group: the ranks this process drives, with their devices, streams and
// buffers (send holds the verifiable inputs, filled once).
struct Group {
  int ranks = 1;
  int nodes = 1;
  bool multi_process = false;
  std::vector<int> group_ranks;  // ranks of the group driven here
  std::vector<int> devices;
  std::vector<ncclComm_t> comms;
  std::vector<cudaStream_t> streams;
  std::vector<DeviceBuffer> send, recv, wrong;
  double capacity_bytes = 0;  // largest S the buffers hold

  Group() = default;
  Group(const Group&) = delete;
  Group& operator=(const Group&) = delete;
  ~Group() {
    for (ncclComm_t c : comms)
      ncclCommDestroy(c);
    for (std::size_t i = 0; i < streams.size(); ++i) {
      cudaSetDevice(devices[i]);
      cudaStreamDestroy(streams[i]);
    }
  }

  void allocate(double max_bytes, std::uint64_t seed) {
    capacity_bytes = max_bytes;
    const auto elems = static_cast<std::int64_t>(max_bytes / 4);
    for (std::size_t i = 0; i < devices.size(); ++i) {
      PTSIM_CUDA(cudaSetDevice(devices[i]));
      cudaStream_t s;
      PTSIM_CUDA(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
      streams.push_back(s);
      send.emplace_back(static_cast<std::size_t>(elems) * 4);
      recv.emplace_back(static_cast<std::size_t>(elems) * 4);
      wrong.emplace_back(sizeof(unsigned long long));
      fill_collective_input(send.back().as<float>(), elems, seed, group_ranks[i], s);
      PTSIM_CUDA(cudaStreamSynchronize(s));
    }
  }
};

void enqueue(const Group& g, std::size_t l, Collective c, std::int64_t count) {
  const float* in = g.send[l].as<float>();
  float* out = g.recv[l].as<float>();
  const int r = g.group_ranks[l];
  const auto n = static_cast<std::size_t>(count);
  switch (c) {
    case Collective::all_reduce:
      PTSIM_NCCL(ncclAllReduce(in, out, n, ncclFloat, ncclSum, g.comms[l], g.streams[l]));
      break;
    case Collective::all_gather:
      PTSIM_NCCL(ncclAllGather(in, out, n, ncclFloat, g.comms[l], g.streams[l]));
      break;
    case Collective::reduce_scatter:
      PTSIM_NCCL(ncclReduceScatter(in, out, n, ncclFloat, ncclSum, g.comms[l], g.streams[l]));
      break;
    case Collective::all_to_all:
      for (int p = 0; p < g.ranks; ++p) {
        PTSIM_NCCL(ncclSend(in + p * count, n, ncclFloat, p, g.comms[l], g.streams[l]));
        PTSIM_NCCL(ncclRecv(out + p * count, n, ncclFloat, p, g.comms[l], g.streams[l]));
      }
      break;
    case Collective::send_recv:
      PTSIM_NCCL(ncclSend(in, n, ncclFloat, (r + 1) % g.ranks, g.comms[l], g.streams[l]));
      PTSIM_NCCL(
          ncclRecv(out, n, ncclFloat, (r - 1 + g.ranks) % g.ranks, g.comms[l], g.streams[l]));
      break;
  }
}

class CollectiveBenchmark : public Benchmark {
 public:
  CollectiveBenchmark(Group& g, Collective c, std::int64_t count, std::uint64_t seed,
                      const MpiWorld& world)
      : g_(g), c_(c), count_(count), seed_(seed), world_(world) {}
  void init() override {}
  void run(int) override {
    PTSIM_NCCL(ncclGroupStart());
    for (std::size_t l = 0; l < g_.comms.size(); ++l)
      enqueue(g_, l, c_, count_);
    PTSIM_NCCL(ncclGroupEnd());
  }
  void synchronize() override {
    for (std::size_t l = 0; l < g_.streams.size(); ++l) {
      PTSIM_CUDA(cudaSetDevice(g_.devices[l]));
      PTSIM_CUDA(cudaStreamSynchronize(g_.streams[l]));
    }
  }
  std::int64_t check(int) override {
    std::int64_t wrong = 0;
    for (std::size_t l = 0; l < g_.streams.size(); ++l) {
      PTSIM_CUDA(cudaSetDevice(g_.devices[l]));
      auto* counter = g_.wrong[l].as<unsigned long long>();
      PTSIM_CUDA(cudaMemsetAsync(counter, 0, sizeof *counter, g_.streams[l]));
      count_collective_errors(g_.recv[l].as<float>(), c_, g_.group_ranks[l], g_.ranks, count_,
                              seed_, counter, g_.streams[l]);
      unsigned long long host = 0;
      PTSIM_CUDA(
          cudaMemcpyAsync(&host, counter, sizeof host, cudaMemcpyDeviceToHost, g_.streams[l]));
      PTSIM_CUDA(cudaStreamSynchronize(g_.streams[l]));
      wrong += static_cast<std::int64_t>(host);
    }
    return wrong;
  }
  cudaStream_t event_stream() const override { return nullptr; }  // host clock, as nccl-tests
  void before_block() override { world_.barrier(); }
  double agree_on_time(double s) override { return world_.average(s); }
  std::int64_t agree_on_wrong(std::int64_t w) override { return world_.sum(w); }

 private:
  Group& g_;
  Collective c_;
  std::int64_t count_;
  std::uint64_t seed_;
  const MpiWorld& world_;
};

double buffer_capacity(const std::vector<int>& devices, double wanted, const MpiWorld& world) {
  double free_min = 1e30;
  for (int d : devices) {
    PTSIM_CUDA(cudaSetDevice(d));
    free_min = std::min(free_min, static_cast<double>(free_device_memory()));
  }
  // send + recv, and room for NCCL's buffers (nccl-tests reserves similarly before dividing).
  const double fits = std::max(0.0, (free_min - kReservedBytes) / 2.5);
  return world.minimum(std::min(wanted, fits));
}

std::unique_ptr<Group> single_process_group(int ranks, double max_bytes, std::uint64_t seed,
                                            const MpiWorld& world) {
  auto g = std::make_unique<Group>();
  g->ranks = ranks;
  for (int r = 0; r < ranks; ++r) {
    g->group_ranks.push_back(r);
    g->devices.push_back(r);
  }
  g->comms.resize(static_cast<std::size_t>(ranks));
  PTSIM_NCCL(ncclCommInitAll(g->comms.data(), ranks, g->devices.data()));
  g->allocate(buffer_capacity(g->devices, max_bytes, world), seed);
  return g;
}

std::unique_ptr<Group> mpi_group(MpiWorld& world, int mpi_comm, int nodes, int device,
                                 double max_bytes, std::uint64_t seed) {
  auto g = std::make_unique<Group>();
  g->multi_process = true;
  g->ranks = world.comm_size(mpi_comm);
  g->nodes = nodes;
  g->group_ranks = {world.comm_rank(mpi_comm)};
  g->devices = {device};
  ncclUniqueId id{};
  if (g->group_ranks[0] == 0) PTSIM_NCCL(ncclGetUniqueId(&id));
  world.broadcast_bytes(mpi_comm, &id, static_cast<int>(sizeof id));
  PTSIM_CUDA(cudaSetDevice(device));
  g->comms.resize(1);
  PTSIM_NCCL(ncclCommInitRank(&g->comms[0], g->ranks, id, g->group_ranks[0]));
  g->allocate(buffer_capacity(g->devices, max_bytes, world), seed);
  return g;
}

void measure_group(Group& g, const CalibrationPlan& plan, const MpiWorld& world,
                   MeasurementSink& sink) {
  std::vector<std::string> notes = {
      fmt::format("NCCL collectives: {} rank(s) on {} node(s), fp32 sum, out of place; time is "
                  "the average over ranks of the median repetition",
                  g.ranks, g.nodes),
      fmt::format("buffers hold up to {:.0f} bytes per rank (free device memory permitting)",
                  g.capacity_bytes)};
  if (g.ranks == 1) {
    notes.push_back(
        "1 rank: nothing crosses a link, so this measures NCCL's launch overhead only; busbw is 0 "
        "by construction (calibration/BUSBW.md)");
  }
  sink.begin_section(Section::collective, notes);
  for (Collective c : plan.collectives.collectives) {
    std::int64_t last_count = 0;
    for (double wanted : plan.collectives.bytes) {
      const std::int64_t count = collective_count_for_bytes(c, wanted, g.ranks, 4);
      if (count == 0 || count == last_count) continue;  // too small for this group, or a repeat
      const double bytes = collective_message_bytes(c, count, g.ranks, 4);
      if (bytes > g.capacity_bytes) break;
      last_count = count;
      CollectiveMeasurement m;
      m.collective = c;
      m.ranks = g.ranks;
      m.nodes = g.nodes;
      m.bytes = bytes;
      m.count = count;
      if (world.broadcast_from_root(sink.already_measured(m))) continue;
      CollectiveBenchmark bench(g, c, count, plan.harness.seed, world);
      const HarnessResult r = run_benchmark(bench, plan.harness);
      m.timing = r.timing;
      m.wrong = r.wrong;
      m.algbw_bytes_per_s = bytes / r.timing.median_s;
      m.busbw_bytes_per_s = m.algbw_bytes_per_s * busbw_factor(c, g.ranks);
      if (auto s = sink.record(m); !s.ok()) throw InputException(s.error());
    }
  }
  sink.end_section();
}

}  // namespace

void run_collectives(const CalibrationPlan& plan, MpiWorld& world, int local_devices,
                     MeasurementSink& sink) {
  if (plan.collectives.bytes.empty() || plan.collectives.collectives.empty()) return;
  const double max_bytes = plan.collectives.bytes.back();
  if (world.active()) {
    const int device = world.local_rank() % local_devices;
    {
      auto g = mpi_group(world, 0, world.nodes(), device, max_bytes, plan.harness.seed);
      measure_group(*g, plan, world, sink);
    }
    if (world.nodes() > 1 && world.local_size() > 1) {
      const int intra = world.split(world.node());
      const int rail = world.split(world.local_rank());
      {
        auto g = mpi_group(world, intra, 1, device, max_bytes, plan.harness.seed);
        measure_group(*g, plan, world, sink);
      }
      {
        auto g = mpi_group(world, rail, world.nodes(), device, max_bytes, plan.harness.seed);
        measure_group(*g, plan, world, sink);
      }
    }
    return;
  }
  std::vector<int> sizes;
  if (local_devices == 1) sizes.push_back(1);
  for (int s : {2, 4, 8}) {
    if (s <= local_devices) sizes.push_back(s);
  }
  for (int s : sizes) {
    auto g = single_process_group(s, max_bytes, plan.harness.seed, world);
    measure_group(*g, plan, world, sink);
  }
}

CollectiveMeasurement measure_single_rank_collective(Collective c, double bytes,
                                                     const HarnessSettings& settings) {
  MpiWorld none;
  auto g = single_process_group(1, bytes, settings.seed, none);
  const std::int64_t count = collective_count_for_bytes(c, bytes, 1, 4);
  CollectiveBenchmark bench(*g, c, count, settings.seed, none);
  const HarnessResult r = run_benchmark(bench, settings);
  CollectiveMeasurement m;
  m.collective = c;
  m.bytes = collective_message_bytes(c, count, 1, 4);
  m.count = count;
  m.timing = r.timing;
  m.wrong = r.wrong;
  m.algbw_bytes_per_s = m.bytes / r.timing.median_s;
  m.busbw_bytes_per_s = 0;
  return m;
}

}  // namespace ptsim::gpu
