#include "planner/bounds_pipeline.h"

#include <algorithm>
#include <cmath>
#include <deque>

#include "common/check.h"
#include "sim/workload/overlap_pairing.h"

namespace ptsim {

namespace {

bool is_backward(Pass p) {
  return p == Pass::backward || p == Pass::backward_input;
}

const PassCost& cost_of(const StagePasses& s, Pass p) {
  switch (p) {
    case Pass::forward:
      return s.forward;
    case Pass::backward:
      return s.backward;
    case Pass::backward_input:
      return s.backward_input;
    case Pass::backward_weight:
      return s.backward_weight;
  }
  return s.forward;
}

const LayeredPass& layered_of(const StagePasses& s, Pass p) {
  switch (p) {
    case Pass::forward:
      return s.layered_forward;
    case Pass::backward:
      return s.layered_backward;
    case Pass::backward_input:
      return s.layered_backward_input;
    case Pass::backward_weight:
      return s.layered_backward_weight;
  }
  return s.layered_forward;
}

// One pass layer by layer (LayeredPass). Returns when its output is ready for the next position;
// moves the rank's compute and data-parallel stream times.
double run_layered(const LayeredPass& z, const PassCost& pc, double dep, bool on_demand,
                   double& stream_free, double& dp_free) {
  const std::size_t n = z.chain_s.size();
  std::vector<double> gather_end(n, 0.0);
  auto gather = [&](std::size_t k, double issue) {
    if (z.gather_s[k] <= 0) {
      gather_end[k] = 0.0;
      return;
    }
    dp_free = std::max(dp_free, issue) + z.gather_s[k];
    gather_end[k] = dp_free;
  };
  if (!on_demand && n > 0) gather(0, dep);
  if (!on_demand && n > 1) gather(1, dep);
  double end = 0;
  double lead = pc.lead_s;
  if (z.pre_s > 0) {
    end = std::max(stream_free, dep) + z.pre_s;
    lead = 0;
  }
  for (std::size_t k = 0; k < n; ++k) {
    if (on_demand) {
      // On the compute stream: after the layer before (or the pass's edge part, or its input).
      const double issue = k > 0 || z.pre_s > 0 ? end : std::max(stream_free, dep);
      gather_end[k] = z.gather_s[k] > 0 ? issue + z.gather_s[k] : 0.0;
    }
    double first_compute;
    if (k == 0 && z.pre_s <= 0) {
      // The first op may be communication (lead) waiting for the input and the gather.
      first_compute = std::max(stream_free, std::max(dep, gather_end[0]) + lead);
      end = first_compute + z.chain_s[0] - lead;
    } else {
      first_compute = std::max(end, gather_end[k]);
      end = first_compute + z.chain_s[k];
    }
    if (z.reduce_s[k] > 0) dp_free = std::max(dp_free, end) + z.reduce_s[k];
    if (!on_demand && k + 2 < n) gather(k + 2, end);
  }
  if (z.post_s > 0) end += z.post_s;
  stream_free = std::max(stream_free, end - pc.trail_s);
  return end;
}

}  // namespace

std::shared_ptr<const PreparedPlan> prepare_plan(Schedule schedule, int pp, int vpp,
                                                 int micro_batches, bool ep_a2a_overlap,
                                                 const std::vector<int>& stage_layers) {
  auto out = std::make_shared<PreparedPlan>();
  out->plan = make_pipeline_plan(schedule, pp, vpp, micro_batches);
  out->micro_batches = micro_batches;
  PipelinePlan& plan = out->plan;
  // The builder's pairs exactly (a pair it does not form, or one it forms that this plan
  // lacked, would move the walk's passes and the activations held away from the simulation's).
  if (ep_a2a_overlap) pair_forward_backward_passes(plan);
  out->position_of.resize(plan.directions.size());
  for (std::size_t d = 0; d < plan.directions.size(); ++d) {
    out->position_of[d].assign(
        static_cast<std::size_t>(plan.ranks),
        std::vector<int>(static_cast<std::size_t>(plan.chunks_per_rank), -1));
    for (std::size_t k = 0; k < plan.directions[d].size(); ++k) {
      const PipelinePosition& pos = plan.directions[d][k];
      out->position_of[d][static_cast<std::size_t>(pos.rank)][static_cast<std::size_t>(pos.chunk)] =
          static_cast<int>(k);
    }
  }
  out->peak_held.resize(static_cast<std::size_t>(plan.ranks));
  for (std::size_t r = 0; r < plan.work.size(); ++r) {
    const auto& work = plan.work[r];
    out->passes += work.size();
    const auto& stages = plan.model_stage[r];
    std::vector<int> held(stages.size(), 0);
    long long layers = 0, best = -1;
    for (std::size_t i = 0; i < work.size(); ++i) {
      const bool paired = work[i].overlap_with_next && i + 1 < work.size();
      const std::size_t n = paired ? 2 : 1;
      for (std::size_t j = i; j < i + n; ++j) {
        const auto c = static_cast<std::size_t>(work[j].chunk);
        const int weight = stage_layers[static_cast<std::size_t>(stages[c])];
        if (work[j].pass == Pass::forward) {
          ++held[c];
          layers += weight;
        }
        if (is_backward(work[j].pass)) {
          --held[c];
          layers -= weight;
        }
      }
      if ((paired || work[i].pass == Pass::forward) && layers > best) {
        best = layers;
        out->peak_held[r] = held;
      }
      i += n - 1;
    }
    if (best < 0) out->peak_held[r] = held;
  }
  return out;
}

namespace {

// When kernels of `compute_s` seconds at full speed finish if they start at `start_s` and run
// 1 + s slower until `window_end_s` (the rank's communication window), at full speed after.
double slowed_finish(double start_s, double compute_s, double window_end_s, double s) {
  if (start_s >= window_end_s) return start_s + compute_s;
  const double slowed_end = start_s + compute_s * (1.0 + s);
  if (slowed_end <= window_end_s) return slowed_end;
  return window_end_s + compute_s - (window_end_s - start_s) / (1.0 + s);
}

// One pass's span on the compute stream from the start of its first kernel: its chain (body_s),
// and, inside the communication window, its kernels slowed after its certain waits (the waits
// first is the order that finishes soonest, so the bound holds whatever the real order).
double pass_span(const PassCost& c, double start_s, double window_end_s, double s) {
  const double body = c.body_s();
  if (s <= 0 || start_s >= window_end_s) return body;
  const double waits = std::max(0.0, c.blocked_s - c.lead_s - c.trail_s);
  return std::max(body, slowed_finish(start_s + waits, c.compute_s, window_end_s, s) - start_s);
}

PipelineBound walk(const PipelineBoundInputs& in, const std::vector<double>& window_end_s);

}  // namespace

PipelineBound relaxed_pipeline(const PipelineBoundInputs& in) {
  std::vector<double> window(static_cast<std::size_t>(in.plan->plan.ranks), 0.0);
  PipelineBound out = walk(in, window);
  if (in.zero3 || in.comm_overlap_slowdown <= 0) return out;
  // Each walk's input arrivals are lower bounds of the real ones, so they may serve as the next
  // walk's windows; a few rounds settle (the windows only grow, and by less each round).
  for (int round = 0; round < 4; ++round) {
    if (out.last_input_s == window) break;
    window = out.last_input_s;
    out = walk(in, window);
  }
  return out;
}

namespace {

PipelineBound walk(const PipelineBoundInputs& in, const std::vector<double>& window_end_s) {
  const double slow = in.zero3 ? 0.0 : in.comm_overlap_slowdown;
  const PreparedPlan& pp = *in.plan;
  const PipelinePlan& plan = pp.plan;
  const int ranks = plan.ranks;
  std::size_t kmax = 1;
  for (const auto& dir : plan.directions)
    kmax = std::max(kmax, dir.size());
  const std::size_t m = static_cast<std::size_t>(pp.micro_batches);
  const double unknown = -1.0;
  std::vector<double> f_done(m * kmax, unknown), b_done(m * kmax, unknown);
  std::vector<std::size_t> cursor(static_cast<std::size_t>(ranks), 0);
  std::vector<double> free_s(static_cast<std::size_t>(ranks), 0.0);
  std::vector<double> dp_free(static_cast<std::size_t>(ranks), 0.0);
  std::vector<double> first_input(static_cast<std::size_t>(ranks), 0.0);
  std::vector<double> last_input(static_cast<std::size_t>(ranks), 0.0);
  std::vector<char> queued(static_cast<std::size_t>(ranks), 1);
  std::deque<int> queue;
  for (int r = 0; r < ranks; ++r)
    queue.push_back(r);
  double finish = 0;

  auto position = [&](const PipelineWork& w, int r) {
    const int d = plan.direction_of_micro_batch[static_cast<std::size_t>(w.micro_batch)];
    return std::pair<int, int>{
        d, pp.position_of[static_cast<std::size_t>(d)][static_cast<std::size_t>(r)]
                         [static_cast<std::size_t>(w.chunk)]};
  };
  // Earliest time the pass's input can be there; `unknown` while the producer has not run.
  auto dependency = [&](const PipelineWork& w, int r) -> double {
    const auto [d, pos] = position(w, r);
    const int K = static_cast<int>(plan.directions[static_cast<std::size_t>(d)].size());
    const std::size_t mb = static_cast<std::size_t>(w.micro_batch);
    if (w.pass == Pass::forward) {
      if (pos == 0) return 0.0;
      const double t = f_done[mb * kmax + static_cast<std::size_t>(pos - 1)];
      return t < 0 ? unknown
                   : t + in.p2p_forward_s[static_cast<std::size_t>(d)]
                                         [static_cast<std::size_t>(pos - 1)];
    }
    if (is_backward(w.pass)) {
      if (pos == K - 1) return 0.0;  // follows its own forward on this rank (stream order)
      const double t = b_done[mb * kmax + static_cast<std::size_t>(pos + 1)];
      return t < 0 ? unknown
                   : t + in.p2p_backward_s[static_cast<std::size_t>(d)]
                                          [static_cast<std::size_t>(pos)];
    }
    return 0.0;  // weight gradients: stream order only
  };
  auto wake = [&](int r) {
    if (!queued[static_cast<std::size_t>(r)]) {
      queued[static_cast<std::size_t>(r)] = 1;
      queue.push_back(r);
    }
  };
  auto record = [&](const PipelineWork& w, int r, double done) {
    finish = std::max(finish, done);
    const auto [d, pos] = position(w, r);
    const auto& dir = plan.directions[static_cast<std::size_t>(d)];
    const std::size_t mb = static_cast<std::size_t>(w.micro_batch);
    if (w.pass == Pass::forward) {
      f_done[mb * kmax + static_cast<std::size_t>(pos)] = done;
      if (pos + 1 < static_cast<int>(dir.size())) wake(dir[static_cast<std::size_t>(pos + 1)].rank);
    } else if (is_backward(w.pass)) {
      b_done[mb * kmax + static_cast<std::size_t>(pos)] = done;
      if (pos > 0) wake(dir[static_cast<std::size_t>(pos - 1)].rank);
    }
  };

  // Passes with a receive (a dependency on another rank) mark the rank's receive window.
  auto note_input = [&](int r, double dep) {
    double& last = last_input[static_cast<std::size_t>(r)];
    last = std::max(last, dep);
  };

  while (!queue.empty()) {
    const int r = queue.front();
    queue.pop_front();
    queued[static_cast<std::size_t>(r)] = 0;
    const auto& work = plan.work[static_cast<std::size_t>(r)];
    const auto& costs = in.passes[static_cast<std::size_t>(r)];
    std::size_t& i = cursor[static_cast<std::size_t>(r)];
    double& free = free_s[static_cast<std::size_t>(r)];
    while (i < work.size()) {
      const PipelineWork& a = work[i];
      const PassCost& ca = cost_of(costs[static_cast<std::size_t>(a.chunk)], a.pass);
      const double dep_a = dependency(a, r);
      if (dep_a < 0) break;
      const double window = window_end_s[static_cast<std::size_t>(r)];
      if (a.overlap_with_next && i + 1 < work.size()) {
        const PipelineWork& b = work[i + 1];
        const PassCost& cb = cost_of(costs[static_cast<std::size_t>(b.chunk)], b.pass);
        const double dep_b = dependency(b, r);
        if (dep_b < 0) break;
        note_input(r, dep_a);
        note_input(r, dep_b);
        if (i == 0) first_input[static_cast<std::size_t>(r)] = std::min(dep_a, dep_b);
        // Ops of the two passes interleave on one stream: each keeps its own chain, and the
        // stream runs both passes' kernels. Either may put the first kernel on the stream (the
        // builder lets a backward lead its forward), so the pair starts once either input is in.
        const double start = std::max(free, std::min(dep_a + ca.lead_s, dep_b + cb.lead_s));
        const double a_start = std::max(start, dep_a + ca.lead_s);
        const double a_end = a_start + pass_span(ca, a_start, window, slow);
        const double b_start = std::max(start, dep_b + cb.lead_s);
        const double b_end = b_start + pass_span(cb, b_start, window, slow);
        const double both = slowed_finish(start, ca.compute_s + cb.compute_s, window, slow);
        free = std::max({both, a_end, b_end});
        record(a, r, a_end + ca.trail_s);
        record(b, r, b_end + cb.trail_s);
        i += 2;
        continue;
      }
      note_input(r, dep_a);
      if (i == 0) first_input[static_cast<std::size_t>(r)] = dep_a;
      if (in.zero3) {
        const double done =
            run_layered(layered_of(costs[static_cast<std::size_t>(a.chunk)], a.pass), ca, dep_a,
                        in.zero3_on_demand, free, dp_free[static_cast<std::size_t>(r)]);
        record(a, r, done);
        ++i;
        continue;
      }
      const double start = std::max(free, dep_a + ca.lead_s);
      free = start + pass_span(ca, start, window, slow);
      record(a, r, free + ca.trail_s);
      ++i;
    }
  }
  // A rank left waiting would mean the relaxed order deadlocks, which the real one would too;
  // what has run is still a lower bound.
  PipelineBound out;
  out.finish_s = finish;
  out.stream_free_s = std::move(free_s);
  out.dp_free_s = std::move(dp_free);
  out.first_input_s = std::move(first_input);
  out.last_input_s = std::move(last_input);
  return out;
}

}  // namespace

}  // namespace ptsim
