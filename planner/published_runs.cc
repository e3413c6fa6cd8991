#include "planner/published_runs.h"

#include "common/words.h"
#include "hardware_profiles/catalogue.h"
#include "hardware_profiles/whatif.h"
#include "sim/workload/config_rules.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <initializer_list>
#include <limits>
#include <map>

namespace ptsim {

double megatron_eq3_flops(double B, double s, double l, double h, double V) {
  return 96 * B * s * l * h * h * (1 + s / (6 * h) + V / (16 * l * h));
}

double megatron_core_flops(const ModelSpec& m, int seq_len, int global_batch,
                           AttentionCoreCount attention_core) {
  const double h = m.hidden;
  const double s = seq_len;
  const double q = static_cast<double>(m.head_dim) * m.heads;
  const double kv = static_cast<double>(m.head_dim) * m.kv_heads;
  const double ffn_expansion = m.mlp == MlpKind::swiglu ? 3 : 2;
  // Per token and layer, forward + backward (3) x multiply-add (2); the core is Q K^T and
  // scores x V, q s multiply-adds each over the whole sequence.
  const double core_share = attention_core == AttentionCoreCount::causal ? 0.5 : 1.0;
  const double attention = 6 * (h * (q + 2 * kv) + 2 * q * s * core_share + q * h);
  const double dense_mlp = 6 * ffn_expansion * h * m.ffn_hidden;
  double moe_mlp = 0;
  if (m.is_moe()) {
    moe_mlp = 6 * ffn_expansion * h *
              (static_cast<double>(m.moe.expert_ffn_hidden) * m.moe.top_k +
               static_cast<double>(m.moe.shared_experts) * m.moe.shared_expert_ffn_hidden);
  }
  const int moe_layers = m.moe_layer_count();
  const double per_token = m.layers * attention + (m.layers - moe_layers) * dense_mlp +
                           moe_layers * moe_mlp + 6 * h * m.vocab;
  return per_token * s * global_batch;
}

namespace {

// The records' short forms of Megatron-Core's --recompute-modules names, word by word:
// "norm, act" -> "layernorm,moe_act".
std::string with_module_names(const std::string& list) {
  std::string out;
  for (const std::string& word : split_words(list, ", ")) {
    if (!out.empty()) out += ',';
    out += word == "norm" ? "layernorm" : word == "act" ? "moe_act" : word;
  }
  return out;
}

bool is_null(const Json& r, const char* key) {
  return !r.contains(key) || r.at(key).is_null();
}

// The keys the record leaves unstated, as "a, b" (empty when it states them all).
std::string unstated(const Json& r, std::initializer_list<const char*> keys) {
  std::string out;
  for (const char* key : keys) {
    if (is_null(r, key)) out += std::string(out.empty() ? "" : ", ") + key;
  }
  return out;
}

// Typed reading of one record's fields, completions applied: a field of the wrong type or out of
// range is a one-line error naming the file and field (`fail` throws), never a JSON library
// exception or a division by a zero size further on.
class RecordFields {
 public:
  using Fail = std::function<void(const std::string& key, const std::string& what)>;
  RecordFields(const Json& r, Fail fail) : r_(r), fail_(std::move(fail)) {}

  bool has(const char* key) const { return !is_null(r_, key); }

  std::string text(const char* key, std::string fallback) const {
    if (!has(key)) return fallback;
    const Json& v = r_.at(key);
    if (!v.is_string()) fail_(key, "expected a string, got " + v.dump());
    return v.get<std::string>();
  }

  bool flag(const char* key, bool fallback) const {
    if (!has(key)) return fallback;
    const Json& v = r_.at(key);
    if (!v.is_boolean()) fail_(key, "expected true or false, got " + v.dump());
    return v.get<bool>();
  }

