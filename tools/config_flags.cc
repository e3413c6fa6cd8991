#include "tools/config_flags.h"

#include <cmath>
#include <tuple>

#include "hardware_profiles/catalogue.h"
#include "hardware_profiles/whatif.h"
#include "sim/workload/presets.h"
#include "sim/workload/rank_layout.h"

namespace ptsim::cli {

void add_config_flags(CLI::App& app, ConfigFlags& f, bool model_required, bool gpus_required) {
  auto* model = app.add_option("--model", f.model,
                               "model preset (7b, 8b, 13b, 70b, 175b, 405b, llama3-70b, gpt3-175b, "
                               "mixtral-8x7b, deepseek-v3, ...) or a Hugging Face config.json");
  if (model_required) model->required();
  app.add_option("--layers", f.layers,
                 "transformer layers, overriding the model's (depth-reduced studies, e.g. a model "
                 "that fits one GPU for the reference executor) [default: the model's]");
  app.add_option("--seq-len", f.seq_len, "tokens per sequence [default: the preset's recipe]");
  app.add_option("--global-batch", f.global_batch,
                 "sequences per optimizer step [default: the preset's recipe]");
  app.add_option("--precision", f.precision, "GEMM precision: bf16 or fp8")->capture_default_str();
  app.add_option("--attention", f.attention,
                 "attention kernels: flash (fused) or unfused (batched GEMMs + softmax)")
      ->capture_default_str();
  app.add_option("--moe-imbalance", f.moe_imbalance,
                 "tokens of the busiest expert over the mean, >= 1 [default: 1]");
  app.add_option("--moe-capacity-factor", f.moe_capacity_factor,
                 "expert capacity factor; 0 = dropless [default: 0]");
  auto* gpus = app.add_option("--gpus", f.gpus, "number of GPUs");
  if (gpus_required) gpus->required();
  app.add_option("--cluster", f.cluster, "cluster profile name or profile.json")
      ->capture_default_str();
  app.add_option(
      "--gpu", f.gpu,
      "what-if: GPU model (a100-40g, a100-80g, h100-sxm, h800, h200, b200) or a profile file "
      "(a GPU profile, or a calibrated cluster profile whose GPU is taken)");
  app.add_option("--gpus-per-node", f.gpus_per_node, "what-if: GPUs per node");
  app.add_option("--nic-bandwidth", f.nic_bandwidth,
                 "what-if: network bandwidth per GPU, e.g. 400Gb/s");
  app.add_option("--nvlink-bandwidth", f.nvlink_bandwidth,
                 "what-if: NVLink bandwidth per GPU per direction, e.g. 450GB/s");
  app.add_option("--oversubscription", f.oversubscription,
                 "what-if: leaf downlink:uplink ratio (>= 1)");
  app.add_option("--tp", f.tp, "tensor-parallel size");
  app.add_option("--pp", f.pp, "pipeline-parallel size");
  app.add_option("--dp", f.dp, "data-parallel size");
  app.add_option("--cp", f.cp, "context-parallel size");
  app.add_option("--ep", f.ep, "expert-parallel size");
  app.add_option("--etp", f.etp, "expert tensor-parallel size");
  app.add_option("--vpp", f.vpp, "virtual pipeline stages (model chunks) per pipeline rank");
  app.add_option("--micro-batch", f.micro_batch, "sequences per micro-batch");
  app.add_option("--sequence-parallel", f.sequence_parallel, "on or off");
  app.add_option("--zero", f.zero, "ZeRO stage 0, 1, 2 or 3 (3 = fully sharded, FSDP)");
  app.add_option("--recompute", f.recompute, "activation recomputation: none, selective, full");
  app.add_option(
      "--recompute-modules", f.recompute_modules,
      "expert: what --recompute selective re-runs, Megatron-Core's module names: "
      "core_attn, layernorm, moe_act, mlp, moe, mla_up_proj (comma list) [default: core_attn]");
  app.add_option("--recompute-layers", f.recompute_layers,
                 "with --recompute full: recompute only the first N layers of each model chunk "
                 "(Megatron-LM's --recompute-method block) [default: every layer]");
  app.add_option(
      "--schedule", f.schedule,
      "pipeline schedule: gpipe, 1f1b, interleaved, zb-h1, dualpipe (planner and whatif: "
      "a comma list searches only those, e.g. 1f1b,interleaved for Megatron-LM)");
  app.add_option("--cp-algorithm", f.cp_algorithm, "context parallelism: ring or ulysses");
  app.add_option("--overlap-grad-reduce", f.switches.overlap_grad_reduce,
                 "expert: reduce gradients bucket by bucket during backward, on|off [default: on]");
  app.add_option("--tp-comm-overlap", f.switches.tp_comm_overlap,
                 "expert: pipeline TP all-gather/reduce-scatter with GEMMs (needs SP), on|off "
                 "[default: off]");
  app.add_option("--ep-a2a-overlap", f.switches.ep_a2a_overlap,
                 "expert: overlap expert all-to-all with another micro-batch's compute by running "
                 "forward and backward together, on|off [default: off]");
  app.add_option("--ep-dispatcher", f.ep_dispatcher,
                 "expert: how tokens reach their experts: alltoall (one all-to-all) or deepep "
                 "(once per node, then NVLink) [default: alltoall]");
  app.add_option("--expert-gemm", f.expert_gemm,
                 "expert: how a rank's experts run their GEMMs: multi-stream (one per expert on " +
                     std::to_string(kExpertGemmStreams) +
                     " streams, Transformer Engine's default) or grouped (one grouped kernel, "
                     "e.g. CUTLASS) [default: multi-stream]");
  app.add_option(
      "--overlap-p2p-comm", f.switches.overlap_p2p,
      "expert: interleaved schedule's pipeline sends run beside compute (Megatron-LM "
      "since 2023); off: each is waited for (Megatron-LM 2021-22), on|off [default: on]");
  app.add_option("--grad-reduce-fp32", f.switches.grad_reduce_fp32,
                 "expert: keep and reduce data-parallel gradients in fp32 (Megatron-LM with bf16), "
                 "on|off [default: off]");
  app.add_option("--fp32-grad-copy", f.switches.fp32_grad_copy,
                 "expert: copy each micro-batch's bf16 gradients into a separate fp32 buffer and "
                 "reduce that (DeepSpeed's bf16 optimizer), on|off [default: off]");
  app.add_option("--serial-p2p", f.switches.serial_p2p,
                 "expert: each pipeline send and receive waited for on its own (DeepSpeed's "
                 "pipeline engine); off: sends paired with receives (Megatron), on|off "
                 "[default: off]");
  app.add_option("--zero3-gather", f.zero3_gather,
                 "expert: ZeRO-3 parameter gathering: prefetch (FSDP, DeepSpeed >= 0.5) or "
                 "on-demand (DeepSpeed <= 0.4: per-parameter, waited for) [default: prefetch]");
  app.add_option(
      "--rank-order", f.rank_order,
      std::string("rank placement order, innermost first [default: ") + kDefaultRankOrder + "]");
}

Result<Schedule> parse_schedule(const std::string& s) {
  if (s.find(',') != std::string::npos) {
    return InputError{"--schedule", "",
                      "one schedule runs a step; a list ('" + s + "') is for planner and whatif"};
  }
  if (const auto v = schedule_from_name(s)) return *v;
  return InputError{
      "--schedule", "",
      "unknown schedule '" + s + "'; use gpipe, 1f1b, interleaved, zb-h1 or dualpipe"};
}

Result<Recompute> parse_recompute(const std::string& s) {
  for (Recompute v : {Recompute::none, Recompute::selective, Recompute::full}) {
    if (s == recompute_name(v)) return v;
  }
  return InputError{"--recompute", "", "unknown mode '" + s + "'; use none, selective or full"};
}

Result<Zero3Gather> parse_zero3_gather(const std::string& s) {
  for (Zero3Gather v : {Zero3Gather::prefetch, Zero3Gather::on_demand}) {
    if (s == zero3_gather_name(v)) return v;
  }
  return InputError{"--zero3-gather", "", "unknown mode '" + s + "'; use prefetch or on-demand"};
}

Result<MoeDispatcher> parse_moe_dispatcher(const std::string& s) {
  for (MoeDispatcher v : {MoeDispatcher::all_to_all, MoeDispatcher::deepep}) {
    if (s == moe_dispatcher_name(v)) return v;
  }
  return InputError{"--ep-dispatcher", "",
                    "unknown dispatcher '" + s + "'; use alltoall or deepep"};
}

Result<ExpertGemm> parse_expert_gemm(const std::string& s) {
  for (ExpertGemm v : {ExpertGemm::multi_stream, ExpertGemm::grouped}) {
    if (s == expert_gemm_name(v)) return v;
  }
  return InputError{"--expert-gemm", "", "unknown mode '" + s + "'; use multi-stream or grouped"};
}

Result<CpAlgorithm> parse_cp_algorithm(const std::string& s) {
  for (CpAlgorithm v : {CpAlgorithm::ring, CpAlgorithm::ulysses}) {
    if (s == cp_algorithm_name(v)) return v;
  }
  return InputError{"--cp-algorithm", "", "unknown algorithm '" + s + "'; use ring or ulysses"};
}

namespace {

Status positive(const std::optional<int>& v, const char* flag) {
  if (v && *v < 1) return InputError{flag, "", "must be at least 1, got " + std::to_string(*v)};
  return ok_status();
}

}  // namespace

std::string flags_of_rule(std::string_view rule) {
  static const std::pair<std::string_view, std::string_view> kFlags[] = {
      {"positive_sizes",
       "--tp/--pp/--dp/--cp/--ep/--etp/--vpp/--micro-batch/--seq-len/--global-batch"},
      {"model_sizes", "--model/--layers"},
      {"world_size", "--gpus/--tp/--pp/--dp/--cp"},
      {"zero_stage", "--zero"},
      {"tp_divides_heads", "--tp"},
      {"tp_divides_kv_heads", "--tp"},
      {"ep_needs_moe", "--ep/--etp"},
      {"tp_divides_ffn", "--tp"},
      {"etp_divides_expert_ffn", "--etp"},
      {"ep_divides_experts", "--ep"},
      {"expert_layout", "--ep/--etp"},
      {"expert_pipeline_groups", "--rank-order"},
      {"moe_tp_needs_sp", "--sequence-parallel"},
      {"sp_needs_tp", "--sequence-parallel"},
      {"sp_divides_sequence", "--seq-len"},
      {"cp_divides_sequence", "--seq-len/--cp"},
      {"ulysses_heads", "--cp"},
      {"cp_needs_flash", "--attention"},
      {"batch_divides", "--global-batch"},
      {"pp_layers", "--pp/--vpp"},
      {"schedule_needs_pp", "--schedule"},
      {"vpp_needs_interleaved", "--vpp/--schedule"},
      {"interleaved_microbatches", "--global-batch"},
      {"dualpipe_shape", "--pp/--global-batch"},
      {"serial_p2p_schedule", "--serial-p2p/--schedule"},
      {"serial_p2p_pairs", "--serial-p2p/--ep-a2a-overlap"},
      {"fp32_grad_copy_zero", "--fp32-grad-copy/--zero"},
      {"precision_supported", "--precision"},
      {"graph_size", "--global-batch/--micro-batch/--dp/--layers"},
  };
  for (const auto& [name, flags] : kFlags) {
    if (name == rule) return std::string(flags);
  }
  return "configuration";
}

Result<ResolvedWorkload> resolve_workload(const ConfigFlags& f) {
  ResolvedWorkload w;
  if (f.model.empty())
    return InputError{"--model", "", "a model preset or config.json is required"};
  auto model = load_model(f.model);
  if (!model) {
    InputError e = model.error();
    // A name that is neither a preset nor a file: the flag is the source, not the value.
    if (e.source == f.model && e.message.starts_with("unknown model"))
      e = InputError{"--model", "", "'" + f.model + "': " + e.message};
    return e;
  }
  w.model = std::move(*model);
  if (f.layers) {
    if (*f.layers < 1) return InputError{"--layers", "", "must be at least 1"};
    w.model.layers = *f.layers;
  }

  w.training.seq_len = f.seq_len.value_or(w.model.recipe.seq_len);
  w.training.global_batch = f.global_batch.value_or(w.model.recipe.global_batch);
  // Zero from the model: a config.json carries no published recipe, so the flag is needed.
  for (const auto& [value, given, flag] :
       {std::tuple{w.training.seq_len, f.seq_len.has_value(), "--seq-len"},
        std::tuple{w.training.global_batch, f.global_batch.has_value(), "--global-batch"}}) {
    if (value >= 1) continue;
    if (given) return InputError{flag, "", "must be at least 1, got " + std::to_string(value)};
    return InputError{flag, "", "required: the model has no recipe default"};
  }
  if (f.precision == "bf16") {
    w.training.precision = Precision::bf16;
  } else if (f.precision == "fp8") {
    w.training.precision = Precision::fp8;
  } else {
    return InputError{"--precision", "",
                      "unknown precision '" + f.precision + "'; use bf16 or fp8"};
  }
  if (f.attention == "flash") {
    w.training.attention = AttentionImpl::flash;
  } else if (f.attention == "unfused") {
    w.training.attention = AttentionImpl::unfused;
  } else {
    return InputError{"--attention", "",
                      "unknown attention '" + f.attention + "'; use flash or unfused"};
  }
  if (f.moe_imbalance) {
    if (!(std::isfinite(*f.moe_imbalance) && *f.moe_imbalance >= 1)) {
      return InputError{"--moe-imbalance", "", "must be a number >= 1"};
    }
    w.training.moe_imbalance = *f.moe_imbalance;
  }
  if (f.moe_capacity_factor) {
    if (!(std::isfinite(*f.moe_capacity_factor) && *f.moe_capacity_factor >= 0)) {
      return InputError{"--moe-capacity-factor", "", "must be a number >= 0"};
    }
    w.training.moe_capacity_factor = *f.moe_capacity_factor;
  }

  if (!f.gpus) return InputError{"--gpus", "", "the number of GPUs is required"};
  if (*f.gpus < 1 || *f.gpus > 1000000) {
    return InputError{"--gpus", "",
                      "must be between 1 and 1000000, got " + std::to_string(*f.gpus)};
  }
  w.gpus = static_cast<int>(*f.gpus);

  auto cluster = load_cluster(f.cluster);
  if (!cluster) return cluster.error();
  ClusterOverrides o;
  o.gpu = f.gpu;
  o.gpus_per_node = f.gpus_per_node;
  o.oversubscription = f.oversubscription;
  if (f.nic_bandwidth) {
    auto bw = parse_bandwidth_flag(*f.nic_bandwidth, "--nic-bandwidth");
    if (!bw) return bw.error();
    o.nic_bandwidth_bytes_per_s = *bw;
  }
  if (f.nvlink_bandwidth) {
    auto bw = parse_bandwidth_flag(*f.nvlink_bandwidth, "--nvlink-bandwidth");
    if (!bw) return bw.error();
    o.nvlink_bandwidth_bytes_per_s = *bw;
  }
  auto changed = apply_overrides(std::move(*cluster), o);
  if (!changed) return changed.error();
  w.cluster = std::move(*changed);
  return w;
}

Result<ParallelConfig> resolve_fixed_parallel(const ConfigFlags& f, const ResolvedWorkload& w) {
  for (const auto& [v, flag] : {std::pair{f.tp, "--tp"},
                                {f.pp, "--pp"},
                                {f.dp, "--dp"},
                                {f.cp, "--cp"},
                                {f.ep, "--ep"},
                                {f.etp, "--etp"},
                                {f.vpp, "--vpp"},
                                {f.micro_batch, "--micro-batch"}}) {
    if (auto s = positive(v, flag); !s) return s.error();
  }
  ParallelConfig p;
  p.tp = f.tp.value_or(1);
  p.pp = f.pp.value_or(1);
  p.cp = f.cp.value_or(1);
  p.ep = f.ep.value_or(1);
  p.etp = f.etp.value_or(1);
  p.vpp = f.vpp.value_or(1);
  p.micro_batch = f.micro_batch.value_or(1);
  const int model_parallel = p.tp * p.pp * p.cp;
  if (f.dp) {
    p.dp = *f.dp;
  } else {
    if (w.gpus % model_parallel != 0) {
      return InputError{"--gpus", "",
                        std::to_string(w.gpus) + " GPUs are not divisible by tp x pp x cp = " +
                            std::to_string(model_parallel)};
    }
    p.dp = w.gpus / model_parallel;
  }
  if (f.zero) {
    if (*f.zero < 0 || *f.zero > 3) return InputError{"--zero", "", "must be 0, 1, 2 or 3"};
    p.zero_stage = *f.zero;
  }
  p.sequence_parallel = p.tp > 1;
  if (f.sequence_parallel) {
    auto sp = parse_on_off(*f.sequence_parallel, "--sequence-parallel");
    if (!sp) return sp.error();
    p.sequence_parallel = *sp;
  }
  if (f.recompute) {
    auto r = parse_recompute(*f.recompute);
    if (!r) return r.error();
    p.recompute = *r;
  }
  if (f.recompute_modules) {
    auto m = recompute_modules_flag(*f.recompute_modules, p.recompute);
    if (!m) return m.error();
    p.recompute_modules = *m;
  }
  if (f.recompute_layers) {
    auto n = recompute_layers_flag(*f.recompute_layers, p.recompute);
    if (!n) return n.error();
    p.recompute_layers = *n;
  }
  p.schedule = p.vpp > 1 ? Schedule::interleaved : Schedule::one_f_one_b;
  if (f.schedule) {
    auto s = parse_schedule(*f.schedule);
    if (!s) return s.error();
    p.schedule = *s;
  }
  if (f.cp_algorithm) {
    auto a = parse_cp_algorithm(*f.cp_algorithm);
    if (!a) return a.error();
    p.cp_algorithm = *a;
  }
  if (f.rank_order) {
    if (auto words = check_rank_order_words(*f.rank_order, "--rank-order"); !words) {
      return words.error();
    }
    p.rank_order = *f.rank_order;
  }
  if (f.ep_dispatcher) {
    auto d = parse_moe_dispatcher(*f.ep_dispatcher);
    if (!d) return d.error();
    p.moe_dispatcher = *d;
  }
  if (f.expert_gemm) {
    auto g = parse_expert_gemm(*f.expert_gemm);
    if (!g) return g.error();
    p.expert_gemm = *g;
  }
  if (f.zero3_gather) {
    auto g = parse_zero3_gather(*f.zero3_gather);
    if (!g) return g.error();
    p.zero3_gather = *g;
  }
  if (auto s = apply_framework_switches(f.switches, p); !s) return s.error();
  return p;
}

}  // namespace ptsim::cli
