// GPU profile <-> JSON. Field meanings: gpu_profile.h; format: hardware_profiles/README.md.
#include <cmath>

#include <fmt/format.h>

#include "hardware_profiles/profile_fields.h"
#include "hardware_profiles/profile_loader.h"
#include "hardware_profiles/units.h"

namespace ptsim {

namespace {

ComputeEfficiency read_compute_efficiency(StrictObject& obj) {
  ComputeEfficiency e;
  e.gemm = read_efficiency_curve(obj, "gemm");
  if (obj.has("gemm_by_dtype")) {
    StrictObject by = obj.object("gemm_by_dtype");
    for (std::size_t d = 0; d < kDtypeCount; ++d) {
      if (by.has(kDtypeNames[d])) e.gemm_by_dtype[d] = read_efficiency_curve(by, kDtypeNames[d]);
    }
    by.reject_unknown_keys();
  }
  e.attention_forward = read_efficiency_curve(obj, "attention_forward");
  e.attention_backward = read_efficiency_curve(obj, "attention_backward");
  e.memory = read_efficiency_curve(obj, "memory");
  {
    StrictObject tiling = obj.object("tiling");
    e.tiling.tile_m = read_sourced_integer(tiling, "tile_m", 1);
    e.tiling.tile_n = read_sourced_integer(tiling, "tile_n", 1);
    e.tiling.ctas_per_sm = read_sourced_integer(tiling, "ctas_per_sm", 1);
    tiling.reject_unknown_keys();
  }
  e.kernel_launch_s = read_quantity(obj, "kernel_launch", Unit::seconds);
  e.comm_overlap_slowdown = read_quantity(obj, "comm_overlap_slowdown", Unit::dimensionless);
  // A slowdown of 1 would mean compute runs at half speed whenever NCCL runs: no measurement
  // supports that, so a value that large is taken as a unit mistake (5 meant as 5 %).
  if (!(e.comm_overlap_slowdown < 1)) {
    obj.fail("comm_overlap_slowdown",
             fmt::format("must be below 1 (a fraction: 0.05 = 5 % slower), got {}",
                         e.comm_overlap_slowdown));
  }
  obj.reject_unknown_keys();
  return e;
}

Json compute_efficiency_to_json(const ComputeEfficiency& e) {
  Json out{{"gemm", efficiency_curve_to_json(e.gemm)},
           {"attention_forward", efficiency_curve_to_json(e.attention_forward)},
           {"attention_backward", efficiency_curve_to_json(e.attention_backward)},
           {"memory", efficiency_curve_to_json(e.memory)},
           {"tiling",
            {{"tile_m", e.tiling.tile_m},
             {"tile_n", e.tiling.tile_n},
             {"ctas_per_sm", e.tiling.ctas_per_sm}}},
           {"kernel_launch", e.kernel_launch_s},
           {"comm_overlap_slowdown", e.comm_overlap_slowdown}};
  Json by = Json::object();
  for (std::size_t d = 0; d < kDtypeCount; ++d) {
    if (!e.gemm_by_dtype[d].empty())
      by[kDtypeNames[d]] = efficiency_curve_to_json(e.gemm_by_dtype[d]);
  }
  if (!by.empty()) out["gemm_by_dtype"] = by;
  return out;
}

}  // namespace

GpuProfile read_gpu_object(const Json& json, const std::string& source,
                           const std::string& pointer) {
  StrictObject obj(json, source, pointer);
  read_schema_version(obj);
  GpuProfile gpu;
  gpu.name = read_profile_name(obj);
  gpu.source = read_provenance(obj);
  {
    StrictObject peaks = obj.object("peak_flops");
    for (std::size_t d = 0; d < kDtypeCount; ++d) {
      gpu.peak_flops_per_s[d] =
          read_positive_quantity_or_null(peaks, kDtypeNames[d], Unit::flops_per_s);
    }
    peaks.reject_unknown_keys();
  }
  gpu.hbm_capacity_bytes = read_positive_quantity(obj, "hbm_capacity", Unit::bytes);
  gpu.hbm_bandwidth_bytes_per_s = read_positive_quantity(obj, "hbm_bandwidth", Unit::bytes_per_s);
  gpu.nvlink_bandwidth_bytes_per_s =
      read_positive_quantity(obj, "nvlink_bandwidth", Unit::bytes_per_s);
  gpu.sm_count = read_sourced_integer(obj, "sm_count", 1);
  StrictObject efficiency = obj.object("efficiency");
  gpu.efficiency = read_compute_efficiency(efficiency);
  obj.reject_unknown_keys();
  return gpu;
}

Result<GpuProfile> parse_gpu_profile(const Json& json, const std::string& source) {
  return catch_input_errors([&] { return read_gpu_object(json, source, ""); });
}

Json gpu_profile_to_json(const GpuProfile& gpu) {
  Json peaks = Json::object();
  for (std::size_t d = 0; d < kDtypeCount; ++d) {
    const double p = gpu.peak_flops_per_s[d];
    peaks[kDtypeNames[d]] = p > 0 ? Json(p) : Json(nullptr);
  }
  return Json{{"schema_version", kProfileSchemaVersion},
              {"name", gpu.name},
              {"source", provenance_to_json(gpu.source)},
              {"peak_flops", peaks},
              {"hbm_capacity", gpu.hbm_capacity_bytes},
              {"hbm_bandwidth", gpu.hbm_bandwidth_bytes_per_s},
              {"nvlink_bandwidth", gpu.nvlink_bandwidth_bytes_per_s},
              {"sm_count", gpu.sm_count},
              {"efficiency", compute_efficiency_to_json(gpu.efficiency)}};
}

}  // namespace ptsim
