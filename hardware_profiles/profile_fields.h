// Pieces of the profile format shared by the GPU and cluster loaders: the schema version, the
// provenance block and efficiency tables. Internal to hardware_profiles (the public entry points
// are profile_loader.h and catalogue.h). Functions here throw InputException naming the JSON
// pointer; the public loaders turn it into a Result.
#pragma once

#include <string>
#include <string_view>

#include "common/json_reader.h"
#include "hardware_profiles/efficiency_curve.h"

namespace ptsim {

// The one profile format version this build reads and writes.
inline constexpr int kProfileSchemaVersion = 1;

// Reads "schema_version" and rejects any version but kProfileSchemaVersion.
void read_schema_version(StrictObject& obj);

// Reads "name": a non-empty string.
std::string read_profile_name(StrictObject& obj);

// Reads "source": {"kind": "datasheet"|"published"|"calibrated", "detail": "..."} and returns
// "<kind>: <detail>", the form GpuProfile::source and ClusterProfile::source hold.
std::string read_provenance(StrictObject& obj);
// The inverse of read_provenance. A string without a known "<kind>: " prefix (a profile built in
// code) is written as kind "calibrated" with the whole string as detail.
Json provenance_to_json(const std::string& source);

// Reads {"points": [[x, efficiency], ...], "source": "..."}: at least one point, x finite, > 0 and
// strictly increasing, efficiency in (0, 1], source non-empty.
EfficiencyCurve read_efficiency_curve(StrictObject& obj, std::string_view key);
Json efficiency_curve_to_json(const EfficiencyCurve& curve);

}  // namespace ptsim
