// How one training step is laid out over GPUs: the five parallel dimensions and the schedule.
// Terms as in Megatron-Core: tp tensor, pp pipeline, dp data, cp context, ep expert parallel,
// etp expert-tensor parallel, vpp virtual pipeline stages per rank.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace ptsim {

enum class Schedule : std::uint8_t { gpipe, one_f_one_b, interleaved, zb_h1, dualpipe };
inline constexpr std::array<Schedule, 5> kSchedules = {Schedule::gpipe, Schedule::one_f_one_b,
                                                       Schedule::interleaved, Schedule::zb_h1,
                                                       Schedule::dualpipe};
enum class Recompute : std::uint8_t { none, selective, full };
// What selective recomputation re-runs in the backward, as Megatron-Core's --recompute-modules
// names it (a bit set): the attention core (the default, Korthikanti et al. 2022), the two norms,
// the routed experts' activation function, the dense MLP, the whole MoE block (router,
// dispatch, experts, combine), or multi-head latent attention's up-projections and RoPE (the
// query, key and value heads rebuilt from their latents; a no-op without MLA).
enum RecomputeModule : std::uint8_t {
  kRecomputeCoreAttn = 1,
  kRecomputeLayernorm = 2,
  kRecomputeMoeAct = 4,
  kRecomputeMlp = 8,
  kRecomputeMoe = 16,
  kRecomputeMlaUpProj = 32,
};
inline constexpr std::uint8_t kRecomputeModuleAll = 63;
enum class CpAlgorithm : std::uint8_t { ring, ulysses };
// How routed tokens reach their experts: one all-to-all over the expert-parallel group
// (Megatron-Core's alltoall dispatcher), or DeepEP's node-deduplicated dispatch, which sends a
// token once to each node holding one of its experts and fans it out there over NVLink
// (Megatron-Core's flex dispatcher with --moe-enable-deepep; DeepSeek-V3 report section 3.2.2).
enum class MoeDispatcher : std::uint8_t { all_to_all, deepep };
// How a rank's local experts run their GEMMs:
//   multi_stream: one GEMM per local expert, issued round-robin on kExpertGemmStreams streams, so
//     up to that many run at once. Transformer Engine's GroupedLinear by default, which
//     Megatron-Core's --moe-grouped-gemm experts use (TE's cuBLAS path; its docs: "one cuBLAS GEMM
//     per expert is launched on a pool of CUDA streams").
//   grouped: one grouped kernel over all local experts (a CUTLASS grouped GEMM: TE on Hopper with
//     NVTE_USE_CUTLASS_GROUPED_GEMM=1, torch._grouped_mm as torchtitan runs it, DeepGEMM).
enum class ExpertGemm : std::uint8_t { multi_stream, grouped };
// Transformer Engine's pool of compute streams for per-expert GEMMs
// (transformer_engine/common/util/multi_stream.cpp, get_num_compute_streams: 4).
inline constexpr int kExpertGemmStreams = 4;
// How ZeRO-3 / FSDP brings a layer's parameters in before its forward and backward:
//   prefetch: one flat all-gather per layer on the data-parallel stream, the next layer's issued
//     while this one computes (PyTorch FSDP, DeepSpeed from 0.5 with grouped all-gathers);
//   on_demand: gathered when the layer's forward, recomputed forward or backward starts and waited
//     for before it computes, at kOnDemandGatherBytesPerS per GPU: DeepSpeed's ZeRO-3 up to 0.4
//     issued one all-gather per parameter from Python module hooks, which the 2021 Megatron-LM
//     ZeRO-3 comparison (Narayanan et al. 2021, Table 2) ran.
enum class Zero3Gather : std::uint8_t { prefetch, on_demand };