  // A whole number of at least `min` (1 for sizes and counts).
  int integer(const char* key, int fallback, int min) const {
    if (!has(key)) return fallback;
    const Json& v = r_.at(key);
    const double d = v.is_number() ? v.get<double>() : std::nan("");
    if (!(d == std::floor(d) && d >= min && d <= std::numeric_limits<int>::max())) {
      fail_(key,
            "expected a whole number of at least " + std::to_string(min) + ", got " + v.dump());
    }
    return static_cast<int>(d);
  }

  // A finite number of at least `min`, or above it when `above`.
  double number(const char* key, double fallback, double min, bool above = false) const {
    if (!has(key)) return fallback;
    const Json& v = r_.at(key);
    const double d = v.is_number() ? v.get<double>() : std::nan("");
    if (!(std::isfinite(d) && (above ? d > min : d >= min))) {
      fail_(key, std::string("expected a number ") + (above ? "above " : "of at least ") +
                     format_min(min) + ", got " + v.dump());
    }
    return d;
  }

 private:
  static std::string format_min(double v) {
    std::string t = std::to_string(v);
    t.erase(t.find_last_not_of('0') + 1);
    if (!t.empty() && t.back() == '.') t.pop_back();
    return t;
  }

  const Json& r_;
  Fail fail_;
};

std::string family_of(const std::string& id) {
  return id.substr(0, id.find('_'));
}

}  // namespace

Result<PublishedRuns> load_published_runs(const Json& runs, const std::string& runs_source,
                                          const Json& completions,
                                          const std::string& completions_source) {
  return catch_input_errors([&]() -> PublishedRuns {
    if (!runs.is_array()) throw_input_error(runs_source, "/", "expected a list of run records");
    StrictObject top(completions, completions_source, "");
    if (top.integer("schema_version") != 1) top.fail("schema_version", "unsupported version");
    top.ignore("about");
    const Json& list = top.at("completions");
    top.reject_unknown_keys();
    if (!list.is_array()) top.fail("completions", "expected a list");

    PublishedRuns out;
    for (std::size_t i = 0; i < runs.size(); ++i) {
      const std::string pointer = json_pointer_index("", i);
      if (!runs[i].is_object()) throw_input_error(runs_source, pointer, "expected an object");
      Json r = runs[i];
      if (!is_null(r, "id") && !r.at("id").is_string()) {
        throw_input_error(runs_source, pointer + "/id", "expected a string");
      }
      const std::string id = is_null(r, "id") ? "" : r.at("id").get<std::string>();
      if (id.empty()) throw_input_error(runs_source, pointer + "/id", "missing id");
      // Apply completions.
      std::vector<std::string> applied;
      // A field's value that a completion supplied: that completion's pointer, so that an error in
      // it names the completions file rather than the record.
      std::map<std::string, std::string> completed_at;
      for (std::size_t c = 0; c < list.size(); ++c) {
        StrictObject comp(list[c], completions_source, json_pointer_index("/completions", c));
        const std::string match = comp.string("match");
        const Json& fields = comp.at("fields");
        const std::string why = comp.string("why");
        if (!fields.is_object()) comp.fail("fields", "expected an object of record fields");
        std::vector<std::string> override_keys;
        if (const Json* o = comp.find("override")) {
          if (!o->is_array()) comp.fail("override", "expected a list of field names");
          for (const Json& key : *o) {
            if (!key.is_string()) comp.fail("override", "expected field names, got " + key.dump());
            override_keys.push_back(key.get<std::string>());
          }
        }
        comp.reject_unknown_keys();
        if (id.rfind(match, 0) != 0) continue;
        bool used = false;
        for (auto it = fields.begin(); it != fields.end(); ++it) {
          const bool forced = std::find(override_keys.begin(), override_keys.end(), it.key()) !=
                              override_keys.end();
          if (is_null(r, it.key().c_str()) || forced) {
            r[it.key()] = it.value();
            completed_at[it.key()] = json_pointer_index("/completions", c) + "/fields/" + it.key();
            used = true;
          }
        }
        if (used) applied.push_back(match + ": " + why);
      }

      auto fail_field = [&](const std::string& key, const std::string& what) {
        if (const auto at = completed_at.find(key); at != completed_at.end()) {
          throw_input_error(completions_source, at->second, what);
        }
        throw_input_error(runs_source, pointer + "/" + key, what);
      };

      const RecordFields f(r, fail_field);

      PublishedRun run;
      run.id = id;
      run.family = family_of(id);
      run.source = f.text("source", "");
      run.completions = applied;
      run.per_layer = f.text("record_type", "") == "per_layer";
      auto skip = [&](const std::string& why) { out.skipped.push_back({id, why}); };
      // tp, pp and dp are checked with the layout: a completion may leave them to the planner.
      const std::string missing = unstated(r, {"num_layers", "hidden_size", "num_attention_heads",
                                               "vocab_size", "seq_length", "num_gpus"});
      if (!missing.empty()) {
        skip("not stated: " + missing);
        continue;
      }

      // Model.
      ModelSpec& m = run.model;
      m.name = f.text("model_name", id);
      const bool moe = f.text("model_type", "dense") == "moe";
      const bool gated = f.flag("gated_mlp", false);
      m.hidden = f.integer("hidden_size", 0, 1);
      m.layers = f.integer("num_layers", 0, 1);
      m.heads = f.integer("num_attention_heads", 0, 1);
      m.kv_heads = f.integer("num_kv_heads", m.heads, 1);
      if (m.heads % m.kv_heads != 0) {
        fail_field("num_kv_heads", "the " + std::to_string(m.heads) +
                                       " attention heads do not divide into " +
                                       std::to_string(m.kv_heads) + " key/value groups");
      }
      m.head_dim = f.integer("head_dim", std::max(1, m.hidden / m.heads), 1);
      m.ffn_hidden = f.integer("ffn_hidden_size", 4 * m.hidden, 1);
      m.vocab = f.integer("vocab_size", 0, 1);
      m.max_positions = f.integer("seq_length", 0, 1);
      if (gated) {
        m.architecture = moe ? Architecture::mixtral : Architecture::llama;
        m.mlp = MlpKind::swiglu;
        m.norm = NormKind::rmsnorm;
        m.position = PositionKind::rope;
      } else {
        m.architecture = Architecture::gpt2;
        m.mlp = MlpKind::gelu;
        m.norm = NormKind::layernorm;
        m.position = PositionKind::learned;
        m.tied_embeddings = true;
        m.qkv_bias = m.linear_bias = m.attention_out_bias = m.mlp_bias = true;
      }
      const std::string position = f.text("position", "");
      if (position == "alibi") m.position = PositionKind::alibi;
      m.dropout = f.flag("dropout", false);
      if (moe) {
        m.moe.num_experts = f.integer("moe_num_experts", 0, 0);
        m.moe.top_k = f.integer("moe_top_k", 1, 1);
        m.moe.expert_ffn_hidden = f.integer("moe_ffn_hidden_size", m.ffn_hidden, 1);
        m.moe.shared_experts = f.integer("moe_shared_experts", 0, 0);
        m.moe.shared_expert_ffn_hidden = m.moe.expert_ffn_hidden;
        m.moe.first_dense_layers = f.integer("moe_dense_layers", 0, 0);
        if (m.moe.top_k > m.moe.num_experts && m.moe.num_experts > 0) {
          fail_field("moe_top_k", "routes each token to more experts than the " +
                                      std::to_string(m.moe.num_experts) + " there are");
        }
        if (m.moe.first_dense_layers > m.layers) {
          fail_field("moe_dense_layers",
                     "more dense layers than the model's " + std::to_string(m.layers));
        }
        if (m.moe.num_experts <= 0) {
          skip("MoE record without an expert count");
          continue;
        }
      }

      // Training.
      TrainingConfig& t = run.training;
      t.seq_len = m.max_positions;
      t.global_batch = f.integer("global_batch_size", 0, 1);
      const std::string precision = f.text("precision", "bf16");
      t.precision = precision.find("fp8") != std::string::npos ? Precision::fp8 : Precision::bf16;
      t.attention =
          f.text("attention", "flash") == "unfused" ? AttentionImpl::unfused : AttentionImpl::flash;
      t.moe_imbalance = f.number("moe_imbalance", 1.0, 1.0);
      t.moe_capacity_factor = f.number("moe_capacity_factor", 0.0, 0.0);

      // Layout. An unstated tp, pp or dp is 0: the planner chooses it (ConventionalLayout::layout)
      // or the record is skipped below.
      ParallelConfig& p = run.parallel;
      const std::string layout_missing = unstated(r, {"tp", "pp", "dp"});
      p.tp = f.integer("tp", 0, 1);
      p.pp = f.integer("pp", 0, 1);
      p.dp = f.integer("dp", 0, 1);
      p.cp = f.integer("cp", 1, 1);
      p.ep = f.integer("ep", 1, 1);
      p.etp = f.integer("etp", 1, 1);
      p.vpp = f.integer("vpp", 1, 1);
      p.micro_batch = f.integer("micro_batch_size", 1, 1);
      // With tp left to the planner, the flag is the software's choice for whatever tp it takes.
      p.sequence_parallel = p.tp != 1 && f.flag("sequence_parallel", false);
      const std::string recompute = f.text("activation_recompute", "none");
      p.recompute = recompute.rfind("full", 0) == 0        ? Recompute::full
                    : recompute.rfind("selective", 0) == 0 ? Recompute::selective
                                                           : Recompute::none;
      // "selective (layernorm, moe)": the modules in parentheses, with the records' short forms
      // (norm, act) of Megatron-Core's names; plain "selective" is the attention core.
      if (const auto open = recompute.find('(');
          p.recompute == Recompute::selective && open != std::string::npos) {
        const auto close = recompute.find(')', open);
        const std::string list = with_module_names(recompute.substr(
            open + 1, close == std::string::npos ? std::string::npos : close - open - 1));
        if (!parse_recompute_modules(list, p.recompute_modules)) {
          fail_field(
              "activation_recompute",
              "unknown recompute modules in '" + recompute +
                  "'; use core_attn, layernorm (norm), moe_act (act), mlp, moe, mla_up_proj");
        }
      }
      p.zero_stage = f.integer("zero_stage", f.flag("distributed_optimizer", false) ? 1 : 0, 0);
      p.overlap_grad_reduce = f.flag("overlap_grad_reduce", true);
      p.tp_comm_overlap = f.flag("tp_comm_overlap", false);
      p.ep_a2a_overlap = f.flag("ep_a2a_overlap", false);
      p.grad_reduce_fp32 = f.flag("grad_reduce_fp32", false);
      p.overlap_p2p = f.flag("overlap_p2p_comm", true);
      p.fp32_grad_copy = f.flag("fp32_grad_copy", false);
      p.serial_p2p = f.flag("serial_p2p", false);
      const std::string gather = f.text("zero3_gather", "prefetch");
      if (gather == zero3_gather_name(Zero3Gather::on_demand)) {
        p.zero3_gather = Zero3Gather::on_demand;
      } else if (gather != zero3_gather_name(Zero3Gather::prefetch)) {
        fail_field("zero3_gather",
                   "unknown ZeRO-3 gathering '" + gather + "'; use prefetch or on-demand");
      }
      const std::string dispatcher = f.text("moe_dispatcher", "alltoall");
      if (dispatcher == moe_dispatcher_name(MoeDispatcher::deepep)) {
        p.moe_dispatcher = MoeDispatcher::deepep;
      } else if (dispatcher != moe_dispatcher_name(MoeDispatcher::all_to_all)) {
        fail_field("moe_dispatcher",
                   "unknown dispatcher '" + dispatcher + "'; use alltoall or deepep");
      }
      const std::string expert_gemm = f.text("expert_gemm", "multi-stream");
      if (expert_gemm == expert_gemm_name(ExpertGemm::grouped)) {
        p.expert_gemm = ExpertGemm::grouped;
      } else if (expert_gemm != expert_gemm_name(ExpertGemm::multi_stream)) {
        fail_field("expert_gemm",
                   "unknown expert GEMM mode '" + expert_gemm + "'; use multi-stream or grouped");
      }
      if (!is_null(r, "framework_schedules")) {
        const Json& list = r.at("framework_schedules");
        if (!list.is_array()) {
          fail_field("framework_schedules", "expected a list of schedule names");
        }
        for (const Json& word : list) {
          const std::string name = word.is_string() ? word.get<std::string>() : word.dump();
          const auto s = schedule_from_name(name);
          if (!s) {
            fail_field(
                "framework_schedules",
                "unknown schedule '" + name + "'; use gpipe, 1f1b, interleaved, zb-h1 or dualpipe");
          }
          run.framework_schedules.push_back(*s);
        }
      }
      if (!is_null(r, "ranking_searches")) {
        const Json& list = r.at("ranking_searches");
        if (!list.is_array()) fail_field("ranking_searches", "expected a list of fields");
        for (const Json& word : list) {
          const std::string name = word.is_string() ? word.get<std::string>() : word.dump();
          if (name == "micro_batch_size") {
            run.ranking_searches.micro_batch = true;
          } else if (name == "vpp") {
            run.ranking_searches.vpp = true;
          } else if (name == "tp_pp_split") {
            run.ranking_searches.tp_pp_split = true;
          } else if (name == "layout") {
            run.ranking_searches.layout = true;
          } else {
            fail_field("ranking_searches",
                       "the ranking cannot search '" + name +
                           "'; use micro_batch_size, vpp, tp_pp_split or layout");
          }
        }
      }
      if (run.ranking_searches.layout && layout_missing.empty()) {
        fail_field("ranking_searches",
                   "'layout' leaves an unstated layout to the planner, but the record states tp, "
                   "pp and dp");
      }
      if (run.ranking_searches.layout && run.per_layer) {
        fail_field("ranking_searches",
                   "a per-layer record times one layer of its own layout; 'layout' cannot leave "
                   "that layout to the planner");
      }
      if (!run.ranking_searches.layout && !layout_missing.empty()) {
        skip("not stated: " + layout_missing);
        continue;
      }
      run.framework_pipeline_zero_max = f.integer("framework_pipeline_zero_max", -1, -1);
      if (run.framework_pipeline_zero_max < -1 || run.framework_pipeline_zero_max > 3) {
        fail_field("framework_pipeline_zero_max", "expected a ZeRO stage 0 to 3");
      }
      if (p.pp == 1) p.vpp = 1;
      // Layers that do not divide over pp x vpp model stages go as Megatron's
      // --account-for-embedding/loss-in-pipeline-split puts them: one fewer on the first and last
      // stage (94 layers + embedding + loss = 96 = 32 x 3 for Qwen3-235B on pp 8, vpp 4).
      p.schedule = p.vpp > 1 ? Schedule::interleaved : Schedule::one_f_one_b;
      if (t.global_batch < 1) {
        skip("global batch not stated");
        continue;
      }
      // Interleaving needs the micro-batches to be a multiple of pp.
      if (!run.ranking_searches.layout && p.vpp > 1 && micro_batches_per_step(t, p) % p.pp != 0) {
        p.vpp = 1;
        p.schedule = Schedule::one_f_one_b;
      }
      run.gpus = f.integer("num_gpus", 1, 1);

      // Hardware.
      const std::string gpu_type = f.text("gpu_type", "");
      if (gpu_type.rfind("A100", 0) == 0) {
        run.cluster = "dgx-a100";
        run.gpu = f.integer("gpu_memory_gb", 80, 1) == 40 ? "a100-40g" : "a100-80g";
      } else if (gpu_type.rfind("H100", 0) == 0) {
        run.cluster = "dgx-h100";
        run.gpu = "h100-sxm";
      } else {
        skip("no cluster profile for GPU '" + gpu_type + "'");
        continue;
      }
      run.gpu = f.text("gpu", run.gpu);
      run.nic_bandwidth = f.text("nic_bandwidth", "");

      // Measurement.
      const double n = run.gpus;
      const double tokens = static_cast<double>(t.global_batch) * t.seq_len;
      if (run.per_layer) {
        if (is_null(r, "step_time_s")) {
          skip("per-layer record without a time");
          continue;
        }
        run.measured = f.number("step_time_s", 0, 0, true);
        run.measured_from = "per-layer forward + backward time";
      } else if (!is_null(r, "step_time_s")) {
        run.measured = tokens / f.number("step_time_s", 0, 0, true) / n;
        run.measured_from = "step_time_s";
      } else if (!is_null(r, "tokens_per_sec_per_gpu")) {
        run.measured = f.number("tokens_per_sec_per_gpu", 0, 0, true);
        run.measured_from = "tokens_per_sec_per_gpu";
      } else if (!is_null(r, "tflops_per_gpu") ||
                 (!is_null(r, "mfu") && !is_null(r, "peak_tflops_per_gpu_used"))) {
        // A model FLOP utilisation is model FLOP/s over the peak the source divided by.
        const bool from_mfu = is_null(r, "tflops_per_gpu");
        const double x = from_mfu ? f.number("mfu", 0, 0, true) *
                                        f.number("peak_tflops_per_gpu_used", 0, 0, true) * 1e12
                                  : f.number("tflops_per_gpu", 0, 0, true) * 1e12;
        const std::string field = from_mfu ? "mfu" : "tflops_per_gpu";
        const std::string kind = from_mfu ? "model" : f.text("tflops_kind", "");
        double flops = 0;
        if (kind.rfind("megatron_eq3", 0) == 0) {
          flops = megatron_eq3_flops(t.global_batch, t.seq_len, m.layers, m.hidden, m.vocab);
          run.measured_from = field + " via Megatron eq. 3";
        } else if (kind == "model" && run.family == "mzoo") {
          flops = megatron_core_flops(m, t.seq_len, t.global_batch, AttentionCoreCount::causal);
          run.measured_from = field + " via Megatron-Core model FLOPs (causal)";
        } else if (kind == "model" && (run.family == "mcore08" || run.family == "k22")) {
          // Megatron-Core r0.8's count; for GPT shapes (4h FFN, no key/value groups) it is
          // Korthikanti et al.'s Appendix A, 72 B s l h^2 (1 + s/(6h) + V/(12 l h)).
          flops = megatron_core_flops(m, t.seq_len, t.global_batch, AttentionCoreCount::full);
          run.measured_from = field + " via model FLOPs (attention core in full)";
        } else {
          skip("no FLOP formula to invert for tflops_kind '" + kind + "'");
          continue;
        }
        run.measured = tokens / (flops / (n * x)) / n;
      } else {
        skip("no measured throughput");
        continue;
      }
      out.runs.push_back(std::move(run));
    }
    return out;
  });
}

Result<ClusterProfile> published_run_cluster(const PublishedRun& run) {
  auto cluster = load_cluster(run.cluster);
  if (!cluster) return cluster.error();
  ClusterOverrides o;
  o.gpu = run.gpu;
  if (!run.nic_bandwidth.empty()) {
    auto bw = parse_bandwidth_flag(run.nic_bandwidth, "nic_bandwidth");
    if (!bw) return bw.error();
    o.nic_bandwidth_bytes_per_s = *bw;
  }
  return apply_overrides(std::move(*cluster), o);
}

}  // namespace ptsim
