#include "calibration/profile_assembly.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace ptsim {

namespace {

Json curve_json(const EfficiencyCurve& c) {
  Json points = Json::array();
  for (const auto& p : c.points)
    points.push_back({p[0], p[1]});
  return points;
}

Json class_json(const ClassFit& f) {
  Json j;
  j["points"] = f.points;
  j["excluded_wrong"] = f.excluded;
  j["rms_relative_error"] = f.rms_relative_error;
  j["efficiency"] = curve_json(f.curve);
  return j;
}

Json collective_json(const CollectiveFit& c) {
  Json j;
  j["single_rank_launch_s"] = c.single_rank_launch_s;
  j["single_rank_points"] = c.single_rank_points;
  j["groups"] = Json::array();
  for (const auto& g : c.groups) {
    Json gj;
    gj["collective"] = collective_name(g.collective);
    gj["ranks"] = g.ranks;
    gj["nodes"] = g.nodes;
    gj["points"] = g.points;
    gj["excluded_wrong"] = g.excluded;
    gj["rms_relative_error"] = g.rms_relative_error;
    gj["peak_busbw_bytes_per_s"] = g.peak_busbw_bytes_per_s;
    gj["regimes"] = Json::array();
    for (const auto& r : g.regimes) {
      gj["regimes"].push_back({{"min_bytes", r.min_bytes},
                               {"max_bytes", r.max_bytes},
                               {"latency_s", r.latency_s},
                               {"bus_bandwidth_bytes_per_s", r.bus_bandwidth_bytes_per_s},
                               {"points", r.points},
                               {"rms_relative_error", r.rms_relative_error}});
    }
    j["groups"].push_back(gj);
  }
  for (const auto* link : {&c.nvlink, &c.network}) {
    Json lj;
    lj["measured"] = link->measured;
    if (link->measured) {
      lj["link_bandwidth_bytes_per_s"] = link->link_bandwidth_bytes_per_s;
      lj["base_latency_s"] = link->tuning.base_latency_s;
      lj["step_latency_s"] = link->tuning.step_latency_s;
      lj["latency_rms_relative_error"] = link->latency_rms_relative_error;
      lj["groups"] = link->groups;
      lj["points"] = link->points;
      lj["rms_relative_error"] = link->rms_relative_error;
      lj["busbw_exceeds_link"] = link->busbw_exceeds_link;
      lj["efficiency"] = curve_json(link->tuning.bus_bandwidth_efficiency);
    }
    j[link == &c.nvlink ? "nvlink" : "network"] = lj;
  }
  return j;
}

std::string percent(double x) {
  return fmt::format("{:.1f} %", 100 * x);
}

}  // namespace

