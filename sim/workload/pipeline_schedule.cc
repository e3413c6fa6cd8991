#include "sim/workload/pipeline_schedule.h"

#include <algorithm>
#include <array>
#include <deque>

#include "common/check.h"

namespace ptsim {

namespace {

PipelineWork work(Pass pass, int chunk, int mb) {
  return PipelineWork{pass, chunk, mb, false};
}

// One direction, ranks 0..p-1, chunk 0 each, every micro-batch in it.
PipelinePlan single_direction_plan(int pp, int m) {
  PipelinePlan plan;
  plan.ranks = pp;
  plan.chunks_per_rank = 1;
  plan.model_stages = pp;
  plan.directions.resize(1);
  for (int r = 0; r < pp; ++r)
    plan.directions[0].push_back({r, 0});
  plan.direction_of_micro_batch.assign(static_cast<std::size_t>(m), 0);
  plan.model_stage.resize(static_cast<std::size_t>(pp));
  for (int r = 0; r < pp; ++r)
    plan.model_stage[static_cast<std::size_t>(r)] = {r};
  plan.work.resize(static_cast<std::size_t>(pp));
  return plan;
}

void gpipe(PipelinePlan& plan, int m) {
  for (auto& w : plan.work) {
    for (int i = 0; i < m; ++i)
      w.push_back(work(Pass::forward, 0, i));
    for (int i = m - 1; i >= 0; --i)
      w.push_back(work(Pass::backward, 0, i));
  }
}

// PipeDream-Flush (Narayanan et al. 2021, section 2.2.1): rank r runs p-r-1 warm-up forwards,
// then alternates one forward and one backward, then drains the remaining backwards.
void one_f_one_b(PipelinePlan& plan, int pp, int m) {
  for (int r = 0; r < pp; ++r) {
    auto& w = plan.work[static_cast<std::size_t>(r)];
    const int warmup = std::min(pp - r - 1, m);
    int f = 0;
    int b = 0;
    for (; f < warmup; ++f)
      w.push_back(work(Pass::forward, 0, f));
    while (f < m) {
      w.push_back(work(Pass::forward, 0, f++));
      w.push_back(work(Pass::backward, 0, b++));
    }
    while (b < m)
      w.push_back(work(Pass::backward, 0, b++));
  }
}

// ZB-H1 (Qi et al. 2024), in the form Megatron-DeepSpeed runs it: 1F1B order with the backward
// split into B and W, and rank r deferring its W passes by r micro-batches so they fill the
// cool-down bubble; in-flight micro-batches (memory) stay at 1F1B's.
void zero_bubble_h1(PipelinePlan& plan, int pp, int m) {
  for (int r = 0; r < pp; ++r) {
    auto& w = plan.work[static_cast<std::size_t>(r)];
    const int warmup = std::min(pp - r - 1, m);
    int f = 0;
    int b = 0;
    int wgt = 0;
    auto backward = [&] {
      w.push_back(work(Pass::backward_input, 0, b));
      if (b >= r) w.push_back(work(Pass::backward_weight, 0, wgt++));
      ++b;
    };
    for (; f < warmup; ++f)
      w.push_back(work(Pass::forward, 0, f));
    while (f < m) {
      w.push_back(work(Pass::forward, 0, f++));
      backward();
    }
    while (b < m)
      backward();
    while (wgt < m)
      w.push_back(work(Pass::backward_weight, 0, wgt++));
  }
}

// Megatron-LM's interleaved 1F1B: virtual micro-batch k maps to chunk (k / p) % v and micro-batch
// (k / (p v)) p + k % p; backward chunks run in reverse; warm-up (p - r - 1) * 2 + (v - 1) * p.
PipelinePlan interleaved(int pp, int vpp, int m) {
  PipelinePlan plan;
  plan.ranks = pp;
  plan.chunks_per_rank = vpp;
  plan.model_stages = pp * vpp;
  plan.directions.resize(1);
  for (int k = 0; k < pp * vpp; ++k)
    plan.directions[0].push_back({k % pp, k / pp});
  plan.direction_of_micro_batch.assign(static_cast<std::size_t>(m), 0);
  plan.model_stage.resize(static_cast<std::size_t>(pp));
  for (int r = 0; r < pp; ++r) {
    for (int c = 0; c < vpp; ++c)
      plan.model_stage[static_cast<std::size_t>(r)].push_back(c * pp + r);
  }
  plan.work.resize(static_cast<std::size_t>(pp));
  const int total = m * vpp;
  auto chunk_of = [&](int k, bool forward) {
    const int c = (k / pp) % vpp;
    return forward ? c : vpp - 1 - c;
  };
  auto mb_of = [&](int k) { return (k / (pp * vpp)) * pp + k % pp; };
  for (int r = 0; r < pp; ++r) {
    auto& w = plan.work[static_cast<std::size_t>(r)];
    const int warmup = std::min((pp - r - 1) * 2 + (vpp - 1) * pp, total);
    int f = 0;
    int b = 0;
    for (; f < warmup; ++f)
      w.push_back(work(Pass::forward, chunk_of(f, true), mb_of(f)));
    while (f < total) {
      w.push_back(work(Pass::forward, chunk_of(f, true), mb_of(f)));
      ++f;
      w.push_back(work(Pass::backward, chunk_of(b, false), mb_of(b)));
      ++b;
    }
    while (b < total) {
      w.push_back(work(Pass::backward, chunk_of(b, false), mb_of(b)));
      ++b;
    }
  }
  return plan;
}

// DualPipe (DeepSeek-V3 report section 3.2.1; deepseek-ai/DualPipe): eight phases per rank. Local
// phase 0 is direction 0 on the first half of the ranks and direction 1 on the second half.
class DualPipeOrder {
 public:
  DualPipeOrder(PipelinePlan& plan, int pp, int m) : plan_(plan), pp_(pp), m_(m) {}

