#include "planner/result_json.h"

namespace ptsim {

Json config_json(const ConfigDescription& c) {
  Json j = Json::object();
  j["model"] = c.model.name;
  j["seq_len"] = c.training.seq_len;
  j["global_batch"] = c.training.global_batch;
  j["precision"] = c.training.precision == Precision::fp8 ? "fp8" : "bf16";
  j["attention"] = c.training.attention == AttentionImpl::flash ? "flash" : "unfused";
  j["moe_imbalance"] = c.training.moe_imbalance;
  j["moe_capacity_factor"] = c.training.moe_capacity_factor;
  j["cluster"] = c.cluster.name;
  j["gpu"] = c.cluster.gpu.name;
  j["gpus"] = c.gpus;
  j["gpus_per_node"] = c.cluster.gpus_per_node;
  j["nvlink_domain_gpus"] = c.cluster.nvlink_domain_gpus;
  j["nic_bandwidth_bytes_per_s"] = c.cluster.nic_bandwidth_bytes_per_s;
  j["nvlink_bandwidth_bytes_per_s"] = c.cluster.nvlink_bandwidth_bytes_per_s;
  j["oversubscription"] = c.cluster.oversubscription;
  const ParallelConfig& p = c.parallel;
  j["tp"] = p.tp;
  j["pp"] = p.pp;
  j["dp"] = p.dp;
  j["cp"] = p.cp;
  j["ep"] = p.ep;
  j["etp"] = p.etp;
  j["vpp"] = p.vpp;
  j["micro_batch"] = p.micro_batch;
  j["sequence_parallel"] = p.sequence_parallel;
  j["zero"] = p.zero_stage;
  j["recompute"] = recompute_name(p.recompute);
  j["recompute_modules"] = recompute_modules_name(p.recompute_modules);
  j["recompute_layers"] = p.recompute_layers;
  j["schedule"] = schedule_name(p.schedule);
  j["cp_algorithm"] = cp_algorithm_name(p.cp_algorithm);
  j["rank_order"] = p.rank_order;
  j["overlap_grad_reduce"] = p.overlap_grad_reduce;
  j["tp_comm_overlap"] = p.tp_comm_overlap;
  j["ep_a2a_overlap"] = p.ep_a2a_overlap;
  j["moe_dispatcher"] = moe_dispatcher_name(p.moe_dispatcher);
  j["expert_gemm"] = expert_gemm_name(p.expert_gemm);
  j["zero3_gather"] = zero3_gather_name(p.zero3_gather);
  j["grad_reduce_fp32"] = p.grad_reduce_fp32;
  j["overlap_p2p_comm"] = p.overlap_p2p;
  j["fp32_grad_copy"] = p.fp32_grad_copy;
  j["serial_p2p"] = p.serial_p2p;
  j["dp_bucket_bytes"] = p.dp_bucket_bytes;
  return j;
}

Json step_result_json(const StepResult& r, const ConfigDescription& c) {
  Json j = Json::object();
  j["step_time_s"] = r.step_time_s;
  j["tokens_per_s"] = r.tokens_per_s;
  j["tflops_per_gpu"] = r.tflops_per_gpu;
  j["mfu"] = r.mfu;
  j["hfu"] = r.hfu;
  j["flops"] = {{"model_per_step", r.model_flops_per_step},
                {"hardware_per_step", r.hardware_flops_per_step}};
  Json at_peak = Json::object();
  for (std::size_t t = 0; t < kMemoryTagCount; ++t) {
    at_peak[std::string(memory_tag_name(static_cast<MemoryTag>(t))) + "_bytes"] =
        r.memory.at_peak_bytes[t];
  }
  at_peak["framework_overhead_bytes"] = r.memory.overhead_bytes;
  j["memory"] = {{"peak_bytes", r.memory.peak_bytes},
                 {"per_stage", r.memory.per_stage_bytes},
                 {"capacity_bytes", r.memory.capacity_bytes},
                 {"fits", r.memory.fits},
                 {"at_peak", at_peak}};
  Json comm = Json::object();
  for (std::size_t i = 0; i < kCommCategories.size(); ++i) {
    comm[category_name(kCommCategories[i])] = r.comm_bytes_per_rank[i];
  }
  j["comm_bytes_per_rank"] = comm;
  Json b = Json::object();
  b["compute_s"] = r.breakdown.seconds[static_cast<std::size_t>(Category::compute)];
  b["optimizer_s"] = r.breakdown.seconds[static_cast<std::size_t>(Category::optimizer)];
  for (Category cat : kCommCategories) {
    b[std::string("exposed_") + category_name(cat) + "_s"] =
        r.breakdown.seconds[static_cast<std::size_t>(cat)];
  }
  b["bubble_s"] = r.breakdown.bubble_s;
  j["breakdown"] = b;
  if (r.kernels) {
    // The kernels of the rank the breakdown describes, by class, as the cost model times them.
    Json k = Json::object();
    k["pipeline_rank"] = r.breakdown_pipeline_rank;
    Json classes = Json::object();
    for (std::size_t i = 0; i < kKernelClassCount; ++i) {
      const KernelClassTotals& c = r.kernels->by_class[i];
      classes[kernel_class_name(static_cast<KernelClass>(i))] = {
          {"count", c.count}, {"time_s", c.time_s}, {"flops", c.flops}, {"bytes", c.bytes}};
    }
    k["classes"] = classes;
    j["kernels"] = k;
  }
  j["micro_batches"] = r.micro_batches;
  j["config"] = config_json(c);
  return j;
}

}  // namespace ptsim
