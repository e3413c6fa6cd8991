// Cluster profile <-> JSON. Field meanings: cluster_profile.h; format: hardware_profiles/README.md.
#include <fmt/format.h>

#include "hardware_profiles/catalogue.h"
#include "hardware_profiles/profile_fields.h"
#include "hardware_profiles/profile_loader.h"
#include "hardware_profiles/units.h"

namespace ptsim {

namespace {

GpuProfile read_cluster_gpu(StrictObject& obj) {
  const Json& j = obj.at("gpu");
  if (j.is_object()) return read_gpu_object(j, obj.source(), obj.pointer("gpu"));
  if (!j.is_string()) {
    obj.fail("gpu",
             std::string("expected a catalogue GPU name or a GPU object, found ") + j.type_name());
  }
  const std::string name = j.get<std::string>();
  auto gpu = catalogue_gpu(name);
  if (!gpu) obj.fail("gpu", gpu.error().message);
  return std::move(gpu).value();
}

void read_topology(StrictObject& obj, ClusterProfile& c) {
  c.gpus_per_node = read_sourced_integer(obj, "gpus_per_node", 1);
  c.nvlink_domain_gpus = read_sourced_integer(obj, "nvlink_domain_gpus", 1);
  // The network model places whole nodes in NVLink domains; a domain smaller than a node, or one
  // that splits a node, has no meaning in it.
  if (c.nvlink_domain_gpus % c.gpus_per_node != 0) {
    obj.fail("nvlink_domain_gpus", fmt::format("must be a multiple of gpus_per_node ({}), got {}",
                                               c.gpus_per_node, c.nvlink_domain_gpus));
  }
  c.nvlink_bandwidth_bytes_per_s =
      read_positive_quantity(obj, "nvlink_bandwidth", Unit::bytes_per_s);
  c.nvls = read_sourced_boolean(obj, "nvls");
  c.nic_bandwidth_bytes_per_s = read_positive_quantity(obj, "nic_bandwidth", Unit::bytes_per_s);
  c.nodes_per_scalable_unit = read_sourced_integer(obj, "nodes_per_scalable_unit", 1);
  c.oversubscription = read_positive_quantity(obj, "oversubscription", Unit::dimensionless);
  if (c.oversubscription < 1) {
    obj.fail("oversubscription",
             fmt::format("must be at least 1 (1 = non-blocking), got {}", c.oversubscription));
  }
  obj.reject_unknown_keys();
}

void read_latency(StrictObject& obj, ClusterProfile& c) {
  c.nvlink_latency_s = read_quantity(obj, "nvlink", Unit::seconds);
  c.nic_latency_s = read_quantity(obj, "nic", Unit::seconds);
  c.switch_latency_s = read_quantity(obj, "switch", Unit::seconds);
  obj.reject_unknown_keys();
}

CollectiveTuning read_tuning(StrictObject& obj, std::string_view key) {
  StrictObject t = obj.object(key);
  CollectiveTuning tuning;
  tuning.bus_bandwidth_efficiency = read_efficiency_curve(t, "bus_bandwidth_efficiency");
  tuning.base_latency_s = read_quantity(t, "base_latency", Unit::seconds);
  tuning.step_latency_s = read_quantity(t, "step_latency", Unit::seconds);
  t.reject_unknown_keys();
  return tuning;
}

void read_collectives(StrictObject& obj, ClusterProfile& c) {
  c.nvlink_collectives = read_tuning(obj, "nvlink");
  if (c.nvls) {
    if (!obj.has("nvls")) obj.fail("nvls", "missing required key (topology.nvls is true)");
    c.nvls_collectives = read_tuning(obj, "nvls");
  } else if (obj.has("nvls")) {
    obj.fail("nvls", "given but topology.nvls is false");
  }
  c.network_collectives = read_tuning(obj, "network");
  obj.reject_unknown_keys();
}

void read_memory_overheads(StrictObject& obj, MemoryOverheads& m) {
  m.cuda_context_bytes = read_quantity(obj, "cuda_context", Unit::bytes);
  m.nccl_buffer_bytes = read_quantity(obj, "nccl_buffer", Unit::bytes);
  m.allocator_fragmentation = read_quantity(obj, "allocator_fragmentation", Unit::dimensionless);
  if (!(m.allocator_fragmentation < 1)) {
    obj.fail(
        "allocator_fragmentation",
        fmt::format("must be below 1 (a fraction: 0.08 = 8 %), got {}", m.allocator_fragmentation));
  }
  obj.reject_unknown_keys();
}

ClusterProfile read_cluster_object(const Json& json, const std::string& source) {
  StrictObject obj(json, source, "");
  read_schema_version(obj);
  ClusterProfile c;
  c.name = read_profile_name(obj);
  c.source = read_provenance(obj);
  c.gpu = read_cluster_gpu(obj);
  StrictObject topology = obj.object("topology");
  read_topology(topology, c);
  StrictObject latency = obj.object("latency");
  read_latency(latency, c);
  StrictObject collectives = obj.object("collectives");
  read_collectives(collectives, c);
  StrictObject memory = obj.object("memory_overheads");
  read_memory_overheads(memory, c.memory);
  obj.reject_unknown_keys();
  return c;
}

Json tuning_to_json(const CollectiveTuning& t) {
  return Json{{"bus_bandwidth_efficiency", efficiency_curve_to_json(t.bus_bandwidth_efficiency)},
              {"base_latency", t.base_latency_s},
              {"step_latency", t.step_latency_s}};
}

}  // namespace

Result<ClusterProfile> parse_cluster_profile(const Json& json, const std::string& source) {
  return catch_input_errors([&] { return read_cluster_object(json, source); });
}

Json cluster_profile_to_json(const ClusterProfile& c) {
  Json collectives = {{"nvlink", tuning_to_json(c.nvlink_collectives)},
                      {"network", tuning_to_json(c.network_collectives)}};
  if (c.nvls) collectives["nvls"] = tuning_to_json(c.nvls_collectives);
  return Json{
      {"schema_version", kProfileSchemaVersion},
      {"name", c.name},
      {"source", provenance_to_json(c.source)},
      {"gpu", gpu_profile_to_json(c.gpu)},
      {"topology",
       {{"gpus_per_node", c.gpus_per_node},
        {"nvlink_domain_gpus", c.nvlink_domain_gpus},
        {"nvlink_bandwidth", c.nvlink_bandwidth_bytes_per_s},
        {"nvls", c.nvls},
        {"nic_bandwidth", c.nic_bandwidth_bytes_per_s},
        {"nodes_per_scalable_unit", c.nodes_per_scalable_unit},
        {"oversubscription", c.oversubscription}}},
      {"latency",
       {{"nvlink", c.nvlink_latency_s}, {"nic", c.nic_latency_s}, {"switch", c.switch_latency_s}}},
      {"collectives", collectives},
      {"memory_overheads",
       {{"cuda_context", c.memory.cuda_context_bytes},
        {"nccl_buffer", c.memory.nccl_buffer_bytes},
        {"allocator_fragmentation", c.memory.allocator_fragmentation}}}};
}

}  // namespace ptsim