  void build_rank(int r) {
    rank_ = r;
    out_ = &plan_.work[static_cast<std::size_t>(r)];
    next_f_ = {0, 0};
    next_b_ = {0, 0};
    deferred_w_.clear();
    const int half_ranks = pp_ / 2;
    const int half_rank = std::min(r, pp_ - 1 - r);
    const int half_chunks = m_ / 2;
    const bool middle = half_rank == half_ranks - 1;

    for (int i = 0; i < (half_ranks - half_rank - 1) * 2; ++i)
      forward(0);                              // 1: nF0
    for (int i = 0; i < half_rank + 1; ++i) {  // 2: nF0F1
      forward(0);
      forward(1);
    }
    for (int i = 0; i < half_ranks - half_rank - 1; ++i) {  // 3: nB1W1F1
      backward(1, true);
      weight();
      forward(1);
    }
    for (int i = 0; i < half_chunks - pp_ + half_rank + 1; ++i) {  // 4: nF0B1F1B0
      if (i == 0 && middle) {
        forward(0);
        backward(1, false);
      } else {
        forward_backward(0, 1);
      }
      forward_backward(1, 0);
    }
    for (int i = 0; i < half_ranks - half_rank - 1; ++i) {  // 5: nB1F1B0
      backward(1, false);
      forward_backward(1, 0);
    }
    bool zb = false;
    const int step6 = half_rank + 1;
    for (int i = 0; i < step6; ++i) {  // 6: nB1B0
      if (i == step6 / 2 && half_rank % 2 == 1) zb = true;
      backward(1, zb);
      if (i == step6 / 2 && half_rank % 2 == 0) zb = true;
      backward(0, zb);
    }
    for (int i = 0; i < half_ranks - half_rank - 1; ++i) {  // 7: nWB0
      weight();
      backward(0, true);
    }
    while (!deferred_w_.empty())
      weight();  // 8: nW
  }

