#include "sim/workload/overlap_pairing.h"

#include <cstddef>
#include <vector>

#include "common/check.h"

namespace ptsim {

namespace {

bool is_backward(Pass p) {
  return p == Pass::backward || p == Pass::backward_input;
}

// Completion of passes by (micro-batch, position along its direction), filled in dependency order.
class DryRun {
 public:
  explicit DryRun(const PipelinePlan& plan) : plan_(plan) {
    const std::size_t mbs = plan.direction_of_micro_batch.size();
    for (const auto& dir : plan.directions) {
      std::vector<std::vector<int>> pos(
          static_cast<std::size_t>(plan.ranks),
          std::vector<int>(static_cast<std::size_t>(plan.chunks_per_rank), -1));
      for (std::size_t k = 0; k < dir.size(); ++k)
        pos[static_cast<std::size_t>(dir[k].rank)][static_cast<std::size_t>(dir[k].chunk)] =
            static_cast<int>(k);
      position_.push_back(std::move(pos));
    }
    const std::size_t positions = plan.directions.empty() ? 0 : plan.directions[0].size();
    forward_done_.assign(mbs, std::vector<char>(positions, 0));
    backward_done_.assign(mbs, std::vector<char>(positions, 0));
  }

  bool ready(int rank, const PipelineWork& w) const {
    if (w.pass == Pass::backward_weight) return true;  // its input gradient pass ran before it
    const auto mb = static_cast<std::size_t>(w.micro_batch);
    const int k = position(rank, w);
    const int last = static_cast<int>(forward_done_[mb].size()) - 1;
    if (w.pass == Pass::forward)
      return k == 0 || forward_done_[mb][static_cast<std::size_t>(k - 1)];
    return k == last ? forward_done_[mb][static_cast<std::size_t>(k)] != 0
                     : backward_done_[mb][static_cast<std::size_t>(k + 1)] != 0;
  }

  void complete(int rank, const PipelineWork& w) {
    if (w.pass == Pass::backward_weight) return;
    const auto mb = static_cast<std::size_t>(w.micro_batch);
    const auto k = static_cast<std::size_t>(position(rank, w));
    (w.pass == Pass::forward ? forward_done_ : backward_done_)[mb][k] = 1;
  }

 private:
  int position(int rank, const PipelineWork& w) const {
    const int dir = plan_.direction_of_micro_batch[static_cast<std::size_t>(w.micro_batch)];
    const int k = position_[static_cast<std::size_t>(dir)][static_cast<std::size_t>(rank)]
                           [static_cast<std::size_t>(w.chunk)];
    PTSIM_CHECK(k >= 0, "pipeline plan: a pass on a chunk outside its direction");
    return k;
  }

  const PipelinePlan& plan_;
  std::vector<std::vector<std::vector<int>>> position_;          // [direction][rank][chunk]
  std::vector<std::vector<char>> forward_done_, backward_done_;  // [micro-batch][position]
};

}  // namespace

void pair_forward_backward_passes(PipelinePlan& plan) {
  DryRun run(plan);
  const auto ranks = static_cast<std::size_t>(plan.ranks);
  std::vector<std::size_t> next(ranks, 0);
  auto candidate = [&](std::size_t r, std::size_t i) {
    const auto& w = plan.work[r];
    if (i + 1 >= w.size() || w[i].overlap_with_next) return false;
    if (i > 0 && w[i - 1].overlap_with_next) return false;
    const Pass a = w[i].pass;
    const Pass b = w[i + 1].pass;
    return (a == Pass::forward && is_backward(b)) || (is_backward(a) && b == Pass::forward);
  };
  std::size_t remaining = 0;
  for (const auto& w : plan.work)
    remaining += w.size();
  while (remaining > 0) {
    bool progress = false;
    for (std::size_t r = 0; r < ranks; ++r) {
      auto& w = plan.work[r];
      const int rank = static_cast<int>(r);
      while (next[r] < w.size()) {
        const std::size_t i = next[r];
        const bool paired = w[i].overlap_with_next || candidate(r, i);
        if (paired) {
          // A pair runs only with both inputs present; a candidate whose partner is not ready yet
          // waits here, and runs alone only if nothing else can move (below).
          if (!run.ready(rank, w[i]) || !run.ready(rank, w[i + 1])) break;
          w[i].overlap_with_next = true;
          run.complete(rank, w[i]);
          run.complete(rank, w[i + 1]);
          next[r] += 2;
          remaining -= 2;
        } else {
          if (!run.ready(rank, w[i])) break;
          run.complete(rank, w[i]);
          next[r] += 1;
          remaining -= 1;
        }
        progress = true;
      }
    }
    if (progress) continue;
    // Stuck: the lowest rank whose waiting candidate can start alone runs it unpaired.
    bool forced = false;
    for (std::size_t r = 0; r < ranks && !forced; ++r) {
      const std::size_t i = next[r];
      if (i < plan.work[r].size() && candidate(r, i) &&
          run.ready(static_cast<int>(r), plan.work[r][i])) {
        run.complete(static_cast<int>(r), plan.work[r][i]);
        next[r] += 1;
        remaining -= 1;
        forced = true;
      }
    }
    PTSIM_CHECK(forced, "pipeline plan deadlocks even without overlapped passes");
  }
}

}  // namespace ptsim
