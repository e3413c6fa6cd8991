#include "calibration/provenance.h"

#include <unistd.h>

#include <array>
#include <cstring>
#include <ctime>

#include <fmt/format.h>

extern char** environ;  // POSIX: the process environment

namespace ptsim {

namespace {

DeviceDescription read_device(StrictObject o) {
  DeviceDescription d;
  d.name = o.string("name");
  d.compute_capability_major = static_cast<int>(o.integer("compute_capability_major"));
  d.compute_capability_minor = static_cast<int>(o.integer("compute_capability_minor"));
  d.sm_count = static_cast<int>(o.integer("sm_count"));
  d.memory_bytes = o.number("memory_bytes");
  d.l2_bytes = o.number("l2_bytes");
  d.sm_clock_hz = o.number("sm_clock_hz");
  d.memory_clock_hz = o.number("memory_clock_hz");
  d.pci_bus_id = o.string("pci_bus_id");
  o.reject_unknown_keys();
  return d;
}

Provenance read_provenance(const Json& j, const std::string& source, const std::string& pointer) {
  if (!j.is_object()) throw_input_error(source, pointer, "expected an object");
  StrictObject o(j, source, pointer);
  Provenance p;
  p.tool = o.string("tool");
  const Json& cmd = o.at("command_line");
  if (!cmd.is_array()) o.fail("command_line", "expected an array of strings");
  for (std::size_t i = 0; i < cmd.size(); ++i) {
    if (!cmd[i].is_string()) {
      throw_input_error(source, json_pointer_index(o.pointer("command_line"), i),
                        "expected a string");
    }
    p.command_line.push_back(cmd[i].get<std::string>());
  }
  p.date_utc = o.string("date_utc");
  p.host = o.string("host");
  p.device = read_device(o.object("device"));
  p.devices_visible = static_cast<int>(o.integer("devices_visible"));
  p.world_ranks = static_cast<int>(o.positive_integer("world_ranks"));
  p.nodes = static_cast<int>(o.positive_integer("nodes"));
  p.driver_version = o.string("driver_version");
  p.cuda_runtime_version = o.string("cuda_runtime_version");
  p.cublaslt_version = o.string("cublaslt_version");
  p.nccl_version = o.string("nccl_version");
  const Json& env = o.at("env");
  if (!env.is_object()) o.fail("env", "expected an object of strings");
  for (auto it = env.begin(); it != env.end(); ++it) {
    if (!it.value().is_string()) {
      throw_input_error(source, json_pointer_child(o.pointer("env"), it.key()),
                        "expected a string");
    }
    p.env[it.key()] = it.value().get<std::string>();
  }
  const Json& args = o.at("args");
  if (!args.is_object()) o.fail("args", "expected an object");
  p.args = args;
  p.resumed_points = static_cast<int>(o.integer("resumed_points"));
  o.reject_unknown_keys();
  return p;
}

}  // namespace

Json provenance_to_json(const Provenance& p) {
  Json device;
  device["name"] = p.device.name;
  device["compute_capability_major"] = p.device.compute_capability_major;
  device["compute_capability_minor"] = p.device.compute_capability_minor;
  device["sm_count"] = p.device.sm_count;
  device["memory_bytes"] = p.device.memory_bytes;
  device["l2_bytes"] = p.device.l2_bytes;
  device["sm_clock_hz"] = p.device.sm_clock_hz;
  device["memory_clock_hz"] = p.device.memory_clock_hz;
  device["pci_bus_id"] = p.device.pci_bus_id;
  Json j;
  j["tool"] = p.tool;
  j["command_line"] = p.command_line;
  j["date_utc"] = p.date_utc;
  j["host"] = p.host;
  j["device"] = device;
  j["devices_visible"] = p.devices_visible;
  j["world_ranks"] = p.world_ranks;
  j["nodes"] = p.nodes;
  j["driver_version"] = p.driver_version;
  j["cuda_runtime_version"] = p.cuda_runtime_version;
  j["cublaslt_version"] = p.cublaslt_version;
  j["nccl_version"] = p.nccl_version;
  j["env"] = Json::object();
  for (const auto& [k, v] : p.env)
    j["env"][k] = v;  // std::map: sorted
  j["args"] = p.args;
  j["resumed_points"] = p.resumed_points;
  return j;
}

Result<Provenance> provenance_from_json(const Json& j, const std::string& source,
                                        const std::string& pointer) {
  return catch_input_errors([&] { return read_provenance(j, source, pointer); });
}

std::map<std::string, std::string> allow_listed_environment() {
  std::map<std::string, std::string> out;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string entry(*e);
    if (entry.rfind("NCCL_", 0) != 0 && entry.rfind("CUDA_", 0) != 0) continue;
    const auto eq = entry.find('=');
    if (eq == std::string::npos) continue;
    out[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  return out;
}

std::string utc_now_iso8601() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  std::array<char, 32> buf{};
  std::strftime(buf.data(), buf.size(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf.data();
}

std::string host_name() {
  std::array<char, 256> buf{};
  if (::gethostname(buf.data(), buf.size() - 1) != 0) return "unknown";
  return buf.data();
}

std::string provenance_summary(const Provenance& p) {
  return fmt::format(
      "calibrated: {} on {} ({} SMs, sm_{}{}), driver {}, CUDA {}, cuBLASLt {}, NCCL {}, {} "
      "rank(s) on {} node(s), host {}, by {}",
      p.date_utc, p.device.name, p.device.sm_count, p.device.compute_capability_major,
      p.device.compute_capability_minor, p.driver_version, p.cuda_runtime_version,
      p.cublaslt_version, p.nccl_version.empty() ? "none" : p.nccl_version, p.world_ranks, p.nodes,
      p.host, p.tool);
}

}  // namespace ptsim
