// How one training step is laid out over GPUs: the five parallel dimensions and the schedule.
// Terms as in Megatron-Core: tp tensor, pp pipeline, dp data, cp context, ep expert parallel,
// etp expert-tensor parallel, vpp virtual pipeline stages per rank.
#pragma once

#include <cstdint>
#include <string>

namespace ptsim {

enum class Schedule : std::uint8_t { gpipe, one_f_one_b, interleaved, zb_h1, dualpipe };
enum class Recompute : std::uint8_t { none, selective, full };
enum class CpAlgorithm : std::uint8_t { ring, ulysses };
// How routed tokens reach their experts: one all-to-all over the expert-parallel group
// (Megatron-Core's alltoall dispatcher), or DeepEP's node-deduplicated dispatch, which sends a
// token once to each node holding one of its experts and fans it out there over NVLink
// (Megatron-Core's flex dispatcher with --moe-enable-deepep; DeepSeek-V3 report section 3.2.2).
enum class MoeDispatcher : std::uint8_t { all_to_all, deepep };

// Megatron-Core's default order; the first dimension is innermost (varies fastest over ranks), so
// tensor-parallel peers are adjacent and stay inside a node.
inline constexpr const char* kDefaultRankOrder = "tp-cp-ep-dp-pp";

struct ParallelConfig {
  int tp = 1;
  int pp = 1;
  int dp = 1;
  int cp = 1;
  int ep = 1;
  int etp = 1;  // expert tensor parallel (Megatron --expert-tensor-parallel-size)
  int vpp = 1;  // model chunks per pipeline rank (interleaved schedule)
  int micro_batch = 1;
  bool sequence_parallel = false;
  int zero_stage = 0;  // 0 DDP, 1 optimizer sharding, 2 + gradients, 3 + parameters (FSDP)
  Recompute recompute = Recompute::none;
  Schedule schedule = Schedule::one_f_one_b;
  CpAlgorithm cp_algorithm = CpAlgorithm::ring;
  std::string rank_order = kDefaultRankOrder;
  // Gradient reduction bucket (PyTorch DDP default 25 MiB; Megatron ~40M parameters).
  double dp_bucket_bytes = 25.0 * 1024 * 1024;
  // Framework behaviours that change timing:
  // gradient reduction overlapped with backward, bucket by bucket (PyTorch DDP, Megatron-Core
  // --overlap-grad-reduce); off: one reduction after the backward, as Megatron-LM did in 2021-22.
  bool overlap_grad_reduce = true;
  // Tensor-parallel all-gather / reduce-scatter pipelined with the adjacent GEMM
  // (Megatron-Core --tp-comm-overlap with Transformer Engine userbuffers; needs sequence
  // parallelism).
  bool tp_comm_overlap = false;
  // Expert all-to-all of one micro-batch overlapped with the computation of another by running a
  // forward and a backward together in the 1F1B steady state (Megatron-Core's EP A2A overlap, the
  // idea of DualPipe's overlapped chunks).
  bool ep_a2a_overlap = false;
  MoeDispatcher moe_dispatcher = MoeDispatcher::all_to_all;

  int world_size() const { return tp * pp * dp * cp; }
  // Expert-data-parallel size: ranks holding the same experts (Megatron-Core).
  int expert_dp() const { return (tp * cp * dp) / (etp * ep); }
};

const char* schedule_name(Schedule s);
const char* recompute_name(Recompute r);
const char* cp_algorithm_name(CpAlgorithm a);
const char* moe_dispatcher_name(MoeDispatcher d);

}  // namespace ptsim