// The gather throughput of DeepSpeed ZeRO-3 before grouped all-gathers (DeepSpeed 0.3.16,
// issue #1174): a 5.1B-parameter model on 8 A100s with NVLink spent 420 ms more per forward
// under ZeRO-3 than under ZeRO-2 (480 against 60 ms) gathering 10.2 GB of fp16 parameters, of
// which each GPU receives 7/8: 8.9 GB in 0.42 s = 21 GB/s, a tenth of what NCCL's all-gather
// reaches on that NVLink. An independent measurement, not fitted to the validation runs.
inline constexpr double kOnDemandGatherBytesPerS = 5.1e9 * 2.0 * 7.0 / 8.0 / 0.420;

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
  std::uint8_t recompute_modules = kRecomputeCoreAttn;  // what Recompute::selective re-runs
  // Recompute::full on only the first `recompute_layers` layers of each model chunk (pipeline
  // stage, or virtual stage when interleaved); the others keep all their activations. Megatron-LM's
  // --recompute-method block --recompute-num-layers N, which trades memory for recomputation a few
  // layers at a time. 0: every layer (--recompute-method uniform --recompute-num-layers 1). Only
  // read under Recompute::full.
  int recompute_layers = 0;
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
  // Pipeline sends and receives of the interleaved schedule run beside the chunks' compute
  // (Megatron-LM --overlap-p2p-communication, on by default since it became
  // --no-overlap-p2p-communication). Off: each send is waited for before the next chunk, as
  // Megatron-LM did up to 2022 (batch_isend_irecv, wait, torch.cuda.synchronize). GPipe, 1F1B and
  // ZB-H1 always wait for their sends (Megatron's non-interleaved schedule); DualPipe never does.
  bool overlap_p2p = true;
  // Gradients held (the accumulation buffer, model_state_memory.h) and reduced across data
  // parallelism in fp32 (4 bytes each) rather than bf16: Megatron-LM forces it for bf16 training
  // (arguments.py: "bfloat16 requires gradient accumulation and all-reduce to be done in fp32"), as
  // do FSDP mixed-precision recipes with reduce_dtype fp32.
  bool grad_reduce_fp32 = false;
  // Each micro-batch's bf16 gradients copied into a separate fp32 accumulation buffer after its
  // backward, by a cast and an add over all of the stage's gradients, and that buffer reduced
  // (DeepSpeed's BF16_Optimizer: update_hp_grads after every backward, get_grads_for_reduction).
  // Both buffers are held: 2 + 4 bytes of gradient per parameter. Implies fp32 reduction. ZeRO 0
  // or 1 only (config_rules: fp32_grad_copy_zero): with ZeRO-2/3 DeepSpeed runs other optimizers.
  bool fp32_grad_copy = false;
  // Every pipeline send and receive is its own blocking call on the compute stream, posted after
  // the work before it, in DeepSpeed pipeline-engine order (a forward step sends the previous
  // gradient, then receives; a backward step receives its gradient, then sends the activation of
  // the forward before it; step_builder.cc emit_pass_prologue): four exposed transfers per
  // micro-batch where Megatron pairs them into two (send_forward_recv_backward). 1F1B only, as
  // DeepSpeed's TrainSchedule, one pass at a time (config_rules: serial_p2p_*).
  bool serial_p2p = false;
  MoeDispatcher moe_dispatcher = MoeDispatcher::all_to_all;
  ExpertGemm expert_gemm = ExpertGemm::multi_stream;
  Zero3Gather zero3_gather = Zero3Gather::prefetch;

  int world_size() const { return tp * pp * dp * cp; }
  // Whether the backward re-runs `module` (selective recomputation only).
  bool recomputes(RecomputeModule module) const {
    return recompute == Recompute::selective && (recompute_modules & module) != 0;
  }
  // Whether the layer at `position` (0 = first) of its model chunk is recomputed in full.
  bool recomputes_layer(int position) const {
    return recompute == Recompute::full && (recompute_layers == 0 || position < recompute_layers);
  }
  // Full recomputation of only some layers per chunk (recompute_layers).
  bool recomputes_some_layers() const {
    return recompute == Recompute::full && recompute_layers > 0;
  }
  // Expert-data-parallel size: ranks holding the same experts (Megatron-Core).
  int expert_dp() const { return (tp * cp * dp) / (etp * ep); }
  // GemmKernel::streams of the expert GEMMs: 0 for one grouped kernel.
  int expert_gemm_streams() const {
    return expert_gemm == ExpertGemm::grouped ? 0 : kExpertGemmStreams;
  }
  // Bytes of one gradient element in the gradient buffer and its data-parallel reduction: Megatron
  // accumulates into and reduces the same buffer (main_grad), fp32 under grad_reduce_fp32.
  double grad_bytes() const { return grad_reduce_fp32 || fp32_grad_copy ? 4.0 : 2.0; }
  // Gradient bytes held per parameter: the reduced buffer, plus the bf16 gradients it is
  // accumulated from under fp32_grad_copy.
  double grad_memory_bytes() const { return grad_bytes() + (fp32_grad_copy ? 2.0 : 0.0); }
};

const char* schedule_name(Schedule s);
// The schedule schedule_name() calls `name`; nullopt for any other word.
std::optional<Schedule> schedule_from_name(std::string_view name);
const char* recompute_name(Recompute r);
// "core_attn,layernorm" (Megatron-Core's module names, in bit order); parse accepts them comma- or
// space-separated in any order and returns false on an unknown or empty list.
std::string recompute_modules_name(std::uint8_t modules);
bool parse_recompute_modules(const std::string& text, std::uint8_t& modules);
// The --recompute-modules flag: the parsed set, or a one-line error naming the flag and the
// choices; also an error when `recompute` is known and not selective (the modules are selective's).
Result<std::uint8_t> recompute_modules_flag(const std::string& text,
                                            std::optional<Recompute> recompute);
// The --recompute-layers flag: N >= 1, or a one-line error; also an error when `recompute` is
// known and not full (the layers are full recomputation's).
Result<int> recompute_layers_flag(int layers, std::optional<Recompute> recompute);
// The on|off framework switches as a command line gives them (unset: keep the default), shared by
// simulate's flags and the planner's pins so that a new switch is added in one place.
struct FrameworkSwitchFlags {
  std::optional<std::string> overlap_grad_reduce, tp_comm_overlap, ep_a2a_overlap;
  std::optional<std::string> grad_reduce_fp32, overlap_p2p, fp32_grad_copy, serial_p2p;
};
// "on", "true", "1" or "off", "false", "0"; anything else a one-line error naming `flag`.
Result<bool> parse_on_off(const std::string& text, const char* flag);
// Sets each switch given in `flags` on `p`; the first malformed one is the error.
Status apply_framework_switches(const FrameworkSwitchFlags& flags, ParallelConfig& p);
// The framework switches of `p` that differ from ParallelConfig's defaults, each as a phrase for
// a report line ("pipeline sends one at a time"), in a fixed order.
std::vector<std::string> changed_switch_phrases(const ParallelConfig& p);
// For prose: "the attention core" for the default, else "the modules layernorm,moe".
std::string recompute_modules_phrase(std::uint8_t modules);
const char* cp_algorithm_name(CpAlgorithm a);
const char* moe_dispatcher_name(MoeDispatcher d);
const char* expert_gemm_name(ExpertGemm g);
const char* zero3_gather_name(Zero3Gather g);

}  // namespace ptsim
