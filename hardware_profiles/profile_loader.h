// Reading and writing GPU and cluster profiles (JSON, format in hardware_profiles/README.md and
// hardware_profiles/schema/*.schema.json; the loader is the authority on the format).
//
// Loading is strict: unknown and missing keys, unsupported schema versions, zero, negative or
// non-finite sizes and bandwidths, wrong units and malformed efficiency tables are InputErrors
// naming the source and the field's JSON pointer. Writing produces bare SI numbers (no per-field
// sources, which the structs do not keep) and round-trips: parse(to_json(p)) == p.
//
// Tests: tests/profiles/malformed_profiles_test.cc, tests/profiles/round_trip_test.cc.
#pragma once

#include <string>

#include "common/json_reader.h"
#include "common/result.h"
#include "hardware_profiles/cluster_profile.h"
#include "hardware_profiles/gpu_profile.h"

namespace ptsim {

Result<GpuProfile> parse_gpu_profile(const Json& json, const std::string& source);
// "gpu" is either a catalogue GPU name or an inline GPU object (calibrated profiles inline theirs).
Result<ClusterProfile> parse_cluster_profile(const Json& json, const std::string& source);

Json gpu_profile_to_json(const GpuProfile& gpu);        // round-trips through parse_gpu_profile
Json cluster_profile_to_json(const ClusterProfile& c);  // inlines the GPU; round-trips

// The GPU object reader behind parse_gpu_profile, for a GPU nested at `pointer` of a larger
// document (a cluster's inline "gpu"). Throws InputException.
GpuProfile read_gpu_object(const Json& json, const std::string& source, const std::string& pointer);

}  // namespace ptsim
