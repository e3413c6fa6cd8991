#include "hardware_profiles/whatif.h"

#include <cmath>

#include <fmt/format.h>

#include "hardware_profiles/catalogue.h"
#include "hardware_profiles/units.h"

namespace ptsim {

namespace {

InputError flag_error(std::string_view flag, std::string message) {
  return InputError{std::string(flag), "", std::move(message)};
}

bool positive_finite(double v) {
  return std::isfinite(v) && v > 0;
}

}  // namespace

Result<ClusterProfile> apply_overrides(ClusterProfile cluster, const ClusterOverrides& o) {
  std::string note;
  auto record = [&note](std::string_view what) {
    note += (note.empty() ? "" : ", ") + std::string(what);
  };

  if (o.gpu) {
    auto gpu = load_gpu(*o.gpu);
    if (!gpu) return gpu.error();
    cluster.gpu = std::move(gpu).value();
    cluster.nvlink_bandwidth_bytes_per_s = cluster.gpu.nvlink_bandwidth_bytes_per_s;
    record("--gpu " + *o.gpu);
  }
  if (o.gpus_per_node) {
    const int n = *o.gpus_per_node;
    if (n < 1) return flag_error("--gpus-per-node", fmt::format("must be >= 1, got {}", n));
    const bool domain_is_node = cluster.nvlink_domain_gpus == cluster.gpus_per_node;
    if (!domain_is_node && cluster.nvlink_domain_gpus % n != 0) {
      return flag_error("--gpus-per-node",
                        fmt::format("{} does not divide the {}-GPU NVLink domain of cluster {}", n,
                                    cluster.nvlink_domain_gpus, cluster.name));
    }
    cluster.gpus_per_node = n;
    if (domain_is_node) cluster.nvlink_domain_gpus = n;
    record(fmt::format("--gpus-per-node {}", n));
  }
  if (o.nic_bandwidth_bytes_per_s) {
    const double bw = *o.nic_bandwidth_bytes_per_s;
    if (!positive_finite(bw)) {
      return flag_error("--nic-bandwidth", fmt::format("must be > 0, got {} B/s", bw));
    }
    cluster.nic_bandwidth_bytes_per_s = bw;
    record(fmt::format("--nic-bandwidth {} B/s", bw));
  }
  if (o.nvlink_bandwidth_bytes_per_s) {
    const double bw = *o.nvlink_bandwidth_bytes_per_s;
    if (!positive_finite(bw)) {
      return flag_error("--nvlink-bandwidth", fmt::format("must be > 0, got {} B/s", bw));
    }
    cluster.nvlink_bandwidth_bytes_per_s = bw;
    record(fmt::format("--nvlink-bandwidth {} B/s", bw));
  }
  if (o.oversubscription) {
    const double r = *o.oversubscription;
    if (!(std::isfinite(r) && r >= 1)) {
      return flag_error("--oversubscription", fmt::format("must be >= 1, got {}", r));
    }
    cluster.oversubscription = r;
    record(fmt::format("--oversubscription {}", r));
  }
  if (!note.empty()) cluster.source += "; what-if: " + note;
  return cluster;
}

Result<double> parse_bandwidth_flag(std::string_view text, std::string_view flag) {
  const std::string flag_name(flag);
  auto value = parse_quantity(text, Unit::bytes_per_s, flag_name, "");
  if (!value) return value.error();
  if (!(*value > 0)) {
    return flag_error(flag, "must be greater than zero, got '" + std::string(text) + "'");
  }
  return value;
}

}  // namespace ptsim
