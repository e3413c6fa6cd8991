#include "planner/search.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <exception>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <queue>
#include <set>

#include "planner/bounds.h"
#include "planner/candidate.h"
#include "planner/thread_pool.h"
#include "sim/workload/config_rules.h"
#include "sim/workload/pipeline_schedule.h"

namespace ptsim {

bool ranks_before(const SimulatedCandidate& a, const SimulatedCandidate& b) {
  if (a.result.step_time_s != b.result.step_time_s)
    return a.result.step_time_s < b.result.step_time_s;
  return config_less(a.config, b.config);
}

namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();

// Candidates in increasing (full bound, configuration) order, computing full bounds lazily: an
// entry popped with its quick bound gets its full bound and goes back in. Since the full bound is
// never below the quick one, entries leave in exactly the order a fully computed sort would give.
class BoundOrder {
 public:
  BoundOrder(std::vector<Candidate>& candidates, PlannerBounds& bounds, double capacity_bytes)
      : candidates_(candidates),
        bounds_(bounds),
        capacity_bytes_(capacity_bytes),
        heap_(Later{&candidates}) {
    for (std::size_t i = 0; i < candidates.size(); ++i)
      heap_.push(Entry{candidates[i].quick_bound_s, false, i});
  }

  // The next candidate and its full bound, or nothing when all are out. Candidates whose full
  // memory bound exceeds the capacity are dropped on the way (over_memory()).
  std::optional<std::pair<std::size_t, double>> next() {
    while (!heap_.empty()) {
      Entry e = heap_.top();
      heap_.pop();
      if (e.full) return std::pair{e.index, e.bound};
      Candidate& c = candidates_[e.index];
      c.memory_bound_bytes = bounds_.memory_bytes(c.config);
      if (c.memory_bound_bytes > capacity_bytes_) {
        over_memory_.push_back(e.index);
        continue;
      }
      const double full = bounds_.time_s(c.config);
      heap_.push(Entry{std::max(full, e.bound), true, e.index});
    }
    return std::nullopt;
  }

  // The bound of the next candidate without taking it (its quick bound when not computed yet).
  double peek_bound() const { return heap_.empty() ? kInfinity : heap_.top().bound; }
  const std::vector<std::size_t>& over_memory() const { return over_memory_; }

 private:
  struct Entry {
    double bound;
    bool full;
    std::size_t index;
  };
  struct Later {
    const std::vector<Candidate>* c;
    bool operator()(const Entry& a, const Entry& b) const {
      if (a.bound != b.bound) return a.bound > b.bound;
      const auto& ca = (*c)[a.index].config;
      const auto& cb = (*c)[b.index].config;
      if (config_less(ca, cb)) return false;
      if (config_less(cb, ca)) return true;
      if (a.full != b.full) return !a.full;  // a computed entry first
      return a.index > b.index;
    }
  };
  std::vector<Candidate>& candidates_;
  PlannerBounds& bounds_;
  double capacity_bytes_;
  std::priority_queue<Entry, std::vector<Entry>, Later> heap_;
  std::vector<std::size_t> over_memory_;
};

// One simulation in flight or done.
struct Slot {
  std::size_t index = 0;  // into the candidate list
  double bound_s = 0;
  std::optional<StepResult> result;
  // Over capacity by its memory probe, not simulated in full: `result` is the probe's (its memory
  // report is the step's, its times are not).
  bool probed_out = false;
  // Its step graph would exceed kMaxStepGraphOps (graph_builder.h): no result.
  bool too_large = false;
  // What its simulation threw (out of memory holding the graph): rethrown by the search once the
  // simulations in flight, which share the search's state, have finished.
  std::exception_ptr failure;
};

// The k-th smallest step time among fitting results (infinity while fewer than k).
class Cutoff {
 public:
  explicit Cutoff(int k) : k_(static_cast<std::size_t>(std::max(1, k))) {}
  void add(double step_s) {
    times_.insert(step_s);
    if (times_.size() > k_) times_.erase(std::prev(times_.end()));
  }
  double value() const { return times_.size() < k_ ? kInfinity : *times_.rbegin(); }
  double best() const { return times_.empty() ? 0.0 : *times_.begin(); }

