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
  j["simulated_rms_relative_error"] = c.simulated_rms_relative_error;
  j["groups"] = Json::array();
  for (const auto& g : c.groups) {
    Json gj;
    gj["collective"] = collective_name(g.collective);
    gj["ranks"] = g.ranks;
    gj["nodes"] = g.nodes;
    gj["link_class"] = g.link_class;
    gj["points"] = g.points;
    gj["excluded_wrong"] = g.excluded;
    gj["rms_relative_error"] = g.rms_relative_error;
    gj["peak_busbw_bytes_per_s"] = g.peak_busbw_bytes_per_s;
    gj["busbw_by_size"] = Json::array();
    for (const auto& [bytes, busbw] : g.busbw_by_size)
      gj["busbw_by_size"].push_back({bytes, busbw});
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
  for (auto [name, link] : {std::pair{"nvlink", &c.nvlink}, std::pair{"nvls", &c.nvls},
                            std::pair{"network", &c.network}}) {
    Json lj;
    lj["measured"] = link->measured;
    if (link->measured) {
      lj["base_latency_s"] = link->tuning.base_latency_s;
      lj["step_latency_s"] = link->tuning.step_latency_s;
      lj["latency_rms_relative_error"] = link->latency_rms_relative_error;
      lj["groups"] = link->groups;
      lj["points"] = link->points;
      lj["rms_relative_error"] = link->rms_relative_error;
      lj["efficiency_above_one"] = link->efficiency_above_one;
      lj["efficiency"] = curve_json(link->tuning.bus_bandwidth_efficiency);
    }
    j[name] = lj;
  }
  return j;
}

std::string percent(double x) {
  return fmt::format("{:.1f} %", 100 * x);
}

}  // namespace

Result<FittedProfile> fit_profile(const MeasurementSet& data, const ClusterProfile& base,
                                  const FitOptions& options) {
  if (data.measurements.empty()) return InputError{"measurements", "", "none to fit"};
  FittedProfile out;
  ClusterProfile& p = out.profile;
  p = base;
  p.name = options.profile_name.empty() ? base.name + "-calibrated" : options.profile_name;
  const DeviceDescription& dev = data.provenance.device;
  if (dev.sm_count > 0) p.gpu.sm_count = dev.sm_count;
  if (dev.memory_bytes > 0) p.gpu.hbm_capacity_bytes = dev.memory_bytes;
  if (p.gpu.sm_count <= 0) {
    return InputError{"--base", "/gpu/sm_count",
                      "neither the measurements nor the base profile give an SM count"};
  }
  if (p.gpu.peak(Dtype::bf16) <= 0 || p.gpu.hbm_bandwidth_bytes_per_s <= 0) {
    return InputError{"--base", "/gpu",
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
  apply_compute_fit(compute, p.gpu);
  if (!compute.launch_measured) kept.push_back("gpu.efficiency.kernel_launch");
  const auto note = [&](const ClassFit& f, const char* name) {
    if (f.points > 0) {
      residuals.push_back(fmt::format("{} {}", name, percent(f.rms_relative_error)));
    } else {
      kept.push_back(std::string("gpu.efficiency.") + name);
    }
  };
  note(compute.gemm.fit, "gemm");
  if (compute.gemm.fit.points == 0) kept.push_back("gpu.efficiency.tiling");
  note(compute.attention_forward, "attention_forward");
  note(compute.attention_backward, "attention_backward");
  note(compute.memory, "memory");

  const InterferenceFit interference = fit_interference(data, options.overlap_reference_sms);
  if (interference.measured) {
    p.gpu.efficiency.comm_overlap_slowdown = interference.slowdown_at_reference;
  } else {
    kept.push_back("gpu.efficiency.comm_overlap_slowdown");
  }

  CollectiveFitOptions colopt;
  colopt.bin_decades = options.bin_decades;
  colopt.source = cite;
  const CollectiveFit coll = fit_collectives(data, p, colopt);
  apply_collective_fit(coll, p);
  for (auto [name, link] : {std::pair{"nvlink", &coll.nvlink}, std::pair{"nvls", &coll.nvls},
                            std::pair{"network", &coll.network}}) {
    if (link->measured) {
      residuals.push_back(
          fmt::format("{} collectives {}", name, percent(link->rms_relative_error)));
    } else if (name != std::string("nvls") || p.nvls) {
      kept.push_back(std::string("collectives.") + name);
    }
  }

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
  gemm["dtype"] = dtype_name(compute.gemm_dtype);
  gemm["fitted_on"] = options.gemm_use_best ? "best of top-k" : "heuristic #0";
  gemm["tiling"] = {{"tile_m", compute.gemm.tiling.tile_m},
                    {"tile_n", compute.gemm.tiling.tile_n},
                    {"ctas_per_sm", compute.gemm.tiling.ctas_per_sm}};
  gemm["mean_wave_model_gap"] = compute.gemm.mean_wave_model_gap;
  gemm["profile_rms_relative_error_by_dtype"] = Json::object();
  for (const auto& [d, e] : compute.gemm.profile_rms_by_dtype) {
    gemm["profile_rms_relative_error_by_dtype"][dtype_name(d)] = e;
  }
  gemm["one_table_rms_relative_error_by_dtype"] = Json::object();
  for (const auto& [d, e] : compute.gemm.one_table_rms_by_dtype) {
    gemm["one_table_rms_relative_error_by_dtype"][dtype_name(d)] = e;
  }
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
