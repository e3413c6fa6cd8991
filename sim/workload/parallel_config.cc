#include "sim/workload/parallel_config.h"

#include <tuple>
#include <utility>

#include "common/words.h"

namespace ptsim {

const char* schedule_name(Schedule s) {
  switch (s) {
    case Schedule::gpipe:
      return "gpipe";
    case Schedule::one_f_one_b:
      return "1f1b";
    case Schedule::interleaved:
      return "interleaved";
    case Schedule::zb_h1:
      return "zb-h1";
    case Schedule::dualpipe:
      return "dualpipe";
  }
  return "?";
}

std::optional<Schedule> schedule_from_name(std::string_view name) {
  for (Schedule s : kSchedules) {
    if (name == schedule_name(s)) return s;
  }
  return std::nullopt;
}

const char* recompute_name(Recompute r) {
  switch (r) {
    case Recompute::none:
      return "none";
    case Recompute::selective:
      return "selective";
    case Recompute::full:
      return "full";
  }
  return "?";
}

namespace {
constexpr std::pair<RecomputeModule, const char*> kRecomputeModuleNames[] = {
    {kRecomputeCoreAttn, "core_attn"},
    {kRecomputeLayernorm, "layernorm"},
    {kRecomputeMoeAct, "moe_act"},
    {kRecomputeMlp, "mlp"},
    {kRecomputeMoe, "moe"},
    {kRecomputeMlaUpProj, "mla_up_proj"},
};
}  // namespace

std::string recompute_modules_name(std::uint8_t modules) {
  std::string out;
  for (const auto& [bit, name] : kRecomputeModuleNames) {
    if ((modules & bit) == 0) continue;
    if (!out.empty()) out += ',';
    out += name;
  }
  return out;
}

Result<std::uint8_t> recompute_modules_flag(const std::string& text,
                                            std::optional<Recompute> recompute) {
  std::uint8_t modules = 0;
  if (!parse_recompute_modules(text, modules)) {
    return InputError{
        "--recompute-modules", "",
        "unknown module list '" + text +
            "'; use a comma list of core_attn, layernorm, moe_act, mlp, moe, mla_up_proj"};
  }
  if (recompute && *recompute != Recompute::selective) {
    return InputError{"--recompute-modules", "",
                      "applies to --recompute selective only (modules of selective recompute)"};
  }
  return modules;
}

Result<int> recompute_layers_flag(int layers, std::optional<Recompute> recompute) {
  if (layers < 1 || layers > (1 << 24)) {
    return InputError{"--recompute-layers", "",
                      "must be at least 1 (layers per model chunk), got " + std::to_string(layers)};
  }
  if (recompute && *recompute != Recompute::full) {
    return InputError{"--recompute-layers", "",
                      "applies to --recompute full only (the layers it recomputes per chunk)"};
  }
  return layers;
}

Result<bool> parse_on_off(const std::string& text, const char* flag) {
  if (text == "on" || text == "true" || text == "1") return true;
  if (text == "off" || text == "false" || text == "0") return false;
  return InputError{flag, "", "expected on or off, got '" + text + "'"};
}

Status apply_framework_switches(const FrameworkSwitchFlags& f, ParallelConfig& p) {
  for (const auto& [value, flag, field] :
       {std::tuple{&f.overlap_grad_reduce, "--overlap-grad-reduce", &p.overlap_grad_reduce},
        std::tuple{&f.tp_comm_overlap, "--tp-comm-overlap", &p.tp_comm_overlap},
        std::tuple{&f.ep_a2a_overlap, "--ep-a2a-overlap", &p.ep_a2a_overlap},
        std::tuple{&f.grad_reduce_fp32, "--grad-reduce-fp32", &p.grad_reduce_fp32},
        std::tuple{&f.overlap_p2p, "--overlap-p2p-comm", &p.overlap_p2p},
        std::tuple{&f.fp32_grad_copy, "--fp32-grad-copy", &p.fp32_grad_copy},
        std::tuple{&f.serial_p2p, "--serial-p2p", &p.serial_p2p}}) {
    if (!*value) continue;
    auto on = parse_on_off(**value, flag);
    if (!on) return on.error();
    *field = *on;
  }
  return ok_status();
}

std::vector<std::string> changed_switch_phrases(const ParallelConfig& p) {
  const ParallelConfig standard;
  std::vector<std::string> out;
  for (const auto& [changed, phrase] : {
           std::pair{p.overlap_grad_reduce != standard.overlap_grad_reduce,
                     "gradients reduced after the backward"},
           std::pair{p.tp_comm_overlap != standard.tp_comm_overlap,
                     "TP comm overlapped with GEMMs"},
           std::pair{p.ep_a2a_overlap != standard.ep_a2a_overlap, "expert all-to-all overlapped"},
           std::pair{p.moe_dispatcher != standard.moe_dispatcher, "DeepEP dispatcher"},
           std::pair{p.expert_gemm != standard.expert_gemm, "experts in one grouped GEMM"},
           std::pair{p.overlap_p2p != standard.overlap_p2p, "interleaved sends waited for"},
           std::pair{p.grad_reduce_fp32 != standard.grad_reduce_fp32, "gradients reduced in fp32"},
           std::pair{p.fp32_grad_copy != standard.fp32_grad_copy,
                     "bf16 gradients copied into fp32 every micro-batch"},
           std::pair{p.serial_p2p != standard.serial_p2p, "pipeline sends one at a time"},
           std::pair{p.zero3_gather != standard.zero3_gather, "ZeRO-3 gathers on demand"},
       }) {
    if (changed) out.emplace_back(phrase);
  }
  return out;
}

std::string recompute_modules_phrase(std::uint8_t modules) {
  if (modules == kRecomputeCoreAttn) return "the attention core";
  return "the modules " + recompute_modules_name(modules);
}

bool parse_recompute_modules(const std::string& text, std::uint8_t& modules) {
  std::uint8_t out = 0;
  for (const std::string& word : split_words(text, ", ")) {
    bool known = false;
    for (const auto& [bit, name] : kRecomputeModuleNames) {
      if (word == name) {
        out |= bit;
        known = true;
      }
    }
    if (!known) return false;
  }
  if (out == 0) return false;
  modules = out;
  return true;
}

const char* cp_algorithm_name(CpAlgorithm a) {
  switch (a) {
    case CpAlgorithm::ring:
      return "ring";
    case CpAlgorithm::ulysses:
      return "ulysses";
  }
  return "?";
}

const char* moe_dispatcher_name(MoeDispatcher d) {
  switch (d) {
    case MoeDispatcher::all_to_all:
      return "alltoall";
    case MoeDispatcher::deepep:
      return "deepep";
  }
  return "?";
}

const char* expert_gemm_name(ExpertGemm g) {
  switch (g) {
    case ExpertGemm::multi_stream:
      return "multi-stream";
    case ExpertGemm::grouped:
      return "grouped";
  }
  return "?";
}

const char* zero3_gather_name(Zero3Gather g) {
  switch (g) {
    case Zero3Gather::prefetch:
      return "prefetch";
    case Zero3Gather::on_demand:
      return "on-demand";
  }
  return "?";
}

}  // namespace ptsim