 private:
  std::size_t k_;
  std::multiset<double> times_;
};

// Nothing when the step graph would be too large to hold (rule graph_size); every other rule the
// candidate list has already checked.
std::optional<StepResult> simulate(const PlannerInputs& in, const Topology& topology,
                                   const ParallelConfig& p, const TrainingConfig& training,
                                   bool record_op_times = true) {
  EvaluationOptions options;
  options.mode = GraphMode::reduced;
  options.record_op_times = record_op_times;
  Evaluation e = evaluate(in.model, training, p, in.cluster, topology, in.gpus, options);
  if (!e.verdict.ok && e.verdict.rule == "graph_size") return std::nullopt;
  PTSIM_CHECK(e.verdict.ok, "planner: a candidate that passed the rules failed to build: " +
                                e.verdict.rule + ": " + e.verdict.reason);
  return std::move(e.result);
}

std::optional<StepResult> simulate(const PlannerInputs& in, const Topology& topology,
                                   const ParallelConfig& p) {
  return simulate(in, topology, p, in.training);
}

// The step cut to the micro-batches that reach its peak memory (peak_memory_micro_batches), or
// nothing when that is the whole step (or too large a graph even so). Its memory report is the
// whole step's, for a fraction of the simulation: a candidate with hundreds of micro-batches that
// cannot fit is found out without simulating them all (and without holding their graph, which for
// a large model on few GPUs does not fit in this machine's memory either).
std::optional<StepResult> probe_memory(const PlannerInputs& in, const Topology& topology,
                                       const ParallelConfig& p) {
  const int m = micro_batches_per_step(in.training, p);
  const int cut = peak_memory_micro_batches(p.schedule, p.pp, p.vpp, m);
  if (cut >= m) return std::nullopt;
  TrainingConfig t = in.training;
  t.global_batch = cut * p.micro_batch * p.dp;
  return simulate(in, topology, p, t, false);
}

// The peak memory of a configuration: its probe's, or its full simulation's when the probe would
// be the whole step; nothing when neither can be held.
std::optional<StepResult> peak_memory_of(const PlannerInputs& in, const Topology& topology,
                                         const ParallelConfig& p) {
  if (auto probe = probe_memory(in, topology, p)) return probe;
  return simulate(in, topology, p);
}

std::string format_gib(double bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f GiB", bytes / (1024.0 * 1024.0 * 1024.0));
  return buf;
}

}  // namespace