 private:
  int direction_of_phase(int phase) const { return phase ^ (rank_ >= pp_ / 2 ? 1 : 0); }
  int mb_id(int direction, int index) const { return direction * (m_ / 2) + index; }

  void forward(int phase) {
    const int d = direction_of_phase(phase);
    out_->push_back(work(Pass::forward, d, mb_id(d, next_f_[d]++)));
  }
  void backward(int phase, bool defer_weight) {
    const int d = direction_of_phase(phase);
    const int mb = mb_id(d, next_b_[d]++);
    if (defer_weight) {
      out_->push_back(work(Pass::backward_input, d, mb));
      deferred_w_.push_back({d, mb});
    } else {
      out_->push_back(work(Pass::backward, d, mb));
    }
  }
  void weight() {
    PTSIM_CHECK(!deferred_w_.empty(), "DualPipe: no deferred weight pass");
    const auto [d, mb] = deferred_w_.front();
    deferred_w_.pop_front();
    out_->push_back(work(Pass::backward_weight, d, mb));
  }
  void forward_backward(int phase_f, int phase_b) {
    forward(phase_f);
    out_->back().overlap_with_next = true;
    backward(phase_b, false);
  }

  PipelinePlan& plan_;
  int pp_;
  int m_;
  int rank_ = 0;
  std::vector<PipelineWork>* out_ = nullptr;
  std::array<int, 2> next_f_{};
  std::array<int, 2> next_b_{};
  std::deque<std::pair<int, int>> deferred_w_;
};

PipelinePlan dualpipe(int pp, int m) {
  PipelinePlan plan;
  plan.ranks = pp;
  plan.chunks_per_rank = 2;
  plan.model_stages = pp;
  plan.directions.resize(2);
  for (int k = 0; k < pp; ++k) {
    plan.directions[0].push_back({k, 0});
    plan.directions[1].push_back({pp - 1 - k, 1});
  }
  plan.direction_of_micro_batch.resize(static_cast<std::size_t>(m));
  for (int i = 0; i < m; ++i)
    plan.direction_of_micro_batch[static_cast<std::size_t>(i)] = i < m / 2 ? 0 : 1;
  plan.model_stage.resize(static_cast<std::size_t>(pp));
  for (int r = 0; r < pp; ++r)
    plan.model_stage[static_cast<std::size_t>(r)] = {r, pp - 1 - r};
  plan.work.resize(static_cast<std::size_t>(pp));
  DualPipeOrder order(plan, pp, m);
  for (int r = 0; r < pp; ++r)
    order.build_rank(r);
  return plan;
}

}  // namespace

PipelinePlan make_pipeline_plan(Schedule schedule, int pp, int vpp, int micro_batches) {
  PTSIM_CHECK(pp >= 1 && vpp >= 1 && micro_batches >= 1, "make_pipeline_plan: bad sizes");
  switch (schedule) {
    case Schedule::gpipe: {
      auto plan = single_direction_plan(pp, micro_batches);
      gpipe(plan, micro_batches);
      return plan;
    }
    case Schedule::one_f_one_b: {
      auto plan = single_direction_plan(pp, micro_batches);
      one_f_one_b(plan, pp, micro_batches);
      return plan;
    }
    case Schedule::zb_h1: {
      auto plan = single_direction_plan(pp, micro_batches);
      zero_bubble_h1(plan, pp, micro_batches);
      return plan;
    }
    case Schedule::interleaved:
      return interleaved(pp, vpp, micro_batches);
    case Schedule::dualpipe:
      return dualpipe(pp, micro_batches);
  }
  PTSIM_CHECK(false, "make_pipeline_plan: unknown schedule");
  return {};
}

int peak_memory_micro_batches(Schedule schedule, int pp, int vpp, int micro_batches) {
  if (schedule == Schedule::gpipe) return micro_batches;
  return std::min(micro_batches, 2 * pp * (vpp + 2));
}

}  // namespace ptsim
