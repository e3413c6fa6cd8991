// The shipped hardware catalogue: GPU profiles (hardware_profiles/gpus/*.json) and cluster profiles
// (hardware_profiles/clusters/*.json), embedded into the library at build time
// (cmake/EmbedFiles.cmake) so that binaries work from any directory. A profile's catalogue name is
// its file name without ".json", which is also its "name" field.
//
// Tests: tests/profiles/catalogue_test.cc.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "hardware_profiles/cluster_profile.h"
#include "hardware_profiles/gpu_profile.h"

namespace ptsim {

std::vector<std::string> gpu_names();      // sorted
std::vector<std::string> cluster_names();  // sorted

// A catalogue name, or a path to a .json profile (anything containing '/' or ending in ".json",
// or an existing file). An unknown name is InputError{"--gpu", "", "unknown GPU 'x'; known: ..."}
// (resp. "--cluster"); errors inside a file name the file and the field. A GPU file may also be a
// cluster profile (what `calibrate` writes): its GPU is taken.
Result<GpuProfile> load_gpu(std::string_view name_or_path);
Result<ClusterProfile> load_cluster(std::string_view name_or_path);

// A catalogue GPU by name only (never a file): what a cluster's "gpu": "<name>" refers to.
Result<GpuProfile> catalogue_gpu(std::string_view name);

}  // namespace ptsim