Result<SearchResult> search(const PlannerInputs& in, const Topology& topology,
                            const SearchOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  if (in.training.precision == Precision::fp8 && !in.cluster.gpu.supports(Dtype::fp8)) {
    return InputError{"--precision", "", "the " + in.cluster.gpu.name + " has no fp8 tensor cores"};
  }
  PlannerBounds bounds(in.model, in.training, in.cluster, topology, in.gpus);
  CandidateList list = list_candidates(in.model, in.training, in.cluster, in.gpus, in.pins, bounds);
  const auto listed = std::chrono::steady_clock::now();

  SearchResult out;
  SearchStats& st = out.stats;
  st.considered = list.considered;
  st.pruned = list.pruned;
  st.candidates = static_cast<std::int64_t>(list.candidates.size());
  if (list.candidates.empty() && list.smallest_over_memory.empty()) {
    return InputError{"", "",
                      "no configuration can run on " + std::to_string(in.gpus) +
                          " GPUs with these settings: " + list.main_rule_failure};
  }

  // Simulate in bound order on the pool; stop handing out work once the next bound exceeds the
  // k-th best step time among the simulations finished so far (all of them earlier in the order).
  ThreadPool pool(options.threads);
  st.threads = pool.size();
  std::vector<std::unique_ptr<Slot>> slots;
  std::mutex mutex;
  std::condition_variable done;
  std::vector<std::size_t> finished_slots;
  Cutoff running(options.top_k);
  BoundOrder order(list.candidates, bounds, in.cluster.gpu.hbm_capacity_bytes);
  std::int64_t finished = 0;
  int in_flight = 0;
  bool exhausted = false;
  std::exception_ptr failure;                                // the first simulation that threw
  std::optional<std::pair<std::size_t, double>> stopped_at;  // the first candidate not dispatched
  while (true) {
    while (!exhausted && in_flight < pool.size()) {
      const auto t0 = std::chrono::steady_clock::now();
      const auto next = order.next();
      st.ordering_wall_s +=
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      if (!next || (!options.exhaustive && next->second > running.value())) {
        stopped_at = next;
        exhausted = true;
        break;
      }
      auto slot = std::make_unique<Slot>();
      slot->index = next->first;
      slot->bound_s = next->second;
      Slot* raw = slot.get();
      const std::size_t id = slots.size();
      slots.push_back(std::move(slot));
      ++in_flight;
      const ParallelConfig config = list.candidates[raw->index].config;
      pool.submit([&, raw, id, config] {
        std::optional<StepResult> r;
        bool probed_out = false;
        std::exception_ptr failure;
        try {
          r = probe_memory(in, topology, config);
          probed_out = r && !r->memory.fits;
          if (!probed_out) r = simulate(in, topology, config);
        } catch (...) {
          failure = std::current_exception();
        }
        std::lock_guard<std::mutex> lock(mutex);
        raw->too_large = !r && !failure;
        raw->result = std::move(r);
        raw->probed_out = probed_out;
        raw->failure = failure;
        finished_slots.push_back(id);
        done.notify_one();
      });
    }
    if (in_flight == 0) break;
    std::unique_lock<std::mutex> lock(mutex);
    done.wait(lock, [&] { return !finished_slots.empty(); });
    for (std::size_t id : finished_slots) {
      if (slots[id]->failure && !failure) {
        failure = slots[id]->failure;
        exhausted = true;  // dispatch nothing more; let the simulations in flight finish
      }
      if (const auto& r = slots[id]->result) {
        if (r->memory.fits) running.add(r->step_time_s);
        st.simulation_s += r->simulation_wall_s;
      }
      --in_flight;
      ++finished;
    }
    finished_slots.clear();
    lock.unlock();
    if (options.progress) {
      SearchProgress pr;
      pr.candidates = st.candidates;
      pr.finished = finished;
      pr.best_s = running.best();
      pr.cutoff_s = std::isfinite(running.value()) ? running.value() : 0.0;
      pr.next_bound_s = order.peek_bound();
      options.progress(pr);
    }
  }
  pool.wait_idle();
  if (failure) std::rethrow_exception(failure);

  // What a one-thread run decides: walk the order, each candidate judged against the results
  // before it.
  Cutoff decided(options.top_k);
  std::size_t taken = 0;
  for (; taken < slots.size(); ++taken) {
    const Slot& s = *slots[taken];
    if (!options.exhaustive && s.bound_s > decided.value()) break;
    if (s.result && s.result->memory.fits) decided.add(s.result->step_time_s);
  }
  st.speculative = static_cast<std::int64_t>(slots.size() - taken);
  for (std::size_t i = 0; i < taken; ++i) {
    const Slot& s = *slots[i];
    if (s.too_large) {
      ++st.too_large;
      continue;
    }
    SimulatedCandidate c;
    c.config = list.candidates[s.index].config;
    c.result = *s.result;
    c.time_bound_s = s.bound_s;
    c.memory_bound_bytes = list.candidates[s.index].memory_bound_bytes;
    if (s.probed_out) {
      out.probed_out_of_memory.push_back(std::move(c));
    } else {
      (c.result.memory.fits ? out.ranked : out.out_of_memory).push_back(std::move(c));
    }
  }
  st.probed_out_of_memory = static_cast<std::int64_t>(out.probed_out_of_memory.size());
  st.simulated = static_cast<std::int64_t>(taken) - st.probed_out_of_memory - st.too_large;

  // Candidates the full memory bound dropped on the way: those a one-thread run reaches too, i.e.
  // before its stopping point in the order, count as pruned by memory; the rest as bounded out.
  std::optional<std::pair<std::size_t, double>> stop;
  if (taken < slots.size()) {
    stop = std::pair{slots[taken]->index, slots[taken]->bound_s};
  } else {
    stop = stopped_at;
  }
  auto before_stop = [&](std::size_t i) {
    if (!stop) return true;
    const Candidate& c = list.candidates[i];
    if (c.quick_bound_s != stop->second) return c.quick_bound_s < stop->second;
    return config_less(c.config, list.candidates[stop->first].config);
  };
  std::int64_t lazily_over_memory = 0;
  for (std::size_t i : order.over_memory()) {
    if (!before_stop(i)) continue;
    ++lazily_over_memory;
    keep_smallest_over_memory(list.smallest_over_memory, list.candidates[i]);
  }
  for (auto& [rule, count] : st.pruned) {
    if (rule == kMemoryBoundRule) count += lazily_over_memory;
  }
  st.candidates -= lazily_over_memory;
  st.bounded_out = st.candidates - st.simulated - st.probed_out_of_memory - st.too_large;

  if (out.ranked.empty()) {
    // Nothing fits: find the smallest memory any configuration needs, among those simulated or
    // probed and the few the memory bound pruned with the smallest bounds (probed now).
    std::vector<SimulatedCandidate> peaks = out.out_of_memory;
    peaks.insert(peaks.end(), out.probed_out_of_memory.begin(), out.probed_out_of_memory.end());
    std::int64_t too_large_count = st.too_large;
    for (const Candidate& c : list.smallest_over_memory) {
      auto peak = peak_memory_of(in, topology, c.config);
      if (!peak) {
        ++too_large_count;
        continue;
      }
      SimulatedCandidate s;
      s.config = c.config;
      s.result = *std::move(peak);
      s.memory_bound_bytes = c.memory_bound_bytes;
      peaks.push_back(std::move(s));
    }
    const std::string too_large = std::to_string(too_large_count) + " candidate" +
                                  (too_large_count == 1 ? "" : "s") + " had a step graph over " +
                                  std::to_string(static_cast<long long>(kMaxStepGraphOps / 1e6)) +
                                  " M ops";
    if (peaks.empty()) {
      return InputError{"--global-batch", "",
                        "nothing could be simulated: the " + too_large +
                            ", too large to hold; a smaller global batch shortens the steps"};
    }
    const auto smallest =
        std::min_element(peaks.begin(), peaks.end(), [](const auto& a, const auto& b) {
          if (a.result.memory.peak_bytes != b.result.memory.peak_bytes)
            return a.result.memory.peak_bytes < b.result.memory.peak_bytes;
          return config_less(a.config, b.config);
        });
    return InputError{"", "",
                      "no configuration fits in " + format_gib(in.cluster.gpu.hbm_capacity_bytes) +
                          " per GPU: the smallest peak found is " +
                          format_gib(smallest->result.memory.peak_bytes) + " (" +
                          layout_label(smallest->config, in.model.is_moe()) + ")" +
                          (too_large_count > 0 ? "; " + too_large + ", not simulated" : "")};
  }
  std::sort(out.ranked.begin(), out.ranked.end(), ranks_before);
  st.out_of_memory = static_cast<std::int64_t>(out.out_of_memory.size());
  std::sort(out.out_of_memory.begin(), out.out_of_memory.end(),
            [](const SimulatedCandidate& a, const SimulatedCandidate& b) {
              if (a.result.memory.peak_bytes != b.result.memory.peak_bytes)
                return a.result.memory.peak_bytes < b.result.memory.peak_bytes;
              return config_less(a.config, b.config);
            });
  st.listing_wall_s = std::chrono::duration<double>(listed - start).count();
  st.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

}  // namespace ptsim