Result<FittedProfile> fit_profile(const MeasurementSet& data, const ClusterProfile& base,
                                  const FitOptions& options) {
  if (data.measurements.empty()) return InputError{"calibrate", "", "no measurements to fit"};
  FittedProfile out;
  ClusterProfile& p = out.profile;
  p = base;
  p.name = options.profile_name.empty() ? base.name + "-calibrated" : options.profile_name;
  const DeviceDescription& dev = data.provenance.device;
  if (dev.sm_count > 0) p.gpu.sm_count = dev.sm_count;
  if (dev.memory_bytes > 0) p.gpu.hbm_capacity_bytes = dev.memory_bytes;
  if (p.gpu.sm_count <= 0) {
    return InputError{"calibrate", "/gpu/sm_count",
                      "neither the measurements nor the base profile give an SM count"};
  }
  if (p.gpu.peak(Dtype::bf16) <= 0 || p.gpu.hbm_bandwidth_bytes_per_s <= 0) {
    return InputError{"calibrate", "/gpu",
                      "base profile '" + base.name +
                          "' lacks the bf16 peak or HBM bandwidth the fit "
                          "divides by"};
  }
  const std::string cite = provenance_summary(data.provenance);
  std::vector<std::string> kept;
  std::vector<std::string> residuals;

  ComputeFitOptions copt;
  copt.gemm_use_best = options.gemm_use_best;
  copt.bin_decades = options.bin_decades;
  copt.source = cite;
  const ComputeFit compute = fit_compute(data, p.gpu, copt);
  ComputeEfficiency& eff = p.gpu.efficiency;
  if (compute.launch_measured) {
    eff.kernel_launch_s = compute.kernel_launch_s;
  } else {
    kept.push_back("gpu.efficiency.kernel_launch_s");
  }
  const auto take = [&](const ClassFit& f, EfficiencyCurve& dst, const char* name) {
    if (f.points > 0 && !f.curve.empty()) {
      dst = f.curve;
      residuals.push_back(fmt::format("{} {}", name, percent(f.rms_relative_error)));
    } else {
      kept.push_back(std::string("gpu.efficiency.") + name);
    }
  };
  take(compute.gemm.fit, eff.gemm, "gemm");
  if (compute.gemm.fit.points > 0) {
    eff.tiling = compute.gemm.tiling;
  } else {
    kept.push_back("gpu.efficiency.tiling");
  }
  take(compute.attention_forward, eff.attention_forward, "attention_forward");
  take(compute.attention_backward, eff.attention_backward, "attention_backward");
  take(compute.memory, eff.memory, "memory");

  const InterferenceFit interference = fit_interference(data, options.overlap_reference_sms);
  if (interference.measured) {
    eff.comm_overlap_slowdown = interference.slowdown_at_reference;
  } else {
    kept.push_back("gpu.efficiency.comm_overlap_slowdown");
  }

  CollectiveFitOptions colopt;
  colopt.bin_decades = options.bin_decades;
  colopt.source = cite;
  const double nvlink_bw = p.nvlink_bandwidth_bytes_per_s > 0 ? p.nvlink_bandwidth_bytes_per_s
                                                              : p.gpu.nvlink_bandwidth_bytes_per_s;
  const CollectiveFit coll = fit_collectives(data, nvlink_bw, p.nic_bandwidth_bytes_per_s, colopt);
  if (coll.nvlink.measured) {
    p.nvlink_collectives = coll.nvlink.tuning;
    residuals.push_back("NVLink collectives " + percent(coll.nvlink.rms_relative_error));
  } else {
    kept.push_back("nvlink_collectives");
  }
  if (coll.network.measured) {
    p.network_collectives = coll.network.tuning;
    residuals.push_back("network collectives " + percent(coll.network.rms_relative_error));
  } else {
    kept.push_back("network_collectives");
  }
  kept.push_back("nvls_collectives");  // NVLS is not separated from other all-reduce algorithms

  const std::string fit_text = residuals.empty()
                                   ? std::string("nothing fitted")
                                   : "RMS relative error of fitted against measured times: " +
                                         fmt::format("{}", fmt::join(residuals, ", "));
  p.source = fmt::format("{}; {}; tables not measured are from '{}' ({})", cite, fit_text,
                         base.name, base.source);
  p.gpu.source =
      fmt::format("{}; base GPU profile '{}' ({})", cite, base.gpu.name, base.gpu.source);

  int excluded = 0;
  for (const auto& m : data.measurements)
    excluded += measurement_wrong(m) != 0;

  Json& r = out.report;
  r["format"] = "ptsim-calibration-fit-report";
  r["format_version"] = 1;
  r["profile"] = p.name;
  r["base_profile"] = base.name;
  r["provenance"] = provenance_to_json(data.provenance);
  r["measurements"] = data.measurements.size();
  r["excluded_wrong"] = excluded;
  r["kept_from_base"] = kept;
  r["launch"] = {{"kernel_launch_s", compute.kernel_launch_s},
                 {"measured", compute.launch_measured},
                 {"how", compute.launch_source}};
  Json gemm = class_json(compute.gemm.fit);
  gemm["dtype"] = "bf16";
  gemm["fitted_on"] = options.gemm_use_best ? "best of top-k" : "heuristic #0";
  gemm["tiling"] = {{"tile_m", compute.gemm.tiling.tile_m},
                    {"tile_n", compute.gemm.tiling.tile_n},
                    {"ctas_per_sm", compute.gemm.tiling.ctas_per_sm}};
  gemm["mean_wave_model_gap"] = compute.gemm.mean_wave_model_gap;
  gemm["tiling_candidates"] = Json::array();
  for (const auto& [t, rms] : compute.gemm.tiling_candidates) {
    gemm["tiling_candidates"].push_back({{"tile_m", t.tile_m},
                                         {"tile_n", t.tile_n},
                                         {"ctas_per_sm", t.ctas_per_sm},
                                         {"rms_relative_error", rms}});
  }
  gemm["by_dtype"] = Json::object();
  for (const auto& [d, f] : compute.gemm.by_dtype)
    gemm["by_dtype"][dtype_name(d)] = class_json(f);
  r["gemm"] = gemm;
  r["attention_forward"] = class_json(compute.attention_forward);
  r["attention_backward"] = class_json(compute.attention_backward);
  r["attention_implementation"] = compute.attention_implementation;
  Json mem = class_json(compute.memory);
  mem["rms_relative_error_by_op"] = Json::object();
  for (const auto& [op, e] : compute.memory_rms_by_op) {
    mem["rms_relative_error_by_op"][memory_op_name(op)] = e;
  }
  r["memory"] = mem;
  r["collectives"] = collective_json(coll);
  Json inter;
  inter["measured"] = interference.measured;
  inter["points"] = interference.points;
  inter["excluded_wrong"] = interference.excluded;
  inter["reference_sms"] = interference.reference_sms;
  inter["slowdown_at_reference"] = interference.slowdown_at_reference;
  inter["slowdown_by_held_sms"] = Json::array();
  for (const auto& [sms, s] : interference.slowdown_by_sms) {
    inter["slowdown_by_held_sms"].push_back({sms, s});
  }
  r["interference"] = inter;
  return out;
}

}  // namespace ptsim
